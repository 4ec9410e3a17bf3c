"""Print the schema's SDL: `python -m graph.export > graph/schema.graphql` (or `--write`).

graph/schema.graphql is committed; tests/test_graphql.py fails when it differs from this output, so a
registry change that alters the GraphQL contract shows up in review.
"""

from __future__ import annotations

import sys
from pathlib import Path

from .schema import sdl

SCHEMA_FILE = Path(__file__).resolve().parent / "schema.graphql"


def main(argv: list[str]) -> int:
    text = sdl()
    if "--write" in argv:
        SCHEMA_FILE.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
