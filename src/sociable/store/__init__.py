"""Storage: SQLAlchemy 2 models, engines and sessions, Alembic migrations."""

from sociable.store.base import Base
from sociable.store.db import Database, open_database

__all__ = ["Base", "Database", "open_database"]
