"""API keys made, listed and revoked by real `c360 keys` processes, followed by a running app that
reads the real key file: no restart, expiry, and bad entries skipped with one log line each."""

from __future__ import annotations

import logging
import tomllib
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from app.access import Unauthenticated
from app.api.app import create_app
from app.api_keys import KeyRing, expiry_of, hash_key
from app.clock import FixedClock
from app.settings import Settings
from app.store import Store
from tests.conftest import c360

QUERY = {"query": '{ searchCustomers(text: "张伟") { totalCount } }'}


@pytest.fixture
def keys_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The key file both the `c360` processes and the app use."""
    path = tmp_path / "api_keys.toml"
    monkeypatch.setenv("C360_API_KEYS_FILE", str(path))
    return path


def served(store: Store, keys_file: Path) -> httpx.AsyncClient:
    app = create_app(store=store, settings=Settings(api_keys_file=keys_file))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


async def ask(client: httpx.AsyncClient, key: str) -> httpx.Response:
    return await client.post("/graphql", json=QUERY, headers={"Authorization": f"Bearer {key}"})


async def test_keys_added_and_revoked_take_effect_without_a_restart(store: Store, keys_file: Path) -> None:
    async with served(store, keys_file) as client:
        assert (await ask(client, "c360_not-yet")).status_code == 401
        added = c360(store, "keys", "add", "desk-app", "--role", "service_hall", "--no-rate-limit")
        assert added.returncode == 0, added.stderr
        key = added.stdout.strip()
        assert key.startswith("c360_")
        answer = await ask(client, key)
        assert answer.status_code == 200 and answer.json()["data"]["searchCustomers"]["totalCount"] == 0

        manager = c360(store, "keys", "add", "am-1001", "--role", "account_manager", "--employee", "E1001")
        assert manager.returncode == 0, manager.stderr
        assert (await ask(client, manager.stdout.strip())).status_code == 200

        listed = c360(store, "keys", "list")
        assert listed.returncode == 0, listed.stderr
        assert "desk-app" in listed.stdout and "service_hall" in listed.stdout and "exempt" in listed.stdout
        assert "am-1001" in listed.stdout and "E1001" in listed.stdout and "account_manager" in listed.stdout
        stored = tomllib.loads(keys_file.read_text(encoding="utf-8"))["keys"]
        for secret in (key, manager.stdout.strip(), hash_key(key), stored["am-1001"]["sha256"]):
            assert secret not in listed.stdout
        assert key not in keys_file.read_text(encoding="utf-8")
        assert keys_file.stat().st_mode & 0o777 == 0o600

        revoked = c360(store, "keys", "revoke", "desk-app")
        assert revoked.returncode == 0, revoked.stderr
        refused = await ask(client, key)
        assert refused.status_code == 401
        assert refused.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert (await ask(client, manager.stdout.strip())).status_code == 200
        assert "desk-app" not in c360(store, "keys", "list").stdout


async def test_keys_add_refuses_what_would_make_a_bad_key(store: Store, keys_file: Path) -> None:
    unbound = c360(store, "keys", "add", "am-x", "--role", "account_manager")
    assert unbound.returncode == 2 and "--employee" in unbound.stderr
    unknown = c360(store, "keys", "add", "x", "--role", "janitor")
    assert unknown.returncode == 2 and "unknown role 'janitor'" in unknown.stderr
    bad_expiry = c360(store, "keys", "add", "x", "--role", "hotline", "--expires", "next tuesday")
    assert bad_expiry.returncode == 2 and "'next tuesday'" in bad_expiry.stderr
    assert c360(store, "keys", "add", "twice", "--role", "hotline").returncode == 0
    again = c360(store, "keys", "add", "twice", "--role", "hotline")
    assert again.returncode == 2 and "exists already" in again.stderr
    missing = c360(store, "keys", "revoke", "nobody")
    assert missing.returncode == 2 and "no key named nobody" in missing.stderr


async def test_a_key_expires_at_its_time(store: Store, keys_file: Path, fixed_clock: FixedClock) -> None:
    # The fixed clock is 2026-11-30T23:30+08:00; a day means the key works through that day.
    added = c360(store, "keys", "add", "temp", "--role", "hotline", "--expires", "2026-11-30")
    assert added.returncode == 0, added.stderr
    async with served(store, keys_file) as client:
        assert (await ask(client, added.stdout.strip())).status_code == 200
        fixed_clock.advance(timedelta(minutes=30))
        refused = await ask(client, added.stdout.strip())
    assert refused.status_code == 401
    error = refused.json()["errors"][0]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert error["message"] == "API key temp expired at 2026-12-01T00:00:00.000+08:00"


def test_an_expiry_is_a_day_or_an_instant() -> None:
    assert expiry_of("2026-11-30") == "2026-11-30T16:00:00.000Z"
    assert expiry_of("2026-11-30T12:00:00Z") == "2026-11-30T12:00:00.000Z"
    assert expiry_of("2026-11-30T12:00:00+08:00") == "2026-11-30T04:00:00.000Z"


async def test_bad_entries_are_skipped_with_one_line_each_and_never_stop_the_api(
    store: Store, keys_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    good = "c360_good-key"
    keys_file.write_text(
        f"""
[keys.good]
role = "hotline"
sha256 = "{hash_key(good)}"

[keys.janitor]
role = "janitor"
sha256 = "{hash_key("j")}"

[keys.no-hash]
role = "hotline"

[keys.bad-expiry]
role = "hotline"
sha256 = "{hash_key("e")}"
expires = "soon"

[keys.unbound-manager]
role = "account_manager"
sha256 = "{hash_key("m")}"
""",
        encoding="utf-8",
    )
    with caplog.at_level(logging.ERROR, logger="app.api_keys"):
        async with served(store, keys_file) as client:
            assert (await ask(client, good)).status_code == 200
            for refused in ("j", "e", "m"):
                assert (await ask(client, refused)).status_code == 401
            lines = [r.getMessage() for r in caplog.records if r.name == "app.api_keys"]
            assert len(lines) == 4, lines
            for name, reason in [
                ("janitor", "unknown role 'janitor'"),
                ("no-hash", "missing or malformed sha256"),
                ("bad-expiry", "expiry 'soon'"),
                ("unbound-manager", "role account_manager needs an employee"),
            ]:
                assert any(f"key '{name}' skipped" in line and reason in line for line in lines), (name, lines)
            # A file that is not TOML at all (half-written by hand) keeps the keys read before.
            keys_file.write_text("[keys.good\nrole = ", encoding="utf-8")
            assert (await ask(client, good)).status_code == 200
            assert any("unreadable, keeping the keys read before" in r.getMessage() for r in caplog.records)
    # `c360 keys list` shows the good keys and says which entries it skipped, and why.
    keys_file.write_text(f'[keys.good]\nrole = "hotline"\nsha256 = "{hash_key(good)}"\n[keys.j]\nrole = "x"\n')
    listed = c360(store, "keys", "list")
    assert listed.returncode == 0 and "good" in listed.stdout and "key 'j' skipped" in listed.stderr


def test_no_key_file_means_no_key(tmp_path: Path) -> None:
    assert KeyRing.holding("k", "n", "hotline").authenticate("k").role == "hotline"
    with pytest.raises(Unauthenticated):
        KeyRing.watching(tmp_path / "none.toml").authenticate("k")
