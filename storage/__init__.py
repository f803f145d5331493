"""Persistence: SQLAlchemy models, queries, migrations and media files. Imports nothing of ours."""
