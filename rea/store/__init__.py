"""The only code that speaks SQL: the review's SQLite store, its migrations and its queries."""

from rea.store.connection import SCHEMA_VERSION, Store, open_store

__all__ = ["SCHEMA_VERSION", "Store", "open_store"]
