"""Dagster: the one Definitions object, the resources, and the request helper runs share."""
