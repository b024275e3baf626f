"""Plotly figures of the attribution pages, as plain dicts (rendered with |tojson)."""

from __future__ import annotations

import json
from typing import Any

import plotly.graph_objects as go

from dra.attribution.analysis import FunnelStep, JourneyPath
from dra.attribution.reference import MODEL_LABELS, shown_models
from dra.formatting import PLOTLY_NUMBER, PLOTLY_TICKS

LAYOUT = {
    "margin": {"l": 50, "r": 20, "t": 40, "b": 50},
    "height": 380,
    "paper_bgcolor": "rgba(0,0,0,0)",
    "plot_bgcolor": "rgba(0,0,0,0)",
    "font": {"family": "system-ui, sans-serif", "size": 13},
}


def _plain(fig: go.Figure) -> dict[str, Any]:
    return json.loads(fig.to_json())


def channel_chart(result: dict[str, Any], metric: str, chosen: str) -> dict[str, Any]:
    """Credits (or value) per channel, one bar per model; the report's model stands out."""
    channels = result.get("channels", [])
    stored = result.get("models", {})
    fig = go.Figure()
    for model in shown_models(stored):
        per = stored[model]
        fig.add_bar(
            name=MODEL_LABELS[model],
            x=channels,
            y=[round(per.get(c, {}).get(metric, 0.0), 4) for c in channels],
            opacity=1.0 if model == chosen else 0.45,
        )
    title = "Conversions credited per channel" if metric == "credits" else "Value per channel"
    fig.update_layout(
        barmode="group",
        title=title,
        legend={"orientation": "h", "y": -0.2},
        yaxis={"tickformat": PLOTLY_TICKS, "hoverformat": PLOTLY_NUMBER},
        **LAYOUT,
    )
    return _plain(fig)


def funnel_chart(steps: list[FunnelStep]) -> dict[str, Any]:
    fig = go.Figure(
        go.Funnel(
            y=[s.label for s in steps],
            x=[s.users for s in steps],
            textinfo="value+percent initial",
            texttemplate=f"%{{value:{PLOTLY_NUMBER}}} (%{{percentInitial:.1%}})",
        )
    )
    fig.update_layout(title="Users reaching each step", **LAYOUT)
    return _plain(fig)


def sankey_chart(paths: list[JourneyPath]) -> dict[str, Any]:
    """Step i -> step i+1 flows of the top paths, ending in converted / not converted."""
    index: dict[str, int] = {}
    labels: list[str] = []

    def node(label: str) -> int:
        if label not in index:
            index[label] = len(labels)
            labels.append(label)
        return index[label]

    links: dict[tuple[int, int], int] = {}
    for path in paths:
        names = [f"{i + 1}. {step}" for i, step in enumerate(path.steps)]
        for a, b in zip(names, names[1:], strict=False):
            key = (node(a), node(b))
            links[key] = links.get(key, 0) + path.users
        last = node(names[-1])
        for outcome, count in (
            ("Converted", path.conversions),
            ("No conversion", path.users - path.conversions),
        ):
            if count:
                key = (last, node(outcome))
                links[key] = links.get(key, 0) + count
    fig = go.Figure(
        go.Sankey(
            valueformat=PLOTLY_NUMBER,
            node={"label": labels, "pad": 14, "thickness": 14},
            link={
                "source": [k[0] for k in links],
                "target": [k[1] for k in links],
                "value": list(links.values()),
                "color": "rgba(100, 116, 139, 0.35)",
            },
        )
    )
    fig.update_layout(title="Top journeys", **{**LAYOUT, "height": 460})
    return _plain(fig)
