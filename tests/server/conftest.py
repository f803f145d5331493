"""Fixtures for tests/server: `start` runs Dreamfeed instances on loopback, as in
tests/federation (the web tests drive them over real HTTP)."""

from tests.federation.conftest import start

__all__ = ["start"]
