"""Database access: engine and session factories, the declarative Base, column types."""

from onestory.db.base import Base, JSONType, UTCDateTime
from onestory.db.engine import Database, create_database

__all__ = ["Base", "Database", "JSONType", "UTCDateTime", "create_database"]
