"""Every chart is drawn through DRA.plot, whose one plotly config offers no upload to
plotly's cloud (checked in a real browser by tests/browser/test_page_security.py)."""

from __future__ import annotations

import re
from pathlib import Path

WEBAPP = Path(__file__).resolve().parents[2] / "webapp"
PLOT_CALL = re.compile(r"Plotly\.(newPlot|react|plot)\s*\(")


def test_only_dra_plot_calls_plotly():
    callers = []
    for path in [*WEBAPP.glob("static/js/*.js"), *WEBAPP.glob("templates/**/*.html")]:
        for match in PLOT_CALL.finditer(path.read_text()):
            callers.append(f"{path.name}: {match.group(0)}")
    assert callers == ["dra.js: Plotly.newPlot("]


def test_the_one_config_turns_off_every_way_out():
    source = (WEBAPP / "static/js/dra.js").read_text()
    config = re.search(r"const plotlyConfig = Object\.freeze\(\{(.*?)\}\);", source, re.S).group(1)
    for line in (
        "displaylogo: false",
        "showSendToCloud: false",
        'plotlyServerURL: ""',
        'modeBarButtonsToRemove: ["sendChartToCloud"]',
    ):
        assert line in config
    # the page's own options come first: they can add, never undo, the locked ones
    assert "Object.assign({ responsive: true }, options || {}, plotlyConfig)" in source
