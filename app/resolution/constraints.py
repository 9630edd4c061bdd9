"""Steward decisions as constraints on source records: must-link and cannot-link.

An approval (核实归并) or a manual merge says two records are one customer (must-link); a rejection,
a split and an unmerge say they are not (cannot-link). Every resolution path obeys the standing
ones: a must-link pair is always one customer unless a hard rule now forbids it (then the decision is
suspended and its pair goes back to the steward), a cannot-link pair never is. A rejection lapses
when one of its records changes its identifying fields; the others hold until a steward undoes them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from app.errors import ConflictError
from app.ids import content_hash
from app.resolution.union_find import components

Kind = Literal["must", "cannot"]
MUST: Kind = "must"
CANNOT: Kind = "cannot"
STANDING = "standing"
# What ends a decision: a steward undid it, a hard rule stopped it, its record changed, a later
# decision on the same candidate replaced it.
UNDONE, SUSPENDED, LAPSED, SUPERSEDED = "undone", "suspended", "lapsed", "superseded"

IDENTIFYING_FIELDS = ("name", "cert_type", "cert_no", "phones", "email", "birth_date")


@dataclass(frozen=True, slots=True)
class StewardDecision:
    id: str
    kind: Kind
    left: str
    right: str
    decided_by: str
    decided_at: str
    why: str = ""
    candidate: str | None = None
    event: str | None = None
    # The identifying fields of both records when decided: a rejection lapses when either changes.
    left_fingerprint: str = ""
    right_fingerprint: str = ""
    # Departments whose decision it carries (organisations across local networks).
    departments: tuple[str, ...] = ()
    # A merge found the two customers at one location (the cross-group rule), whichever two records met.
    same_location: bool = False
    status: str = STANDING

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> StewardDecision:
        known = {f for f in cls.__dataclass_fields__}
        values = {k: v for k, v in row.items() if k in known and v is not None}
        values["departments"] = tuple(values.get("departments") or ())
        return cls(**values)

    def row(self) -> dict[str, Any]:
        """The node's properties (lists, not tuples, for the stores)."""
        return {**asdict(self), "departments": list(self.departments)}

    def names(self) -> str:
        return f"{self.id} ({'same' if self.kind == MUST else 'not the same'} customer: {self.left}, {self.right})"


def identity_fingerprint(row: Mapping[str, Any]) -> str:
    """The identifying fields of a source record as given: what a rejection was about."""
    return content_hash({k: row.get(k) for k in IDENTIFYING_FIELDS})


def has_lapsed(decision: StewardDecision, fingerprint_of: Callable[[str], str | None]) -> bool:
    """A rejection holds while both records keep the identifying fields it was made on."""
    if decision.kind != CANNOT or decision.event is not None or decision.candidate is None:
        return False
    if not decision.left_fingerprint:
        return False
    return (
        fingerprint_of(decision.left) != decision.left_fingerprint
        or fingerprint_of(decision.right) != decision.right_fingerprint
    )


@dataclass(slots=True)
class InForce:
    """The decisions a resolution obeys, and those found lapsed on the way."""

    must: list[StewardDecision] = field(default_factory=list)
    cannot: list[StewardDecision] = field(default_factory=list)
    lapsed: list[StewardDecision] = field(default_factory=list)


def in_force(decisions: Iterable[StewardDecision], fingerprint_of: Callable[[str], str | None]) -> InForce:
    found = InForce()
    for decision in decisions:
        if decision.status != STANDING:
            continue
        if has_lapsed(decision, fingerprint_of):
            found.lapsed.append(decision)
        elif decision.kind == MUST:
            found.must.append(decision)
        else:
            found.cannot.append(decision)
    found.must.sort(key=lambda d: (d.decided_at, d.id))
    return found


class Contradiction(ConflictError):
    """A steward action against standing decisions (A=B and B=C against A≠C): refused, naming them."""

    code = "CONTRADICTS_DECISIONS"

    def __init__(self, message: str, decisions: Sequence[StewardDecision]) -> None:
        self.decisions = list(decisions)
        super().__init__(f"{message}: {'; '.join(d.names() for d in decisions)}")


def refuse_joining(records: Iterable[str], standing: Iterable[StewardDecision], *, ignore: str | None = None) -> None:
    """Records about to become one customer must not hold a standing not-the-same decision between
    them (``ignore`` names a candidate whose own keep-apart the action resolves)."""
    together = set(records)
    against = [
        d
        for d in standing
        if d.kind == CANNOT and d.left in together and d.right in together and not (ignore and d.candidate == ignore)
    ]
    if against:
        raise Contradiction("these records were decided to be different customers", against)


def refuse_separating(left: str, right: str, standing: Iterable[StewardDecision]) -> None:
    """Two records about to be declared different customers must not be joined by standing
    same-customer decisions, directly or through others."""
    musts = [d for d in standing if d.kind == MUST]
    keys = {r for d in musts for r in (d.left, d.right)} | {left, right}
    root = components(keys, [(d.left, d.right) for d in musts])
    if root[left] == root[right]:
        joined = [d for d in musts if root[d.left] == root[left]]
        raise Contradiction("these records were decided to be one customer", joined)


def refuse_splitting(chosen: Iterable[str], rest: Iterable[str], standing: Iterable[StewardDecision]) -> None:
    """A split must not separate records a standing decision keeps together."""
    out, kept = set(chosen), set(rest)
    against = [
        d
        for d in standing
        if d.kind == MUST and ((d.left in out and d.right in kept) or (d.right in out and d.left in kept))
    ]
    if against:
        raise Contradiction("the split separates records decided to be one customer", against)
