"""Dagster sensors: pipeline requests from the web app, new sources, run failures."""
