"""Any other failure, delay or success notice, read by the generic reader (bouncewise.reader).

Registered last: it reads the notices no decoder of a specific format claimed, from the
signs that mail systems in general put in their notices (see bouncewise/reader/__init__.py).
"""

from __future__ import annotations

from bouncewise.reader import detect as detect
from bouncewise.reader import read as decode
from bouncewise.reader.engines import engine_of as engine
from bouncewise.reader.vocab import FROM_ORIGINAL_NOTE as FROM_ORIGINAL_NOTE
from bouncewise.reader.vocab import MAX_DIAG as MAX_DIAG

NAME = "Fallback"

__all__ = ["NAME", "detect", "decode", "engine", "FROM_ORIGINAL_NOTE", "MAX_DIAG"]
