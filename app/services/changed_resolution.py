"""`c360 resolve --changed`: the customer records ingested or changed since the last resolution run,
each placed as incremental resolution places one record (the last batch run's model, the hard rules,
the steward's decisions), so the work is as long as the change, not the graph. A batch run stays the
way to re-estimate the model and to reconsider records that did not change."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import orjson

from app import clock
from app.errors import BadInput
from app.ids import resolution_run_id
from app.rules import Rules
from app.services.incremental import RecordDecision, resolve_records
from app.services.matching import NoModelError
from app.services.resolve import LATEST_RUN, WRITE_RUN
from app.settings import get_settings
from app.store import Store, cypher

CHANGED_SINCE = cypher("resolve/records_changed_since")


@dataclass(slots=True)
class ChangedRun:
    run_id: str
    since: str
    decisions: list[RecordDecision] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def summary(self) -> dict[str, Any]:
        return {
            "run": self.run_id,
            "mode": "changed",
            "changed_since": clock.render(self.since),
            "records": len(self.decisions),
            "decisions": dict(sorted(Counter(d.decision for d in self.decisions).items())),
            "seconds": round(self.seconds, 3),
        }


async def resolve_since_last_run(store: Store, rules: Rules | None = None, limit: int | None = None) -> ChangedRun:
    """Place the records changed since the last run started, and record this run (with the model it
    placed them with) so the next one starts from here. More than ``limit`` (C360_INCREMENTAL_LIMIT)
    is refused before anything is placed: one by one they would take far longer than a batch run."""
    started = time.perf_counter()
    started_at = clock.now_iso()
    last = await store.read(LATEST_RUN)
    if not last or not last[0].get("model"):
        raise NoModelError("no resolution run yet: run `c360 resolve` once before `c360 resolve --changed`")
    since = str(last[0]["since"])
    ids = [row["id"] for row in await store.read(CHANGED_SINCE, {"since": since})]
    limit = get_settings().incremental_limit if limit is None else limit
    if len(ids) > limit:
        raise BadInput(
            f"{len(ids):,} customer records changed since {clock.render(since)}, more than C360_INCREMENTAL_LIMIT "
            f"({limit:,}) to place one by one: run `c360 resolve`",
            [("changed", "over the limit")],
        )
    run = ChangedRun(run_id=resolution_run_id(started_at), since=since)
    run.decisions = await resolve_records(store, ids, rules) if ids else []
    run.seconds = time.perf_counter() - started
    await store.write(
        WRITE_RUN,
        {
            "id": run.run_id,
            "now": clock.now_iso(),
            "started_at": started_at,
            "mode": "changed",
            "summary": orjson.dumps(run.summary).decode(),
            "model": last[0]["model"],
        },
    )
    return run
