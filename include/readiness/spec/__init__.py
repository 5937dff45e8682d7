"""What users write, read and checked: checklists and service specs (``loader``), settings
(``config``), what a spec may override (``overrides``) and the expectations it may use.
It reads the plug-ins' declarations (collectors' params, trackers' names) to check them."""
