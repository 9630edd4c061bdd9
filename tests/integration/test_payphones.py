"""Payphones (公话) merge into their custodian organisation (DOMAIN.md §3.6): a payphone line names its
custodian in `custodian_source_id`; it hangs on the custodian's customer, whoever registered it, keeps
its payphone product type, and the custodian's customer group does not change. Real files, the real
graph on both stores, read through GraphQL."""

from __future__ import annotations

from pathlib import Path

from app.services.invariants import check_invariants
from app.services.resolve import resolve_all
from app.store import Store
from loaders.ingest import ingest_file
from tests.conftest import api_client
from tests.identities import credit_code, resident_id
from tests.integration.test_steward_api import crosswalk

CUSTOMERS = (
    "source_id,name,cert_type,cert_no,phones,local_network,segment\n"
    f"O1,福州公话服务有限公司,credit_code,{credit_code('TE9TQRG11')},059100000001,0591,enterprise\n"
    f"P1,吴登记,resident_id,{resident_id(931)},13300009311,0591,individual\n"
)
LINES = (
    "source_id,customer_source_id,service_no,product_type,status,custodian_source_id\n"
    "L1,P1,059187650001,payphone,active,O1\n"
    "L2,P1,13300009311,mobile,active,\n"
)
VIEW = "query($id: ID!) { customer(id: $id) { customerGroup subscriptions { nodes { serviceNumber productType } } } }"


async def test_a_payphone_hangs_on_its_custodian_organisation(store: Store, tmp_path: Path) -> None:
    (tmp_path / "customers.csv").write_text(CUSTOMERS, encoding="utf-8")
    (tmp_path / "lines.csv").write_text(LINES, encoding="utf-8")
    await ingest_file(store, "hall", "customers", tmp_path / "customers.csv")
    await resolve_all(store)
    summary = await ingest_file(store, "hall", "subscriptions", tmp_path / "lines.csv")
    assert summary.rejected == 0
    owners = await crosswalk(store)
    async with api_client(store, "admin") as admin:
        custodian = (
            await admin.post("/graphql", json={"query": VIEW, "variables": {"id": owners["hall:customers:O1"]}})
        ).json()
        person = (
            await admin.post("/graphql", json={"query": VIEW, "variables": {"id": owners["hall:customers:P1"]}})
        ).json()
    assert custodian["data"]["customer"]["customerGroup"] == "ORGANISATION"
    assert custodian["data"]["customer"]["subscriptions"]["nodes"] == [
        {"serviceNumber": "059187650001", "productType": "PAYPHONE"}
    ]
    assert person["data"]["customer"]["subscriptions"]["nodes"] == [
        {"serviceNumber": "13300009311", "productType": "MOBILE"}
    ]
    await resolve_all(store)
    assert (await check_invariants(store)).ok
