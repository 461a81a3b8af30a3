"""Alembic migrations shipped with the package (`kidb db upgrade`)."""
