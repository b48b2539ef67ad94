"""The job runner (bouncewise.jobs): the automatic number of processes keeps a short input
in this process and spreads a long one over the usable cores, output identical and in order."""

from __future__ import annotations

from pathlib import Path

import pytest

from bouncewise import jobs, pipeline

FIX = Path(__file__).parent / "fixtures" / "bounces"


@pytest.fixture
def pools(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The max_workers of every process pool started during the test."""
    from concurrent.futures import ProcessPoolExecutor

    started: list[int] = []
    real_init = ProcessPoolExecutor.__init__

    def init(self, max_workers=None, *a, **kw):
        started.append(max_workers)
        real_init(self, max_workers, *a, **kw)

    monkeypatch.setattr(ProcessPoolExecutor, "__init__", init)
    return started


def _rows(**kw) -> list[tuple]:
    return [(r.file, r.index, r.kind, r.recipient, r.reason) for recs in pipeline.analyse_all([FIX] * 3, **kw) for r in recs]


def test_automatic_jobs_start_workers_only_after_enough_messages(monkeypatch, pools) -> None:
    one = _rows(jobs=1)
    assert len(one) > 20 and pools == []
    monkeypatch.setattr(jobs, "usable_cores", lambda: 2)
    monkeypatch.setattr(jobs, "AUTO_AFTER", 5)
    assert _rows(jobs=None, batch_size=2) == one
    assert pools == [1]  # two processes: this one and one worker
    pools.clear()
    monkeypatch.setattr(jobs, "AUTO_AFTER", 10_000)  # the input is shorter: no pool
    assert _rows(jobs=None) == one and pools == []


def test_automatic_jobs_on_one_core_stay_here(monkeypatch, pools) -> None:
    monkeypatch.setattr(jobs, "usable_cores", lambda: 1)
    monkeypatch.setattr(jobs, "AUTO_AFTER", 1)
    assert _rows(jobs=None) == _rows(jobs=1) and pools == []


def test_usable_cores_is_at_least_one() -> None:
    assert jobs.usable_cores() >= 1


def test_cli_default_is_automatic(monkeypatch) -> None:
    from click.testing import CliRunner

    from bouncewise.cli import main

    seen: list = []
    real = pipeline.render_all

    def spy(*a, **kw):
        seen.append(kw.get("jobs"))
        return real(*a, **kw)

    monkeypatch.setattr(pipeline, "render_all", spy)
    res = CliRunner().invoke(main, ["parse", "-q", "--format", "ndjson", str(FIX / "dsn-delayed.eml")])
    assert res.exit_code == 0 and seen == [None]
    res = CliRunner().invoke(main, ["parse", "-q", "--jobs", "2", str(FIX / "dsn-delayed.eml")])
    assert seen[-1] == 2


def test_the_collector_paused_for_start_up_is_running_again_after_any_parse() -> None:
    import gc

    from click.testing import CliRunner

    from bouncewise.cli import main

    assert gc.isenabled()
    paused: list[bool] = []
    real = jobs._first_without_gc

    def spy(*a, **kw):
        paused.append(not gc.isenabled())
        return real(*a, **kw)

    jobs._first_without_gc = spy
    try:
        for args in (["parse", "-q", str(FIX / "dsn-delayed.eml")], ["parse", "--format", "nope", "x"], ["parse", "--help"]):
            res = CliRunner().invoke(main, args)
            assert res.exit_code in (0, 2) and gc.isenabled(), args
    finally:
        jobs._first_without_gc = real
    assert paused == [True]  # the first message of the run was analysed with it paused
