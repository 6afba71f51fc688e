"""Tools for policy writers: run the examples written in rule files."""
