"""searchCustomers: one box for a name (fuzzy, homophones), a phone, a certificate or its tail.

The text decides the lookup: a phone number goes to the phone index, a full certificate to the
certificate index, four certificate characters to the tail index, anything else to the full-text
index over names and their pinyin (so 张伟 finds 章伟, and one typo in the pinyin is forgiven).
Filters and ranking happen here, over at most a few hundred hits.
"""

from __future__ import annotations

import re

from app.resolution.normalise import normalise_certificate, normalise_name, normalise_phone
from app.store import Store, cypher
from app.store.queries import backend_cypher

BY_PHONE = backend_cypher("search/by_phone")
BY_CERT_TAIL = cypher("search/by_cert_tail")
BY_NAME = backend_cypher("search/by_name")
BY_CERTIFICATE = cypher("view/customers_by_certificate")
CERT_TAIL = re.compile(r"^[0-9Xx]{4}$")
HITS = 500


def full_text_query(backend: str, text: str) -> str:
    """Letters and digits only ever reach the query syntax, so no input can change its meaning."""
    key = normalise_name(text)
    terms = [t for t in dict.fromkeys([key.text, key.pinyin]) if t]
    if not terms:
        return ""
    if backend == "neo4j":
        return " OR ".join(f"{t}~1" if t.isascii() and len(t) > 3 else t for t in terms)
    return "|".join(f"%{t}%" if t.isascii() and len(t) > 3 else t for t in terms)


async def search_ids(store: Store, text: str) -> list[tuple[str, float]]:
    """(customer id, relevance) best first, ties by id, each customer once, before filters: a total
    order, so searchCustomers pages on it without repeating or skipping a hit."""
    return _ranked(await _hits(store, text))


def _ranked(hits: list[tuple[str, float]]) -> list[tuple[str, float]]:
    best: dict[str, float] = {}
    for customer, score in hits:
        best[customer] = max(score, best.get(customer, score))
    return sorted(best.items(), key=lambda hit: (-hit[1], hit[0]))


async def _hits(store: Store, text: str) -> list[tuple[str, float]]:
    text = text.strip()
    phone = normalise_phone(text)
    if phone.valid:
        rows = await store.read(BY_PHONE[store.backend], {"phone": phone.key, "limit": HITS})
        return [(r["id"], 1.0) for r in rows]
    if CERT_TAIL.match(text):
        rows = await store.read(BY_CERT_TAIL, {"tail": text.upper(), "limit": HITS})
        return [(r["id"], 1.0) for r in rows]
    for kind in ("resident_id", "credit_code"):
        cert = normalise_certificate(kind, text)
        if cert.valid:
            rows = await store.read(BY_CERTIFICATE, {"cert_no": cert.number})
            return [(r["id"], 1.0) for r in rows]
    query = full_text_query(store.backend, text)
    if not query:
        return []
    rows = await store.read(BY_NAME[store.backend], {"query": query, "limit": HITS})
    return [(r["id"], float(r["score"])) for r in rows]
