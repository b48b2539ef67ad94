"""Hashed addresses: with ``--hash-addresses`` the store keeps HMAC-SHA256 digests of the
recipient, original recipient and sender instead of the addresses, and replaces the
recipient where it appears in the diagnostic text, explanation, evidence and error."""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from typing import Any

ENV_KEY = "BOUNCEWISE_HMAC_KEY"
PREFIX = "hmac:"


def normalise(address: str | None) -> str | None:
    if not address:
        return None
    a = address.strip().strip("<>").strip().lower()
    return a[:320] or None


class Hasher:
    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError(f"the HMAC key ({ENV_KEY}) must be at least 16 bytes")
        self._key = key

    @classmethod
    def from_env(cls) -> Hasher:
        key = os.environ.get(ENV_KEY, "")
        if not key:
            raise ValueError(f"hashed addresses need a key: set {ENV_KEY} (16 bytes or more)")
        return cls(key.encode())

    @property
    def fingerprint(self) -> str:
        """Names the key without revealing it (stored, so a store is never fed two keys)."""
        return hmac.new(self._key, b"bouncewise key fingerprint", hashlib.sha256).hexdigest()[:16]

    def address(self, address: str | None) -> str | None:
        a = normalise(address)
        if a is None:
            return None
        return PREFIX + hmac.new(self._key, a.encode("utf-8", "replace"), hashlib.sha256).hexdigest()

    def row(self, d: dict[str, Any]) -> dict[str, Any]:
        """A record dict with its addresses hashed (in place; returned)."""
        rcpt = d.get("recipient")
        for name in ("recipient", "original_recipient", "addresser"):
            if d.get(name):
                d[name] = self.address(d[name])
        if rcpt:
            pattern = re.compile(re.escape(rcpt.strip().strip("<>")), re.IGNORECASE)
            digest = d["recipient"]
            for name in ("diagnosticcode", "explanation", "error", "subject"):
                if d.get(name):
                    d[name] = pattern.sub(digest, d[name])
            if d.get("evidence"):
                d["evidence"] = _replace(d["evidence"], pattern, digest)
        return d


def _replace(value: Any, pattern: re.Pattern[str], digest: str) -> Any:
    if isinstance(value, str):
        return pattern.sub(digest, value)
    if isinstance(value, list):
        return [_replace(v, pattern, digest) for v in value]
    if isinstance(value, dict):
        return {k: _replace(v, pattern, digest) for k, v in value.items()}
    return value
