"""Platform administration (UC-ADM-01/02/03/04/08/12, outbox and alerts): plain functions.

Functions take the caller's session; the web app passes its request session, in which a
platform admin's row-level security grants platform-wide access. Errors are
``AdminError`` with an HTTP status and the field at fault.
"""
