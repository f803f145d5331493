"""Caches of what anonymous readers and remote servers ask for most: rendered documents and
pages (documents.py), dropped when the bus says what they show has changed."""
