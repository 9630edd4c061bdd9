"""Logging set-up shared by the CLI and the server."""

from __future__ import annotations

import logging

from rich.console import Console
from rich.logging import RichHandler


def configure(level: str = "INFO") -> None:
    logging.basicConfig(
        level=level.upper(),
        format="%(name)s: %(message)s",
        datefmt="[%X]",
        handlers=[RichHandler(console=Console(stderr=True), show_path=False, rich_tracebacks=False)],
        force=True,
    )
