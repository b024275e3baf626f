"""Projects, their members and invitations (UC-PROJ-01..10): plain functions over a session.

Functions take the caller's SQLAlchemy session. The web app passes its request session
(row-level security as the signed-in user); authorization by role happens before, in
``webapp/authz.py``. Errors are ``ProjectError`` with an HTTP status and the field named.
"""
