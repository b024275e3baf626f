"""Neutral core of the platform: settings, database access, models and domain logic.

Imported by both the Flask web app and the Dagster code; imports neither of them.
"""

__version__ = "0.1.0"
