"""Where records come from: the search APIs (PubMed, Scopus) through one HTTP client into
immutable run snapshots, the readers of database export files, and the loopback replay server.

See docs/sources.md.
"""
