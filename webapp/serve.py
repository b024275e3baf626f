"""Serve the web app with waitress (what `dra run` starts)."""

from __future__ import annotations

import logging

from waitress import serve

from dra.settings import load_settings
from webapp import create_app


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = load_settings()
    app = create_app(settings)
    serve(app, host=settings.web_host, port=settings.web_port, threads=8, ident="dra")


if __name__ == "__main__":
    main()
