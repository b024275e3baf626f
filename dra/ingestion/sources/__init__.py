"""Built-in source types; importing this package registers them."""

from dra.ingestion.sources import ads, databases, files  # noqa: F401
