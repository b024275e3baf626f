#!/usr/bin/env python3
"""Bootstrap for a fresh machine: make .venv, install the project, then run `dra ARGS`.

    python3 manage.py run     # the platform
    python3 manage.py test    # every test

Only Python 3.11+ is needed. The install is repeated only when pyproject.toml changes.
"""

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("DRA_VENV", ROOT / ".venv"))
STAMP = VENV / ".dra-installed"


def main() -> int:
    if sys.version_info < (3, 11):  # noqa: UP036 - this file runs on any python3
        print("dra: Python 3.11 or newer is needed", file=sys.stderr)
        return 2
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    python = VENV / "bin" / "python"
    if not python.exists():
        print(f"dra: creating virtual environment in {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    if not STAMP.exists() or STAMP.read_text() != digest:
        print(
            "dra: installing the project and its dependencies (first run: a minute or two)",
            flush=True,
        )
        subprocess.check_call(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "-e",
                f"{ROOT}[dev]",
            ],
            cwd=ROOT,
        )
        STAMP.write_text(digest)
    os.execv(str(python), [str(python), "-m", "dra", *sys.argv[1:]])  # noqa: S606


if __name__ == "__main__":
    sys.exit(main())
