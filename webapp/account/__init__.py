"""The signed-in user's account area (UC-ACC-01..11) at /account, and its JSON API."""
