"""The ``channelattribution`` package (PyPI, GPL-3, a dev dependency only) as a reference.

Its ``transition_matrix`` is exact (counts / totals); its ``markov_model`` estimates the
removal effects by simulating walks of the chain. Tests compare our transition
probabilities with the first to 1e-9 and our exact removal effects with an exact solve
of the package's own matrix; the benchmark runs ``markov_model`` end to end.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterable
from typing import Any

import pandas as pd

from dra.attribution.journeys import Journey

SEP = ">"
START, CONVERSION, NULL = "(start)", "(conversion)", "(null)"


def package() -> Any:
    """The imported module (its import prints a banner: kept out of the output)."""
    with contextlib.redirect_stdout(io.StringIO()):
        import ChannelAttribution

    return ChannelAttribution


def frame(journeys: Iterable[Journey]) -> pd.DataFrame:
    """The package's input: one row per path with its conversions, nulls and value."""
    rows = [j for j in journeys if j.journeys]
    return pd.DataFrame(
        {
            "path": [f" {SEP} ".join(j.channels) for j in rows],
            "conv": [j.conversions for j in rows],
            "null": [j.non_conversions for j in rows],
            "value": [j.value for j in rows],
        }
    )


def transitions(journeys: Iterable[Journey], order: int = 1) -> dict[tuple[Any, Any], float]:
    """(from, to) -> probability from the package, states as tuples of channel names
    (``()`` for start, the strings ``(conversion)`` / ``(null)`` for the ends)."""
    with contextlib.redirect_stdout(io.StringIO()):
        out = package().transition_matrix(
            frame(journeys),
            "path",
            "conv",
            "null",
            order=order,
            sep=SEP,
            flg_equal=False,
            flg_pro=False,
        )
    names = dict(
        zip(out["channels"]["id_channel"].astype(str), out["channels"]["channel_name"], strict=True)
    )

    def state(label: str) -> Any:
        if label == START:
            return ()
        if label in (CONVERSION, NULL):
            return label
        return tuple(names[i] for i in label.split())

    matrix = out["transition_matrix"]
    return {
        (state(a), state(b)): float(p)
        for a, b, p in zip(
            matrix["channel_from"],
            matrix["channel_to"],
            matrix["transition_probability"],
            strict=True,
        )
    }


def markov_model(journeys: Iterable[Journey], **options: Any) -> pd.DataFrame:
    """The package's simulated Markov model: channel_name, total_conversions,
    total_conversion_value."""
    with contextlib.redirect_stdout(io.StringIO()):
        out = package().markov_model(
            frame(journeys),
            "path",
            "conv",
            var_value="value",
            var_null="null",
            sep=SEP,
            verbose=False,
            flg_pro=False,
            **options,
        )
    return out["result"] if isinstance(out, dict) else out
