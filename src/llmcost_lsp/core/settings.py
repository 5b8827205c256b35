"""The one place the core reads the environment: cache and config dirs, CI detection."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import platformdirs

_TRUTHY = {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    """Process-wide settings. Shells build one with `from_env()`; tests pass their own."""

    cache_dir: Path
    config_dir: Path
    ci: bool = False

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        cache = env.get("LLMCOST_CACHE_DIR") or platformdirs.user_cache_dir("llm-cost")
        config = env.get("LLMCOST_CONFIG_DIR") or platformdirs.user_config_dir("llm-cost")
        ci = any(env.get(name, "").lower() in _TRUTHY for name in ("CI", "GITHUB_ACTIONS"))
        return cls(cache_dir=Path(cache), config_dir=Path(config), ci=ci)
