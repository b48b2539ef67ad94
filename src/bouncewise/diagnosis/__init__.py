"""Diagnosis: what one SMTP reply (or mail-log line) means.

    >>> from bouncewise.diagnosis import diagnose
    >>> diagnose("550 5.1.1 <a@example.org>: Recipient address rejected: User unknown").reason
    'userunknown'
"""

from __future__ import annotations

from bouncewise.diagnosis.engine import Diagnosis, diagnose

__all__ = ["Diagnosis", "diagnose"]
