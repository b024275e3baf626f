"""The demo project: a small shop, generated deterministically."""
