"""Plumbing with no domain meaning and no I/O of its own: clocks, problems, Markdown,
JSON values, and the failpoints the chaos suite arms."""
