"""Attribution: the public tracking API and the project's attribution pages."""
