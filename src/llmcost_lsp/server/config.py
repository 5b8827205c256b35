"""Settings of the server: initialization options and `workspace/configuration` (section `llmcost`).

One typed model with defaults; unknown keys are ignored and bad values fall back to the default
with a message, so a typo in an editor's settings never stops the server.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

SECTION = "llmcost"


class _Model(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=True
    )


class HintSettings(_Model):
    """Which figures the inlay hints show."""

    tokens: bool = True
    per_call: bool = True
    per_month: bool = True


class ServerConfig(_Model):
    """Everything a user (or a test) can set; camelCase or snake_case keys."""

    scenario: str | None = None  # None: the manifest's defaults.scenario, else the baseline
    hints: HintSettings = Field(default_factory=HintSettings)
    debounce_ms: int = Field(default=150, ge=0, le=5000)
    compare_models: int = Field(default=3, ge=0, le=10)  # cheaper models listed in hovers
    persistent_cache: bool = True
    watch: Literal["auto", "client", "watchfiles", "off"] = "auto"
    # Price DB age is judged as in CI (fail open) when true; None: from the environment.
    ci: bool | None = None
    # The server's clock (staleness, deprecations, billing periods); None: the settings' clock
    # (LLMCOST_NOW, else the system's).
    pricing_now: datetime | None = None

    def merged(self, options: Any) -> tuple[ServerConfig, list[str]]:
        """This config updated with `options` (a dict, maybe under "llmcost"); and problems."""
        if not isinstance(options, dict):
            return self, []
        if isinstance(options.get(SECTION), dict):
            options = options[SECTION]
        data = self.model_dump(by_alias=False)
        problems: list[str] = []
        for key, value in options.items():
            candidate = {**data, **_snake({key: value})}
            try:
                ServerConfig.model_validate(candidate)
            except ValidationError as error:
                first = error.errors()[0]
                problems.append(f"setting {SECTION}.{key} ignored: {first['msg']}")
                continue
            data = candidate
        return ServerConfig.model_validate(data), problems


def _snake(options: dict[str, Any]) -> dict[str, Any]:
    fields = {info.alias or name: name for name, info in ServerConfig.model_fields.items()}
    out: dict[str, Any] = {}
    for key, value in options.items():
        name = fields.get(key, key)
        if name == "hints" and isinstance(value, dict):
            hint_fields = {i.alias or n: n for n, i in HintSettings.model_fields.items()}
            value = {hint_fields.get(k, k): v for k, v in value.items()}
        out[name] = value
    return out
