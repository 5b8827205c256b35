"""The one place the core reads the environment: cache and config dirs, CI detection, the clock.

Every date decision in llm-cost (price DB freshness, the prices in effect, deprecations, billing
periods, calibrate's windows) asks `Settings.now()`; `LLMCOST_NOW` pins it, so tests and
reproducible runs do not depend on the calendar.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import platformdirs

from llmcost_lsp.core.errors import InputError

_TRUTHY = {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    """Process-wide settings. Shells build one with `from_env()`; tests pass their own."""

    cache_dir: Path
    config_dir: Path
    ci: bool = False
    pinned_now: datetime | None = None  # LLMCOST_NOW; None: the system clock
    stale_ok_until: date | None = None  # LLMCOST_STALE_OK_UNTIL: a stale price DB acknowledged

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        cache = env.get("LLMCOST_CACHE_DIR") or platformdirs.user_cache_dir("llm-cost")
        config = env.get("LLMCOST_CONFIG_DIR") or platformdirs.user_config_dir("llm-cost")
        ci = any(env.get(name, "").lower() in _TRUTHY for name in ("CI", "GITHUB_ACTIONS"))
        now = env.get("LLMCOST_NOW", "").strip()
        ok_until = env.get("LLMCOST_STALE_OK_UNTIL", "").strip()
        return cls(
            cache_dir=Path(cache),
            config_dir=Path(config),
            ci=ci,
            pinned_now=parse_instant(now, "LLMCOST_NOW") if now else None,
            stale_ok_until=parse_day(ok_until, "LLMCOST_STALE_OK_UNTIL") if ok_until else None,
        )

    def now(self) -> datetime:
        """The current instant, UTC: the pinned one, else the system clock (read only here)."""
        return self.pinned_now or datetime.now(UTC)

    def clock(self) -> Callable[[], float]:
        """`now()` in Unix seconds, as a function for the runtime ledger's hot paths (a call's
        time, a reservation's expiry): the pinned instant, else the system clock."""
        pinned = self.pinned_now
        return time.time if pinned is None else pinned.timestamp

    def today(self) -> date:
        """Today's date in UTC, the calendar of every price and deprecation date."""
        return self.now().date()


def parse_instant(text: str, name: str) -> datetime:
    """`2027-01-31` (midnight UTC) or an ISO 8601 date-time (UTC when it has no offset)."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(
            f"{name}={text!r} is not a date or date-time",
            hint=f"e.g. {name}=2027-01-31 or {name}=2027-01-31T12:00:00Z",
        ) from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def parse_day(text: str, name: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"{name}={text!r} is not a date", hint=f"e.g. {name}=2027-01-31") from None
