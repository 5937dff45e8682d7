"""Clients of outside systems that more than one layer uses (history stores and collectors
both query BigQuery). They sit below both, so neither imports the other."""
