"""`c360 check` holds after every command a user runs, through real `c360` processes on both stores:
records and holdings loaded before the first batch run are reported as awaiting resolution, not as
violations, and holdings loaded after their customers hang on them at once."""

from __future__ import annotations

from pathlib import Path

from app.store import Store
from tests.conftest import c360
from tests.identities import resident_id

CUSTOMERS = (
    "source_id,name,cert_type,cert_no,phones,local_network,segment\n"
    f"C1,林检查,resident_id,{resident_id(901)},13300009011,0591,individual\n"
    f"C2,林检查,resident_id,{resident_id(901)},13300009011,0591,individual\n"
    f"C3,黄检查,resident_id,{resident_id(902)},13300009021,0591,individual\n"
)
CONTACTS = (
    "source_id,channel,kind,at,customer_source_id,summary\n"
    "K1,service_hall,query,2026-11-30T10:00:00+08:00,C1,bill\n"
    "K2,hotline,complaint,2026-11-30T11:00:00+08:00,C3,signal\n"
)


def test_check_holds_after_every_command(store: Store, tmp_path: Path) -> None:
    customers = tmp_path / "customers.csv"
    customers.write_text(CUSTOMERS, encoding="utf-8")
    contacts = tmp_path / "contacts.csv"
    contacts.write_text(CONTACTS, encoding="utf-8")
    later = tmp_path / "later_contacts.csv"
    later.write_text(CONTACTS.replace("K1,", "K3,").replace("K2,", "K4,"), encoding="utf-8")
    steps = [
        ("ingest", str(customers), "--source", "hall", "--kind", "customers"),
        ("ingest", str(contacts), "--source", "hall", "--kind", "contacts"),
        ("resolve",),
        ("ingest", str(later), "--source", "hall", "--kind", "contacts"),
    ]
    waiting = []
    for step in steps:
        done = c360(store, *step)
        assert done.returncode in (0,), (step, done.stdout, done.stderr)
        checked = c360(store, "check")
        assert checked.returncode == 0, (step, checked.stdout, checked.stderr)
        assert "FAIL" not in checked.stdout
        waiting.append([line for line in checked.stdout.splitlines() if line.startswith("wait")])
    assert any("3 SourceRecord" in line for line in waiting[0]), waiting[0]
    assert any("2 Contact" in line for line in waiting[1]), waiting[1]
    assert waiting[2] == [] and waiting[3] == []
