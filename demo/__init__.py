"""A synthetic operator for demos, tests and benchmarks: source files of every kind, with the
duplicates, typos and gaps real systems have, and the truth to measure resolution against."""

from demo.operator import DemoSummary, generate

__all__ = ["DemoSummary", "generate"]
