"""FalkorDB 4.16 crashes (signal 11 in GraphBLAS's matrix product) when two queries traverse the
same relationships at once while a write adds to them, or right after a graph is loaded: a burst of
customer views during a steward's merge could take the embedded store down (every request failing until
it had reloaded its graph). The store runs its queries one at a time on the server (THREAD_COUNT 1); this
test is the burst, and fails with two server threads."""

from __future__ import annotations

import asyncio
import shutil

from app.store import CypherQuery
from app.store.embedded import EmbeddedStore
from tests.conftest import short_tmpdir

BUILD = CypherQuery(
    "test/build_spending_customers",
    "UNWIND range(0, $customers - 1) AS i "
    "CREATE (c:Customer {id: 'c' + toString(i)}) "
    "WITH c, i UNWIND range(0, 1) AS j "
    "CREATE (c)-[:HAS_ACCOUNT]->(a:Account {id: 'a' + toString(i) + '_' + toString(j)}) "
    "WITH a UNWIND range(1, 6) AS m "
    "CREATE (:Bill {month: m, amount: 10.0 * m})-[:BILL_OF]->(a)",
)
SPEND = CypherQuery(
    "test/spend_of_customers",
    "UNWIND $ids AS id MATCH (c:Customer {id: id}) "
    "OPTIONAL MATCH (c)-[:HAS_ACCOUNT]->(:Account)<-[:BILL_OF]-(b:Bill) "
    "RETURN id, sum(b.amount) AS spend",
)
NOTE = CypherQuery(
    "test/note_customers",
    "UNWIND $ids AS id MATCH (c:Customer {id: id}) "
    "CREATE (n:Note {id: id + $round})-[:NOTE_OF]->(c) WITH c CREATE (c)-[:HAS_ACCOUNT]->(:Account {id: 'x'}) "
    "RETURN count(c) AS n",
)


async def test_traversals_beside_a_write_do_not_crash_the_store() -> None:
    folder = short_tmpdir("c360c-")
    store = EmbeddedStore(folder, graph_name="burst", pool_size=8)
    await store.start()
    try:
        customers = 20000
        await store.write(CypherQuery("test/index", "CREATE INDEX FOR (c:Customer) ON (c.id)"))
        await store.write(BUILD, {"customers": customers})
        pages = [[f"c{i}" for i in range(start, start + 2000)] for start in range(0, customers, 2000)]
        for round_ in range(30):
            reads = [store.read(SPEND, {"ids": page}) for page in pages[(round_ % 2) * 4 : (round_ % 2) * 4 + 4]]
            write = store.write(NOTE, {"ids": pages[round_ % 8][:1500], "round": f"@{round_}"})
            answers = await asyncio.gather(*reads, write)
            for page in answers[:4]:
                assert len(page) == 2000 and all(row["spend"] == 420.0 for row in page)
        assert store.down is None
        assert store.server.process is not None and store.server.process.poll() is None
    finally:
        await store.close()
        shutil.rmtree(folder, ignore_errors=True)
