"""Subscription tiers and the limits they set."""
