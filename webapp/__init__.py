"""The Flask web app for analysts and admins."""

from webapp.app import create_app

__all__ = ["create_app"]
