"""Making a report's figures from inputs: ``collect`` reads them into an Aggregator, ``build``
returns the finished figures (a JSON-ready dict)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bouncewise.report.aggregate import Aggregator
from bouncewise.report.inputs import Progress, read_into, read_store


def collect(
    sources: Iterable[str],
    *,
    db: str | None = None,
    limits: Any = None,
    jobs: int = 1,
    max_addresses: int = 10_000,
    progress: Progress | None = None,
) -> Aggregator:
    """Read every source (messages, logs or NDJSON; see bouncewise.report.inputs) and the
    store at ``db`` when given. Raises inputs.StoreUnavailable for ``db`` without a store."""
    agg = Aggregator(max_addresses=max_addresses)
    if db:
        read_store(agg, db, progress)
    for src in sources:
        read_into(agg, src, limits=limits, jobs=jobs, progress=progress)
    return agg


def build(sources: Iterable[str], **kw: Any) -> dict[str, Any]:
    """The report's figures for ``sources`` (keywords as for ``collect``)."""
    return collect(sources, **kw).finish()


def build_from_records(records: Iterable[Any], *, name: str = "records", max_addresses: int = 10_000) -> dict[str, Any]:
    """The figures for records already in hand (Record objects or their dicts)."""
    agg = Aggregator(max_addresses=max_addresses)
    for r in records:
        agg.add(r if isinstance(r, dict) else r.to_dict())
    agg.add_input(name, "records")
    return agg.finish()
