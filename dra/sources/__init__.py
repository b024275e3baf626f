"""Data sources as the web app manages them: create, list, inspect, refresh, delete.

Plain functions over a SQLAlchemy session (the web app's, under row-level security);
heavy work (loading data) is queued for the pipelines with ``dra.pipeline_requests``.
"""
