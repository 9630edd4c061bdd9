"""Print the API's schema in SDL: `python -m schema.export > schema.graphql` (committed, diffed by a test)."""

from __future__ import annotations

from schema.root import build_schema


def sdl() -> str:
    return build_schema().as_str() + "\n"


if __name__ == "__main__":
    print(sdl(), end="")
