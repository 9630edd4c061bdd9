"""The trusted documents list: the shipped one is current (regenerating it gives the same file), the
operations are found in docs/api.md's blocks and in a page's script as the page sends them (constants
interpolated, comments, regular expressions), an operation built at run time stops the script, and a
list whose key is not its document's sha256 is refused."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from app.api.trusted_documents import TrustedDocuments, document_hash, read_list
from app.errors import ConfigError
from app.settings import Settings
from tools.trusted_documents import LIST, ROOT, ExtractionError, build, docs_documents, page_documents, render


def test_the_shipped_list_is_current() -> None:
    assert LIST.read_text(encoding="utf-8") == render(build()), (
        "app/config/trusted_documents.json is not current (docs/api.md or the steward page changed): "
        "run `make trusted-documents`"
    )


def test_the_shipped_list_holds_the_docs_and_the_steward_page() -> None:
    documents = TrustedDocuments.load().documents
    listed = json.loads(LIST.read_text(encoding="utf-8"))["documents"]
    assert documents.keys() == listed.keys()
    docs = docs_documents((ROOT / "docs" / "api.md").read_text(encoding="utf-8"))
    page = page_documents((ROOT / "app" / "api" / "steward_page" / "steward.js").read_text(encoding="utf-8"))
    assert docs and page
    for text in docs + page:
        assert documents[hashlib.sha256(text.encode()).hexdigest()] == text


def test_off_by_default() -> None:
    assert Settings(env="development").trusted_documents_only is False
    assert TrustedDocuments.load().only is False


DOCS = """# API

```graphql
query One($id: ID!) { customer(id: $id) { ...Card } }

mutation Two { store { backend } }

fragment Card on Customer { id name }
```

Some text, then a reference of types, which no client runs:

```graphql
type Customer { id: ID! }
```

```graphql
{ store { backend } }
```
"""


def test_each_docs_block_is_a_document_and_each_of_its_operations_too() -> None:
    found = docs_documents(DOCS)
    assert found == [
        DOCS.split("```graphql\n")[1].split("\n```")[0],
        "query One($id: ID!) { customer(id: $id) { ...Card } }\n\nfragment Card on Customer { id name }",
        "mutation Two { store { backend } }",
        "{ store { backend } }",
    ]
    with pytest.raises(ExtractionError, match=r"docs/api.md:3: not GraphQL"):
        docs_documents("x\n\n```graphql\nquery { oops\n```\n")


PAGE = r"""// The page. A comment may say `query { notSent }` or "query($x: Int) { no }" without being sent.
"use strict";
const USER_ERRORS = "userErrors { field message code }";
const CARD = `fragment Card on Customer { id name }`;
const QUEUE = `query($after: String) {
  reviewQueue(first: 50, after: $after) { nodes { id } } }`;
const slash = /`query { notAString }`/g, half = 10 / 2, quote = /["'`]/;
/* a block comment with `mutation { nope }` in it */
async function decide(id) {
  say(`query failed: ${id}`);   // English that begins with a keyword is not an operation
  const json = `{"a": 1}`;
  await gql(`mutation($id: ID!) { approve(id: $id) { ok ${USER_ERRORS} } }`, { id });
  await gql('{ mergeProgress { users } }');
  await gql(`query($id: ID!) { customer(id: $id) { ...Card } } ${CARD}`, { id });
  return gql("query Escaped { a(text: \"\\u5f20\") }");
}
"""


def test_a_pages_operations_are_its_literals_as_it_sends_them() -> None:
    assert page_documents(PAGE) == [
        "query($after: String) {\n  reviewQueue(first: 50, after: $after) { nodes { id } } }",
        "mutation($id: ID!) { approve(id: $id) { ok userErrors { field message code } } }",
        "{ mergeProgress { users } }",
        "query($id: ID!) { customer(id: $id) { ...Card } } fragment Card on Customer { id name }",
        'query Escaped { a(text: "\\u5f20") }',
    ]


@pytest.mark.parametrize(
    "script,says",
    [
        ("gql(`query($id: ID!) { customer(id: ${id}) { id } }`);", "not a constant of the script"),
        ('gql(`{ customer(id: "${state.id}") { id } }`);', "not a constant of the script"),
        (
            "function a() { const F = 'id'; } function b() { const F = 'name'; }\ngql(`{ store { ${F} } }`);",
            "not a constant of the script",
        ),
        ("const F = 'x' + y;\ngql(`query { a { ${F} } }`);", "not a constant of the script"),
        ("gql(`query { customer { ...Card } }` + CARD);", "spreads Card, not defined in its text"),
        ("gql('query { customer(id: \"x\") { ' + FIELDS + ' } }');", "not GraphQL"),
        ("const x = `a", "does not end"),
    ],
)
def test_an_operation_built_at_run_time_stops_the_script(script: str, says: str) -> None:
    with pytest.raises(ExtractionError, match=says):
        page_documents(script)


def test_a_list_whose_key_is_not_its_documents_hash_is_refused(tmp_path: Path) -> None:
    text = "{ store { backend } }"
    good = document_hash(text)
    assert read_list(json.dumps({"documents": {good: {"document": text}}}), "ours") == {good: text}
    apollo = {"format": "apollo-persisted-query-manifest", "version": 1, "operations": [{"id": good, "body": text}]}
    assert read_list(json.dumps(apollo), "apollo") == {good: text}
    assert read_list(json.dumps({good: text}), "plain") == {good: text}
    for bad in (
        {"documents": {good: {"document": text + " "}}},
        {"documents": {good.upper(): {"document": text}}},
        {"operations": [{"id": "1" * 64, "body": text}]},
        {good: ""},
    ):
        with pytest.raises(ConfigError):
            read_list(json.dumps(bad), "bad")
    extra = tmp_path / "mine.json"
    wrong = good[:-1] + ("1" if good[-1] != "1" else "2")
    extra.write_text(json.dumps({"documents": {wrong: {"document": text}}}))
    with pytest.raises(ConfigError, match="mine.json"):
        TrustedDocuments.load(extra=extra)
