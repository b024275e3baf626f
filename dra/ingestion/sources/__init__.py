"""Built-in source types; importing this package registers them."""

from dra.ingestion.sources import databases, files  # noqa: F401
