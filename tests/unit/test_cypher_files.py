"""Every Cypher file is used, and every used name has a file (checked at import by `cypher()`)."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

from app.store.queries import declared_names, file_names

ROOT = Path(__file__).resolve().parents[2]
CODE_DIRS = ["app", "schema", "loaders", "demo", "tests"]
USE = re.compile(r"""(?<![\w])cypher\(\s*["']([\w/.-]+)["']\s*\)""")


def referenced_names() -> set[str]:
    names: set[str] = set()
    for folder in CODE_DIRS:
        for path in (ROOT / folder).rglob("*.py"):
            names.update(USE.findall(path.read_text(encoding="utf-8")))
    return names


def import_everything() -> None:
    for package in ("app", "schema", "loaders"):
        module = importlib.import_module(package)
        for info in pkgutil.walk_packages(module.__path__, prefix=f"{package}."):
            importlib.import_module(info.name)


def test_every_cypher_file_is_referenced_by_code() -> None:
    """Names built in code (one upsert file per record kind) count once their module has loaded them."""
    import_everything()
    unused = file_names() - file_names("analytics") - referenced_names() - declared_names()
    assert not unused, f"Cypher files nothing uses: {sorted(unused)}"


def test_every_module_imports_and_declares_only_existing_files() -> None:
    import_everything()
    assert declared_names() <= file_names()
    assert referenced_names() - {"customer/does_not_exist"} <= file_names()
