"""Database administration pages (/admin/database): migrations, backups, restores,
schedules and database-admin access."""
