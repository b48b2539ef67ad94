"""Times of records: what the store files a record under (``occurred_at``, always UTC)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def aware(dt: datetime) -> datetime:
    """UTC, timezone-aware (SQLite gives naive datetimes back; they are UTC here)."""
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def occurred(timestamp: str | None, now: datetime) -> datetime:
    """The time a record's ``timestamp`` names (ISO 8601, RFC 5322, or a syslog time without
    a year, taken as the latest such time not after ``now``), else ``now``."""
    text = (timestamp or "").strip()[:100]
    if not text:
        return now
    try:
        return aware(datetime.fromisoformat(text))
    except ValueError:
        pass
    try:
        parsed = datetime.strptime(" ".join(text.split()), "%b %d %H:%M:%S")
    except ValueError:
        parsed = None
    if parsed is not None:
        dt = parsed.replace(year=now.year, tzinfo=UTC)
        if dt > now + timedelta(days=1):
            dt = dt.replace(year=now.year - 1)
        return dt
    try:
        return aware(parsedate_to_datetime(text))
    except (TypeError, ValueError, IndexError, OverflowError):
        return now
