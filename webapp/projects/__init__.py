"""Projects pages: list, create, view, delete, members and invitations (UC-PROJ-01..10)."""
