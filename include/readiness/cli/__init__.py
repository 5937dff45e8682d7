"""The ``readiness`` command line: argument parsing, one module per command group, and
the console rendering."""
