"""Admin pages for platform administrators (users, tiers, beta, settings, cancellations,
outbox, alerts)."""
