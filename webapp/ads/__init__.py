"""Connect pages of the advertising and analytics sources (dra.ads)."""
