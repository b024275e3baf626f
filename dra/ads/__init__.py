"""Advertising and analytics sources (GA4, Google Ads, Ad Manager, LinkedIn Ads, Meta Ads)
connected through OAuth: the platform interface and registry (``platforms``), their
settings, the OAuth flow, and one module per platform."""
