"""Exceptions bouncewise raises on purpose. Anything else escaping is a bug."""

from __future__ import annotations


class BouncewiseError(Exception):
    """Base class."""


class InvalidCode(BouncewiseError, ValueError):
    """A string that is not an SMTP reply code, an enhanced status code or a family of them."""


class InputError(BouncewiseError):
    """Input that could not be read (missing file, unreadable archive, bad JSON event)."""


class LimitExceeded(BouncewiseError):
    """Input over a configured limit (size, MIME depth, part count, line length, time)."""
