"""`llm-cost.toml` as a pydantic schema: every key, its type, bounds and description (the JSON
Schema editors validate with is built from it, `json_schema.py`). A `Manifest` also knows where
each of its keys was written (`location_of`)."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

import pathspec
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    PrivateAttr,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from llmcost_lsp.core.errors import Location
from llmcost_lsp.core.manifest.positions import KeyPath, Span, locate
from llmcost_lsp.core.textfile import MANIFEST_LIMIT_BYTES_DEFAULT

MANIFEST_FILENAME = "llm-cost.toml"
# The published reference: what a user who installed the package (not this checkout) can open.
MANIFEST_DOCS_URL = "https://github.com/llm-cost/llm-cost/blob/main/docs/manifest.md"
MANIFEST_LIMIT_BYTES = MANIFEST_LIMIT_BYTES_DEFAULT
DEFAULT_INCLUDE: tuple[str, ...] = (
    "prompts/**/*",
    "**/*.prompt",
    "**/*.prompt.md",
    "**/*.prompty",
    "**/*.prompt.yml",
    "**/*.prompt.yaml",
    "**/*.prompt.txt",
    "**/skprompt.txt",
)
# C0 and C1 controls and DEL: never part of a name a person reads (tabs and newlines included)
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")

# ---------------------------------------------------------------------------------------------
# Value types


def _to_decimal(value: Any) -> Decimal:
    """Money and ratios: strings preferred; a TOML float goes through its shortest repr."""
    if isinstance(value, bool):
        raise ValueError("must be a number or a decimal string, not true/false")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("must be a finite number")
        result = Decimal(repr(value))
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip().replace("_", ""))
        except InvalidOperation:
            raise ValueError(f'{value!r} is not a decimal number such as "12.50"') from None
    else:
        raise ValueError('must be a decimal string such as "12.50"')
    if not result.is_finite():
        raise ValueError("must be a finite number")
    return result


_DECIMAL_JSON: dict[str, Any] = {
    "anyOf": [
        {"type": "string", "pattern": r"^\s*[0-9][0-9_]*(\.[0-9]+)?\s*$"},
        {"type": "number", "minimum": 0},
    ],
    "description": 'A decimal amount; strings ("0.10") keep it exact.',
}
_DECIMAL_SCHEMA = WithJsonSchema(_DECIMAL_JSON)
_RATIO_SCHEMA = WithJsonSchema(
    {
        "anyOf": [
            {"type": "string", "pattern": r"^\s*(0(\.[0-9]+)?|1(\.0+)?)\s*$"},
            {"type": "number", "minimum": 0, "maximum": 1},
        ],
        "description": 'A share from 0 to 1; strings ("0.25") keep it exact.',
    }
)
_TAG_BUDGETS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": 'Tag key → tag value → monthly USD; `"team.search" = "800"` also accepted.',
    "additionalProperties": {
        "anyOf": [
            {"type": "object", "additionalProperties": _DECIMAL_JSON},
            *_DECIMAL_JSON["anyOf"],
        ]
    },
}
# Upper bounds far above any real workload, so that every figure computed from them stays exact
# in Decimal's 28 digits: `calls_per_month = 10^30` or `calls_multiplier = "1e999999"` once
# ended in a decimal traceback instead of a located error.
MAX_COUNT = 10**12  # a trillion calls, or tokens, per month
MAX_USD = Decimal(10) ** 12
MAX_MULTIPLIER = Decimal(10) ** 6
Money = Annotated[Decimal, BeforeValidator(_to_decimal), Field(ge=0, le=MAX_USD), _DECIMAL_SCHEMA]
Ratio = Annotated[Decimal, BeforeValidator(_to_decimal), Field(ge=0, le=1), _RATIO_SCHEMA]
Multiplier = Annotated[
    Decimal, BeforeValidator(_to_decimal), Field(ge=0, le=MAX_MULTIPLIER), _DECIMAL_SCHEMA
]
Count = Annotated[int, Field(ge=0, le=MAX_COUNT, strict=True)]
TokenRatio = Annotated[Decimal, BeforeValidator(_to_decimal), Field(gt=0, le=10), _DECIMAL_SCHEMA]
CalibratedKey = Literal["calls_per_month", "output_tokens", "cache_hit_ratio", "cache_write_ratio"]
# off_peak: DeepSeek's off-peak hours (the standard price is its peak price, an upper bound)
ScenarioMode = Literal["standard", "batch", "flex", "priority", "off_peak"]


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Defaults(_Table):
    """`[defaults]`: used by every prompt that does not say otherwise."""

    model: str | None = None
    calls_per_month: Count | None = None
    output_tokens: Count | None = None
    scenario: str | None = None


class DiscoveryConfig(_Table):
    """`[discovery]`: which files are prompts (gitignore-style globs, relative to the root)."""

    include: tuple[str, ...] = DEFAULT_INCLUDE
    exclude: tuple[str, ...] = ()

    @field_validator("include", "exclude")
    @classmethod
    def _globs_compile(cls, patterns: tuple[str, ...]) -> tuple[str, ...]:
        # A bad glob (`[z-a]`) must be a located manifest error, not a crash in discovery.
        for pattern in patterns:
            try:
                pathspec.GitIgnoreSpec.from_lines([pattern])
            except Exception as error:  # pathspec raises re.error or its own errors
                raise ValueError(f"{pattern!r} is not a valid glob: {error}") from None
        return patterns


class Variable(_Table):
    """A template variable's size: `tokens`, or a `sample` file (relative to the manifest)."""

    tokens: Count | None = None
    sample: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_int(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return {"tokens": value}
        return value

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        # `query = 40` is short for `query = { tokens = 40 }`: editors must accept both.
        table = handler.resolve_ref_schema(handler(core_schema))
        return {"anyOf": [{"type": "integer", "minimum": 0}, table]}

    @model_validator(mode="after")
    def _one_of(self) -> Variable:
        if (self.tokens is None) == (self.sample is None):
            raise ValueError("needs exactly one of `tokens` or `sample`")
        return self


class PromptEntry(_Table):
    """`[prompts.<id>]`: one prompt; without `path` it names a discovered prompt by its id."""

    path: str | None = None
    model: str | None = None
    calls_per_month: Count | None = None
    output_tokens: Count | None = None
    max_tokens: Count | None = None
    extra_input_tokens: Count | None = None
    variables: dict[str, Variable] = Field(default_factory=dict)
    tags: dict[str, str] = Field(default_factory=dict)
    budget_monthly_usd: Money | None = None
    max_cost_per_call_usd: Money | None = None
    scenario: str | None = None
    # measured shares of ALL the prompt's input tokens (calibrate --actuals ledger --write);
    # when either is set they replace the scenario's cache ratios for this prompt
    cache_hit_ratio: Ratio | None = None
    cache_write_ratio: Ratio | None = None
    locked: bool | tuple[CalibratedKey, ...] = Field(
        default=False,
        description="`llm-cost calibrate --write` never changes these keys (true: all of them).",
    )

    def is_locked(self, key: str) -> bool:
        return self.locked is True or (isinstance(self.locked, tuple) and key in self.locked)

    @property
    def measures_cache(self) -> bool:
        return self.cache_hit_ratio is not None or self.cache_write_ratio is not None

    @model_validator(mode="after")
    def _cache_shares_fit(self) -> PromptEntry:
        hit, write = self.cache_hit_ratio or 0, self.cache_write_ratio or 0
        if hit + write > 1:
            raise ValueError(f"cache_hit_ratio + cache_write_ratio is {hit + write}, more than 1")
        return self


class Scenario(_Table):
    """`[scenarios.<name>]`: volume and caching assumptions. No cache ratio unless set."""

    calls_multiplier: Multiplier = Decimal(1)
    cache_hit_ratio: Ratio | None = None
    cache_write_ratio: Ratio | None = None
    cache_ttl: Literal["5m", "1h"] | None = None
    mode: ScenarioMode | None = None
    batch: bool | None = None
    output_tokens_multiplier: Multiplier | None = None

    @model_validator(mode="after")
    def _batch_agrees_with_mode(self) -> Scenario:
        if self.batch is True and self.mode not in (None, "batch"):
            raise ValueError(f"batch = true contradicts mode = {self.mode!r}")
        hit, write = self.cache_hit_ratio or 0, self.cache_write_ratio or 0
        if hit + write > 1:
            raise ValueError(f"cache_hit_ratio + cache_write_ratio is {hit + write}, more than 1")
        return self

    @property
    def effective_mode(self) -> ScenarioMode:
        """`mode`, else "batch" when `batch = true`, else "standard"."""
        if self.mode is not None:
            return self.mode
        return "batch" if self.batch else "standard"


def _split_dotted_tags(value: Any) -> Any:
    """`tags = { "team.search" = "800" }` means the same as `tags.team.search = "800"`."""
    if not isinstance(value, Mapping):
        return value
    nested: dict[str, Any] = {}
    for key, amount in value.items():
        if isinstance(key, str) and "." in key and not isinstance(amount, Mapping):
            tag, tag_value = key.split(".", 1)
            nested.setdefault(tag, {})
            if isinstance(nested[tag], dict):
                nested[tag][tag_value] = amount
        elif isinstance(amount, Mapping):
            nested.setdefault(key, {})
            if isinstance(nested[key], dict):
                nested[key].update(amount)
        else:
            nested[key] = amount
    return nested


class Budgets(_Table):
    """`[budgets]`: global, per tag (`tags.<key>.<value> = "USD"`), per call, forbidden models."""

    monthly_usd: Money | None = None
    tags: Annotated[
        dict[str, dict[str, Money]],
        BeforeValidator(_split_dotted_tags),
        WithJsonSchema(_TAG_BUDGETS_SCHEMA),
    ] = Field(default_factory=dict)
    max_cost_per_call_usd: Money | None = None
    forbidden_models: tuple[str, ...] = ()


class Rule(_Table):
    """`[[rules]]`: when a prompt (or any, "*") is over budget, suggest these models."""

    when_over_budget: str
    suggest: tuple[str, ...] = Field(min_length=1)


class PriceOverride(_Table):
    """Contracted prices in USD per million tokens; unset components keep the list price."""

    input: Money | None = None
    output: Money | None = None
    cache_read: Money | None = None
    cache_write: Money | None = None
    cache_write_1h: Money | None = None
    # why a price far under the list price is right: check flags one without it (core/gate.py)
    reason: str | None = None


class PricingConfig(_Table):
    """`[pricing]`: `[pricing.overrides."<model>"]` tables."""

    overrides: dict[str, PriceOverride] = Field(default_factory=dict)


class TokenizerCalibration(_Table):
    """`[calibration.tokenizers.<family>]`: an approximate tokenizer's ratio learned from bills."""

    ratio: TokenRatio
    source: str | None = None
    calibrated_on: date | None = None
    locked: bool = False
    reason: str | None = None  # why a ratio outside 0.5-2 is right (core/gate.py)


class CalibrationConfig(_Table):
    """`[calibration]`: values `llm-cost calibrate --write` learned from actual usage."""

    tokenizers: dict[str, TokenizerCalibration] = Field(default_factory=dict)


class ActualsConfig(_Table):
    """`[actuals]`: the runtime ledger this workspace's calls are recorded in."""

    ledger: str | None = Field(
        default=None,
        description="SQLite file (relative to this file) or postgresql:// URL; "
        "LLMCOST_LEDGER wins when set.",
    )
    project: str | None = Field(
        default=None, description="Only calls recorded with this project count here."
    )
    drift_threshold: Ratio = Field(
        default=Decimal("0.5"),
        description="The editor flags a prompt whose month-to-date actual differs from the "
        "estimate for the same days by more than this share.",
    )
    guard_unreachable: Literal["open", "closed"] = Field(
        default="open",
        description="What guard()/choose_model() do when the ledger cannot be reached: "
        '"open" lets the call through unchecked (said in its reason), "closed" refuses it.',
    )
    reservation_ttl_s: Annotated[int, Field(ge=1, le=86_400, strict=True)] = Field(
        default=600,
        description="Seconds a call's reservation holds its estimate if the call never "
        "settles (a crashed process); then it expires.",
    )


AlertKind = Literal["budget", "spike", "drift", "report"]
ALERT_KINDS: tuple[AlertKind, ...] = ("budget", "spike", "drift", "report")
BudgetShare = Annotated[Decimal, BeforeValidator(_to_decimal), Field(gt=0, le=10), _DECIMAL_SCHEMA]
_ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"


class Webhook(_Table):
    """`[[alerts.webhooks]]`: one destination of `llm-cost actuals alerts`."""

    url: str | None = Field(
        default=None,
        pattern=r"^https?://[^\s]+$",
        description="Where to POST: a Slack incoming webhook or any http(s) URL.",
    )
    url_env: str | None = Field(
        default=None,
        pattern=_ENV_NAME,
        description="Environment variable holding the URL (a Slack webhook URL is a secret: "
        "keep it out of the repository).",
    )
    format: Literal["slack", "json"] = Field(
        default="json",
        description='"slack": Slack\'s incoming-webhook JSON (text + blocks); "json": '
        "llm-cost's alert JSON (llm-cost.alert/1).",
    )
    secret_env: str | None = Field(
        default=None,
        pattern=_ENV_NAME,
        description="Environment variable holding the HMAC-SHA256 secret; when set, every "
        "request carries X-LLMCost-Signature.",
    )
    kinds: tuple[AlertKind, ...] = Field(
        default=ALERT_KINDS, description="Which alerts go to this destination."
    )
    timeout_s: int = Field(default=10, ge=1, le=120, strict=True)
    retries: int = Field(
        default=3,
        ge=0,
        le=10,
        strict=True,
        description="Attempts after the first one, on a timeout, a refused connection, 429 or "
        "5xx, waiting 1, 2, 4 ... seconds (or the server's Retry-After).",
    )

    @model_validator(mode="after")
    def _one_url(self) -> Webhook:
        if (self.url is None) == (self.url_env is None):
            raise ValueError("give exactly one of url and url_env")
        return self


class AlertsConfig(_Table):
    """`[alerts]`: what `llm-cost actuals alerts` checks in the ledger and where it sends it."""

    budget_thresholds: tuple[BudgetShare, ...] = Field(
        default=(Decimal("0.5"), Decimal("0.8"), Decimal(1)),
        description="Shares of each monthly budget that raise an alert, once per month.",
    )
    spike_factor: Multiplier = Field(
        default=Decimal(3),
        description="A prompt's last hour is a spike when it costs more than this many times "
        "its mean hour over the baseline hours before it.",
    )
    spike_baseline_hours: int = Field(default=24, ge=1, le=24 * 14, strict=True)
    spike_min_usd: Money = Field(
        default=Decimal(5),
        description="...and more than this (USD): a quiet prompt never pages anyone.",
    )
    drift: bool = Field(
        default=True,
        description="Alert once a month on a prompt whose month-to-date actual is off the "
        "estimate by more than [actuals] drift_threshold (the editor's rule).",
    )
    reports: tuple[Literal["weekly", "monthly"], ...] = Field(
        default=(),
        description="Markdown spend reports of the last complete week (Monday-Sunday, UTC) "
        "and month, sent on the first run after it ends.",
    )
    webhooks: tuple[Webhook, ...] = ()


class Manifest(_Table):
    """A validated `llm-cost.toml`. `location_of(...)` says where any key was written."""

    defaults: Defaults = Field(default_factory=Defaults)
    discovery: DiscoveryConfig = Field(default_factory=DiscoveryConfig)
    prompts: dict[str, PromptEntry] = Field(default_factory=dict)
    scenarios: dict[str, Scenario] = Field(default_factory=dict)
    budgets: Budgets = Field(default_factory=Budgets)
    rules: tuple[Rule, ...] = ()
    pricing: PricingConfig = Field(default_factory=PricingConfig)
    calibration: CalibrationConfig = Field(default_factory=CalibrationConfig)
    actuals: ActualsConfig = Field(default_factory=ActualsConfig)
    alerts: AlertsConfig = Field(default_factory=AlertsConfig)
    models: dict[str, str] = Field(
        default_factory=dict,
        description="Your names for models -> the model they run: an Azure deployment "
        '(`my-gpt4o-deployment = "azure/gpt-4o"`) or any alias your code uses.',
    )

    _path: str | None = PrivateAttr(default=None)
    _positions: dict[KeyPath, Span] = PrivateAttr(default_factory=dict)

    @field_validator("prompts")
    @classmethod
    def _ids_are_names(cls, prompts: dict[str, PromptEntry]) -> dict[str, PromptEntry]:
        for prompt_id in prompts:
            if not prompt_id.strip() or prompt_id != prompt_id.strip():
                raise ValueError(f"prompt id {prompt_id!r} must not be blank or padded")
            if CONTROL_CHARACTERS.search(prompt_id):
                # a CR in an id once split a FOCUS record; ids are names, never layout
                raise ValueError(f"prompt id {prompt_id!r} must not contain control characters")
        return prompts

    @property
    def path(self) -> str | None:
        """The manifest file as the caller named it (used in every Location)."""
        return self._path

    def location_of(self, *key_path: str | int) -> Location:
        """Line and column of a key, else of its nearest written parent, else the file."""
        return locate(self._positions, key_path, self._path)
