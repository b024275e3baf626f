"""Journeys for the data-driven attribution tests: by hand, or drawn by hypothesis."""

from __future__ import annotations

from hypothesis import strategies as st

from dra.attribution.journeys import Journey


def J(path: str, conversions: int, non_conversions: int = 0, value: float | None = None):
    """A journey through ``"paid > email"``; worth its number of conversions unless given."""
    return Journey(
        tuple(path.split(" > ")),
        conversions,
        non_conversions,
        float(conversions if value is None else value),
    )


# up to 6 of 5 channels, up to 3 conversions worth quarter units, up to 4 failures
journey_strategy = st.builds(
    lambda channels, conv, null, unit: Journey(tuple(channels), conv, null, conv * unit / 4),
    st.lists(st.sampled_from("abcde"), min_size=1, max_size=6),
    st.integers(0, 3),
    st.integers(0, 4),
    st.integers(1, 400),
).filter(lambda j: j.journeys > 0)
