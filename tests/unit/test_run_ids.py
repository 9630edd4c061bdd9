"""Resolution runs begun in one clock tick (a batch run, then a run of the changes) are two runs."""

from app.ids import resolution_run_id


def test_runs_begun_in_one_tick_have_two_ids_that_sort_by_time() -> None:
    at = "2026-12-07T19:07:26.979+08:00"
    first, second = resolution_run_id(at), resolution_run_id(at)
    assert first != second
    assert first.startswith("R" + at) and second.startswith("R" + at)
    assert resolution_run_id("2026-12-07T19:07:26.978+08:00") < min(first, second)
