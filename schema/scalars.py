"""The DateTime scalar: every time the API shows or takes.

Stored times are instants in one text form (app/clock.py); the scalar shows them in the operator's
zone with the offset (``2026-11-30T23:30:00.000+08:00``) and takes any ISO-8601 time (a time without
an offset is the operator's wall clock), refusing anything else at validation. Resolvers put what
they take in the stored form (``an_instant``), so a filter compares instants whatever offset a
channel sent.
"""

from __future__ import annotations

from typing import Any, NewType

import strawberry

from app import clock
from app.errors import BadInput
from app.fields import an_instant


def _parse(value: Any) -> str:
    """Checked to be a time, and kept as sent: a service stores it as an instant (and names it as
    sent when it breaks a rule, such as a contact dated next year)."""
    if not isinstance(value, str):
        raise BadInput(f"{value!r} is not a DateTime: an ISO-8601 text, such as 2026-11-30T23:30:00+08:00")
    an_instant(value)  # Invalid, a BadInput: a value a user can correct, whether a variable or in the text
    return value.strip()


DateTime = NewType("DateTime", str)
# The schema's scalar_map (StrawberryConfig): how DateTime is shown and read.
SCALARS: dict[object, Any] = {
    DateTime: strawberry.scalar(
        name="DateTime",
        serialize=clock.render,
        parse_value=_parse,
        description="An instant as ISO-8601 with its offset, shown in the operator's zone "
        "(2026-11-30T23:30:00.000+08:00). A value sent without an offset is read in the operator's zone.",
    )
}
