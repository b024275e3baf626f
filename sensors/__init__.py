"""Dagster sensors that serve every domain: the web app's requests become runs, and the runs'
outcomes come back (sensors/requests.py). A domain's own sensors sit beside its assets."""
