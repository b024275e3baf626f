"""Data source pages."""
