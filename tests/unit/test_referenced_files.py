"""Which earlier files a file's rows can name, so a second checking process may take it: the same
records a load in the manifest's order would find, no fewer (a reference refused that the Cypher path
accepts) and no later ones (one accepted that it refuses)."""

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from loaders.checking_process import ADDED_AHEAD, adding_order, referenced_files, refers_to
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


KINDS_OF_A_SOURCE = ["employees", "customers", "accounts", "subscriptions", "bills", "contacts", "cases", "case_events"]


@given(
    st.lists(
        st.tuples(st.sampled_from(["crm", "hall", "web"]), st.sampled_from(KINDS_OF_A_SOURCE)),
        unique=True,
        max_size=16,
    )
)
def test_a_first_load_adds_files_in_an_order_where_every_row_finds_what_the_manifests_order_gives_it(
    files: list[tuple[str, str]],
) -> None:
    entries = [ManifestEntry(source, kind, Path(f"{source}-{kind}")) for source, kind in files]
    order = adding_order(entries)
    assert sorted(order) == list(range(len(entries)))
    ordered = [entries[number] for number in order]
    for position, number in enumerate(order):
        # The same earlier files, by the manifest's numbers: no reference found or lost by the order.
        assert {order[k] for k in referenced_files(ordered, position)} == set(referenced_files(entries, number))
        # Nor did a later file that can name this one's records, or that this one can name, go before it.
        later_ahead = [entries[k] for k in order[:position] if k > number]
        assert not any(refers_to(other, entries[number]) or refers_to(entries[number], other) for other in later_ahead)
    # The files not added ahead keep their order (a later subscriptions file renames an offering last).
    rest = [number for number in order if entries[number].kind not in ADDED_AHEAD]
    assert rest == sorted(rest)


def test_customers_go_ahead_of_the_files_that_cannot_name_them_and_no_further() -> None:
    ordered = [(ENTRIES[number].source, ENTRIES[number].kind) for number in adding_order(ENTRIES)]
    # The hall's employees come after its customers in the manifest: they stay there, and its customers
    # name no manager.
    assert ordered == [
        ("crm", "employees"),
        ("crm", "customers"),
        ("hall", "customers"),
        ("crm", "accounts"),
        ("crm", "subscriptions"),
        ("hall", "contacts"),
        # Behind the files that name employees, ahead of the rest.
        ("hall", "employees"),
        ("crm", "bills"),
        ("hall", "cases"),
        ("hall", "case_events"),
    ]
    ahead = [
        ManifestEntry("crm", "employees", Path("e")),
        ManifestEntry("crm", "accounts", Path("a")),
        ManifestEntry("crm", "customers", Path("c")),
        ManifestEntry("hall", "employees", Path("he")),
        ManifestEntry("crm", "bills", Path("b")),
        ManifestEntry("hall", "customers", Path("hc")),
        ManifestEntry("hall", "contacts", Path("hk")),
    ]
    assert [(ahead[n].source, ahead[n].kind) for n in adding_order(ahead)] == [
        ("crm", "employees"),
        ("hall", "employees"),
        ("hall", "customers"),
        # Behind the crm's accounts, which cannot name them (they come before them in the manifest).
        ("crm", "accounts"),
        ("crm", "customers"),
        ("crm", "bills"),
        ("hall", "contacts"),
    ]
