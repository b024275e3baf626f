"""Loading data sources into the project's raw schema."""
