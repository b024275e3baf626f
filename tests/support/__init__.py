"""Shared test helpers (the fixtures live in tests/conftest.py)."""
