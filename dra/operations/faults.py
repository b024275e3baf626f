"""Fault-injection points the product keeps on purpose, for drills and acceptance tests.

``DRA_FAULT_INJECT`` holds a comma-separated list of fault names; each named step fails
for real when its fault is set. Known faults:

- ``migration``: applying migrations fails before any revision runs (rolled back whole);
- ``pg_dump``: the backup's ``pg_dump`` is asked for a table that does not exist with
  ``--strict-names``, so the real program exits with an error;
- ``disk_full``: writing the backup archive fails with ENOSPC after the dump was read.

Never set it in production; the admin pages show a warning when one is active.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Mapping

FAULT_VARIABLE = "DRA_FAULT_INJECT"
KNOWN_FAULTS = frozenset({"migration", "pg_dump", "disk_full"})


class InjectedFault(RuntimeError):
    """A failure caused on purpose by ``DRA_FAULT_INJECT``."""


def active_faults(env: Mapping[str, str] | None = None) -> frozenset[str]:
    """The fault names set in the environment (unknown names are ignored)."""
    raw = (os.environ if env is None else env).get(FAULT_VARIABLE, "")
    return frozenset(n.strip() for n in raw.split(",") if n.strip()) & KNOWN_FAULTS


def is_active(name: str) -> bool:
    return name in active_faults()


def raise_if(name: str) -> None:
    """Fail now if fault ``name`` is active."""
    if not is_active(name):
        return
    if name == "disk_full":
        raise OSError(
            errno.ENOSPC, f"No space left on device (simulated: {FAULT_VARIABLE}=disk_full)"
        )
    raise InjectedFault(f"simulated {name} failure ({FAULT_VARIABLE}={name})")
