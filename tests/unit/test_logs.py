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


def test_the_filter_leaves_the_drivers_other_messages_to_its_own_handlers() -> None:
    """Debugging the driver (its loggers at DEBUG with their own handler, root at WARNING) still shows
    everything the session logs."""
    quiet_libraries()
    driver = logging.getLogger("neo4j")
    seen: list[tuple[str, str]] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append((record.levelname, record.getMessage()[:20]))

    handler, level, root = Keep(), driver.level, logging.getLogger().level
    driver.addHandler(handler)
    driver.setLevel(logging.DEBUG)
    logging.getLogger().setLevel(logging.WARNING)
    try:
        session = logging.getLogger(NEO4J_SESSION_LOGGER)
        session.debug("[#0000] _: <SESSION> run")
        session.warning("Transaction failed and will be retried in %ss (%s)", 1.0, "DeadlockDetected")
    finally:
        driver.removeHandler(handler)
        driver.setLevel(level)
        logging.getLogger().setLevel(root)
    assert seen == [("DEBUG", "[#0000] _: <SESSION>"), ("INFO", "Transaction failed a")]
