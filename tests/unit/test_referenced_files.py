"""Which earlier files a file's rows can name, so a second checking process may take it: the same
records a load in the manifest's order would find, no fewer (a reference refused that the Cypher path
accepts) and no later ones (one accepted that it refuses)."""

from pathlib import Path

from loaders.checking_process import referenced_files
from loaders.manifest import ManifestEntry

ENTRIES = [
    ManifestEntry("crm", "employees", Path("e")),
    ManifestEntry("crm", "customers", Path("c")),
    ManifestEntry("crm", "accounts", Path("a")),
    ManifestEntry("hall", "customers", Path("hc")),
    ManifestEntry("crm", "subscriptions", Path("s")),
    ManifestEntry("hall", "contacts", Path("hk")),
    ManifestEntry("crm", "bills", Path("b")),
    ManifestEntry("hall", "employees", Path("he")),
    ManifestEntry("hall", "cases", Path("hs")),
    ManifestEntry("hall", "case_events", Path("hv")),
]


def test_a_file_refers_to_the_earlier_files_of_its_source_of_the_kinds_it_names() -> None:
    found = {(ENTRIES[n].source, ENTRIES[n].kind): referenced_files(ENTRIES, n) for n in range(len(ENTRIES))}
    assert found[("crm", "employees")] == ()
    assert found[("crm", "customers")] == (0,)  # the manager
    assert found[("crm", "accounts")] == (1,)
    assert found[("hall", "customers")] == ()  # the hall's employees come later: not yet loaded
    assert found[("crm", "subscriptions")] == (1, 2)
    assert found[("crm", "bills")] == (2,)


def test_a_contact_refers_to_every_earlier_subscriptions_file_whatever_its_source() -> None:
    assert referenced_files(ENTRIES, 5) == (3, 4)  # its own source's customers, the crm's service numbers


def test_a_file_never_refers_to_a_later_one() -> None:
    for number in range(len(ENTRIES)):
        assert all(earlier < number for earlier in referenced_files(ENTRIES, number))
    assert referenced_files(ENTRIES, 8) == (3, 7)  # the hall's customers and employees before it
    assert referenced_files(ENTRIES, 9) == (7, 8)
    upside_down = [ManifestEntry("crm", "accounts", Path("a")), ManifestEntry("crm", "customers", Path("c"))]
    assert referenced_files(upside_down, 0) == ()
