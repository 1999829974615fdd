"""Writes schemas/<key>.schema.json from where each part of the config schema lives (the kinds'
fragments beside components/kinds/*, the other sections in components/sections/); see
components/config_schema.py. `--check` only says which files are out of date (exit 1)."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from components import config_schema  # noqa: E402


def main() -> int:
    if "--check" in sys.argv[1:]:
        stale = config_schema.stale()
        for name in stale:
            print(f"schemas/{name} is out of date: run python scripts/schemas.py", file=sys.stderr)
        return 1 if stale else 0
    for name in config_schema.write():
        print(f"wrote schemas/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
