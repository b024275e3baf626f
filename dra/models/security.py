"""Names in the contract between database sessions and row-level security.

Migration ``0002_roles_rls`` creates the roles, functions and policies. A request of
a signed-in user runs as ``dra_app`` and, in each transaction, says who it acts for::

    SELECT set_config('dra.user_id', '42', true),          -- true: this transaction only
           set_config('dra.platform_admin', 'off', true);  -- 'on' only for platform admins

``dra.platform_admin = 'on'`` takes effect only when ``dra.user_id`` is a user whose
``is_platform_admin`` is set. Two narrower contexts serve callers without a user,
after the secret they presented was checked by a SECURITY DEFINER function:

* tracking endpoint: ``SELECT project_id, allowed_origins FROM
  app.resolve_tracking_key(<sha256 of the write key>)``, then
  ``set_config('dra.tracking_project_id', <project id>, true)``: inserts into
  ``attribution_events`` / ``attribution_event_ids`` of that project only;
* public dashboard: ``SELECT app.resolve_public_link(<token>)``, then
  ``set_config('dra.public_dashboard_id', <dashboard id>, true)``: reads that
  dashboard, its widgets and their data models only.

API tokens: ``SELECT app.api_token_user_id(<sha256 of the token>)`` gives the user
to act as (NULL when unknown, revoked or expired).

Sessions that connect as the owner or a superuser without ``SET ROLE`` bypass
row-level security (migrations, Dagster, deliberate "system" work).
"""

from __future__ import annotations

OWNER_ROLE = "dra_owner"
"""NOLOGIN role owning schema ``app`` and everything in it."""
APP_ROLE = "dra_app"
"""Role of the web app: DML on ``app`` tables, subject to row-level security."""
READONLY_ROLE = "dra_readonly"
"""Former shared role of ad-hoc queries (no rights left since migration 0004): each
project's queries run as its own role, see ``dra.project_roles``."""

USER_ID_SETTING = "dra.user_id"
PLATFORM_ADMIN_SETTING = "dra.platform_admin"
TRACKING_PROJECT_SETTING = "dra.tracking_project_id"
PUBLIC_DASHBOARD_SETTING = "dra.public_dashboard_id"
