"""Every Cypher statement that writes either says which customers' views it changes, through the one
shared fragment (view_changed), or says in its header why no view changes. Kept answers are correct
only while every write path does one or the other."""

from __future__ import annotations

import re

import pytest

from app.store.queries import VIEW_CHANGED, _file_text, cypher, expand, file_names

WRITES = re.compile(r"\b(SET|CREATE|MERGE|DELETE|REMOVE)\b")
UNCHANGED = re.compile(r"^// view: unchanged \(.+\)", re.M)
# Folders whose statements never touch customers' views: schema, the graph's own version, test probes.
NOT_VIEWS = ("schema/", "migrate/", "tests/", "contract/")


def _body(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("//"))


WRITE_FILES = sorted(
    name for name in file_names() if not name.startswith(NOT_VIEWS) and WRITES.search(_body(_file_text(name)))
)


def test_there_are_write_statements_to_check() -> None:
    assert {"ingest/customers", "merge/merge_customers", "channel/record_contact"} <= set(WRITE_FILES)


@pytest.mark.parametrize("name", WRITE_FILES)
def test_a_write_says_which_views_it_changes_or_why_none(name: str) -> None:
    text = _file_text(name)
    changes, unchanged = bool(VIEW_CHANGED.search(_body(text))), bool(UNCHANGED.search(text))
    assert changes != unchanged, (
        f"cypher/{name}.cypher: use view_changed(c) for each customer whose view it "
        f"changes, or a header line `// view: unchanged (why)`, not both"
    )


@pytest.mark.parametrize("name", sorted(file_names()))
def test_versions_are_bumped_only_through_the_fragment(name: str) -> None:
    assert not re.search(r"\b(\w+)\.version\s*=\s*\1\.version\s*\+", _file_text(name)), (
        f"cypher/{name}.cypher bumps a version by hand: write view_changed(x)"
    )


def test_the_fragment_expands_to_a_new_version_of_the_named_variable() -> None:
    assert expand("SET view_changed(owner), owner.x = 1") == "SET owner.version = owner.version + 1, owner.x = 1"
    assert "view_changed" not in cypher("resolve/write_customers").text
