"""Server settings: limits and CORS. Read from the environment so that every uvicorn worker
process of ``bouncewise serve --workers N`` gets the same values."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from typing import Any

ENV_PREFIX = "BOUNCEWISE_"


@dataclass(frozen=True, slots=True)
class Settings:
    max_body: int = 10 * 1024 * 1024  # bytes of request body
    timeout: float = 10.0  # seconds per request (503 when over)
    max_concurrency: int = 256  # requests in progress per worker process (503 when over)
    threads: int = 4  # worker threads for the engine's CPU work, per process
    max_items: int = 1000  # replies in one /v1/diagnose list
    max_text: int = 20_000  # characters of one reply given to diagnose()
    cors_origins: tuple[str, ...] = field(default_factory=tuple)  # empty: CORS off

    def with_overrides(self, **overrides: Any) -> Settings:
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(ENV_PREFIX + f.name.upper())
            if raw is None or raw == "":
                continue
            if f.name == "cors_origins":
                values[f.name] = tuple(o.strip() for o in raw.split(",") if o.strip())
            elif f.name == "timeout":
                values[f.name] = float(raw)
            else:
                values[f.name] = int(raw)
        return cls(**values)

    def to_env(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[ENV_PREFIX + f.name.upper()] = ",".join(value) if f.name == "cors_origins" else str(value)
        return out
