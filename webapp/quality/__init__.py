"""Data-quality pages of a data model (UC-DQ-01..03)."""
