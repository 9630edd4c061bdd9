"""What the libraries log through c360's logging set-up."""

from __future__ import annotations

import logging

import pytest

from app.logs import NEO4J_SESSION_LOGGER, quiet_libraries


def test_a_transaction_the_neo4j_driver_retries_is_told_at_info_and_other_warnings_stay(
    caplog: pytest.LogCaptureFixture,
) -> None:
    quiet_libraries()
    session = logging.getLogger(NEO4J_SESSION_LOGGER)
    with caplog.at_level(logging.INFO):
        session.warning("Transaction failed and will be retried in %ss (%s)", 1.02, "DeadlockDetected")
        session.warning("Failed to read from defunct connection")
    assert [(r.levelname, r.getMessage()[:30]) for r in caplog.records] == [
        ("INFO", "Transaction failed and will be"),
        ("WARNING", "Failed to read from defunct co"),
    ]
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        session.warning("Transaction failed and will be retried in %ss (%s)", 1.02, "DeadlockDetected")
    assert caplog.records == []
