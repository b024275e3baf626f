"""Database operations: migrations, backups, restores, schema documentation."""
