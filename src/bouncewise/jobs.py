"""The job runner: a function over batches of messages, in this process or in a pool of
forked worker processes, results in input order and memory flat however long the input.

With ``jobs`` > 1 there are ``jobs - 1`` workers, and this process takes a batch itself
whenever the workers have enough queued rather than wait for them; at most a few batches
per worker are in flight. A worker that dies (killed, out of memory) loses nothing: its
batch is done again here, and so is the rest of the run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from bouncewise.deadline import alarm_scope
from bouncewise.messages import Limits, RawMessage

_BATCH_BYTES = 4 * 1024 * 1024  # a batch also ends when its messages add up to this


def batches(raws: Iterator[RawMessage], size: int) -> Iterator[list[RawMessage]]:
    """Lists of up to ``size`` messages (fewer when they add up to _BATCH_BYTES)."""
    batch: list[RawMessage] = []
    held = 0
    for raw in raws:
        batch.append(raw)
        held += raw.size
        if len(batch) >= size or held >= _BATCH_BYTES:
            yield batch
            batch = []
            held = 0
    if batch:
        yield batch


# With jobs=None (automatic), the messages analysed here before workers are started: a
# short input is done before a pool would have paid for itself.
AUTO_AFTER = 300


def usable_cores() -> int:
    """The CPUs this process may run on (its affinity mask where the system has one)."""
    import os

    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - platforms without affinity
        return max(1, os.cpu_count() or 1)


def run(
    source: Any, limits: Limits, jobs: int | None, batch_size: int, work: Callable[..., list[Any]], args: tuple[Any, ...]
) -> Iterator[Any]:
    """``work(batch, limits, *args)`` over the batches of ``source``, results in input order.
    With ``jobs`` > 1: ``jobs - 1`` worker processes, and this process takes a batch itself
    whenever the workers have enough queued, rather than wait for them. ``jobs`` None:
    one process for the first AUTO_AFTER messages, then as many as usable_cores() for the
    rest when there is more."""
    from bouncewise.messages import iter_messages

    raws = iter_messages(source, limits)
    first = _first_without_gc(raws, limits, work, args)
    if first is not None:
        yield from first
    if jobs is None:
        cores = usable_cores()
        if cores > 1:
            with alarm_scope():
                done = 0
                for raw in raws:
                    yield from work([raw], limits, *args)
                    done += 1
                    if done >= AUTO_AFTER:
                        break
                else:
                    return
            yield from _pool(raws, limits, cores, batch_size, work, args)
            return
        jobs = 1
    if jobs <= 1:
        with alarm_scope():
            for raw in raws:
                yield from work([raw], limits, *args)
        return
    yield from _pool(raws, limits, jobs, batch_size, work, args)


# Set when the CLI paused the cyclic garbage collector for its start-up and left it to this
# module to resume it once the first message is done (resume_gc).
_RESUME_GC = False


def resume_gc_later() -> None:
    """The caller has paused the collector (gc.disable): resume it after the first message
    of the next run, or at resume_gc(), whichever comes first."""
    global _RESUME_GC
    _RESUME_GC = True


def resume_gc() -> None:
    """Resume the collector if resume_gc_later() asked for it."""
    global _RESUME_GC
    if _RESUME_GC:
        _RESUME_GC = False
        import gc

        gc.enable()


def _first_without_gc(raws: Iterator[RawMessage], limits: Limits, work: Callable[..., list[Any]], args: tuple[Any, ...]) -> list[Any] | None:
    """The results of the first message, analysed with the cyclic garbage collector paused:
    the first message loads what every later one uses (decoders, tables, the knowledge
    base), tens of thousands of objects that live to the end of the process, and the
    collector would otherwise walk them again and again while they are made."""
    import gc

    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        with alarm_scope():
            for raw in raws:
                return work([raw], limits, *args)
    finally:
        if paused:
            gc.enable()
        resume_gc()
    return None


def _pool(
    raws: Iterator[RawMessage], limits: Limits, jobs: int, batch_size: int, work: Callable[..., list[Any]], args: tuple[Any, ...]
) -> Iterator[Any]:
    import multiprocessing
    from collections import deque
    from concurrent.futures import Future, ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    try:
        ctx = multiprocessing.get_context("fork")
    except ValueError:  # pragma: no cover - platforms without fork
        ctx = multiprocessing.get_context()
    else:
        from bouncewise.pipeline import warm

        warm()  # forked workers then start with the tables loaded (shared, copy-on-write)
    workers = jobs - 1
    queued = workers * 2  # batches queued per worker before this process takes one itself
    window = jobs * 4  # batches held in all (results wait here to come out in order)
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool, alarm_scope():
        # (Future, batch) for a worker's batch; (None, results) for one done here
        pending: deque[tuple[Future[list[Any]] | None, Any]] = deque()
        broken = False  # a worker died (killed, out of memory): the rest is done here

        def out(item: tuple[Future[list[Any]] | None, Any]) -> list[Any]:
            nonlocal broken
            future, held = item
            if future is None:
                return held
            try:
                return future.result()
            except BrokenProcessPool:
                broken = True
                return work(held, limits, *args)  # nothing is lost: the batch is done again here

        def running() -> int:
            return sum(1 for f, _ in pending if f is not None and not f.done())

        for batch in batches(raws, batch_size):
            while pending and (pending[0][0] is None or pending[0][0].done()):
                yield from out(pending.popleft())
            future = None
            if not broken and running() < queued:
                try:
                    future = pool.submit(work, batch, limits, *args)
                except BrokenProcessPool:
                    broken = True
            pending.append((future, batch) if future is not None else (None, work(batch, limits, *args)))
            while len(pending) >= window:
                yield from out(pending.popleft())
        while pending:
            yield from out(pending.popleft())
