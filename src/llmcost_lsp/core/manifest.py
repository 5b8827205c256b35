"""`llm-cost.toml`: the pydantic schema, loading with file:line:column errors, key locations.

Unknown keys are errors ("did you mean"): a typo such as `calls_per_mnth` would otherwise be
silently ignored and the estimate would use a default, which is a wrong number, not a warning.
"""

from __future__ import annotations

import difflib
import math
import os
import re
import tomllib
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any, Literal

import pathspec
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    PrivateAttr,
    ValidationError,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from llmcost_lsp.core.errors import Location, ManifestError
from llmcost_lsp.core.issues import Issue
from llmcost_lsp.core.textfile import MANIFEST_LIMIT_BYTES_DEFAULT, read_text_file
from llmcost_lsp.core.toml_positions import KeyPath, Span, key_spans

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
        return _locate(self._positions, key_path, self._path)


# ---------------------------------------------------------------------------------------------
# Loading


@dataclass(frozen=True)
class ManifestAnalysis:
    """Everything known about a manifest text: the model when valid, and every located issue."""

    manifest: Manifest | None
    issues: tuple[Issue, ...]

    @property
    def errors(self) -> tuple[Issue, ...]:
        return tuple(issue for issue in self.issues if issue.severity == "error")


class ManifestSchemaError(ManifestError):
    """The manifest does not parse or fails the schema; `issues` lists every problem, located."""

    def __init__(self, issues: Sequence[Issue]) -> None:
        first = issues[0]
        super().__init__(first.message, location=first.location, code=first.code, hint=first.hint)
        self.issues = tuple(issues)

    def __str__(self) -> str:
        lines = [
            f"{i.location}: {i.message}" + (f" ({i.hint})" if i.hint else "") for i in self.issues
        ]
        return "\n".join(lines)


def _locate(
    positions: Mapping[KeyPath, Span], key_path: Sequence[str | int], path: str | None
) -> Location:
    for end in range(len(key_path), 0, -1):
        found = positions.get(tuple(key_path[:end]))
        if found:
            line, column, end_line, end_column = found
            return Location(path, line, column, end_line, end_column)
    return Location(path=path)


_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")


def _syntax_issue(error: tomllib.TOMLDecodeError, text: str, path: str) -> Issue:
    message = str(error)
    match = _TOML_POSITION.search(message)
    if match:
        location = Location(path=path, line=int(match.group(1)), column=int(match.group(2)))
        message = message[: match.start()]
    else:  # "(at end of document)": point at the end of the last line
        lines = text.split("\n")
        location = Location(path=path, line=len(lines), column=len(lines[-1]) + 1)
        message = re.sub(r"\s*\(at end of document\)\s*$", " at the end of the file", message)
    return Issue("toml-syntax", f"TOML syntax error: {message}", location, "error")


_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def format_key_path(key_path: Sequence[str | int]) -> str:
    """`prompts.search.calls_per_month`, `rules[0].suggest`, `pricing.overrides."gpt-4.1"`."""
    text = ""
    for part in key_path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            shown = part if _BARE_KEY.match(part) else '"' + part.replace('"', '\\"') + '"'
            text += f".{shown}" if text else shown
    return text


def _data_path(data: Any, loc: Sequence[str | int]) -> tuple[str | int, ...]:
    """Keep the parts of a pydantic error location that exist in the data (drop union tags)."""
    path: list[str | int] = []
    current = data
    for part in loc:
        in_mapping = isinstance(current, Mapping) and part in current
        in_list = (
            isinstance(current, list | tuple) and isinstance(part, int) and part < len(current)
        )
        if in_mapping or in_list:
            path.append(part)
            current = current[part]
        elif isinstance(current, Mapping) and isinstance(part, str) and not part[:1].isupper():
            path.append(part)  # a missing key: still part of the path
            current = None
    return tuple(path)


def _model_at(key_path: Sequence[str | int]) -> type[BaseModel] | None:
    """The schema table class at a data path, to list the keys it accepts."""
    annotation: Any = Manifest
    for part in key_path:
        annotation = _unwrap(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if not isinstance(part, str) or part not in annotation.model_fields:
                return None
            annotation = annotation.model_fields[part].annotation
        elif typing.get_origin(annotation) is dict:
            annotation = typing.get_args(annotation)[1]
        elif typing.get_origin(annotation) is tuple:
            annotation = typing.get_args(annotation)[0]
        else:
            return None
    annotation = _unwrap(annotation)
    return (
        annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None
    )


def _unwrap(annotation: Any) -> Any:
    while True:
        origin = typing.get_origin(annotation)
        if origin is Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            annotation = members[0] if len(members) == 1 else annotation
            if len(members) != 1:
                return annotation
        else:
            return annotation


_PHRASES = {
    "greater_than_equal": "must be ≥ {ge}",
    "less_than_equal": "must be ≤ {le}",
    "greater_than": "must be > {gt}",
    "less_than": "must be < {lt}",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "string_type": "must be a string",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "list_type": "must be an array",
    "tuple_type": "must be an array",
    "dict_type": "must be a table",
    "model_type": "must be a table",
    "model_attributes_type": "must be a table",
    "missing": "is required",
    "literal_error": "must be one of {expected}",
    "too_short": "must not be empty",
    "decimal_type": 'must be a decimal string such as "12.50"',
}


def _bound(value: Any) -> Any:
    """1,000,000,000,000 for a limit, not Decimal('1000000000000')."""
    text = str(value).removeprefix("Decimal('").removesuffix("')")
    try:
        number = Decimal(text)
    except InvalidOperation:
        return value
    return f"{number:,}" if number == number.to_integral_value() and abs(number) >= 1000 else text


def _phrase(error: Mapping[str, Any]) -> str:
    """pydantic's message, rephrased as the end of `<key> …` in the manifest's terms."""
    template = _PHRASES.get(str(error["type"]))
    if template is not None:
        context = {key: _bound(value) for key, value in (error.get("ctx") or {}).items()}
        try:
            return template.format(**context)
        except (KeyError, IndexError):
            pass
    message = str(error["msg"]).removeprefix("Value error, ")
    return message[:1].lower() + message[1:]


def _schema_issues(
    error: ValidationError,
    data: Mapping[str, Any],
    positions: Mapping[KeyPath, Span],
    path: str,
) -> list[Issue]:
    issues: list[Issue] = []
    for item in error.errors():
        key_path = _data_path(data, item["loc"])
        location = _locate(positions, key_path, path)
        if item["type"] == "extra_forbidden" and key_path:
            key, parent = key_path[-1], key_path[:-1]
            model = _model_at(parent)
            known = sorted(model.model_fields) if model else []
            close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
            where = f"[{format_key_path(parent)}]" if parent else "the top level"
            hint = (
                f"did you mean {close[0]!r}?"
                if close
                else (f"known keys: {', '.join(known)}" if known else None)
            )
            issues.append(
                Issue(
                    "unknown-key", f"unknown key {str(key)!r} in {where}", location, "error", hint
                )
            )
            continue
        shown = format_key_path(key_path) or "manifest"
        issues.append(Issue("schema", f"{shown} {_phrase(item)}", location, "error"))
    issues.sort(key=lambda i: (i.location.line or 0, i.location.column or 0))
    return issues


def _cross_checks(manifest: Manifest, positions: Mapping[KeyPath, Span], path: str) -> list[Issue]:
    issues: list[Issue] = []
    names = sorted(manifest.scenarios)

    def check_scenario(name: str | None, key_path: KeyPath) -> None:
        if name is None or name in manifest.scenarios:
            return
        close = difflib.get_close_matches(name, names, n=1)
        hint = (
            f"did you mean {close[0]!r}?"
            if close
            else (
                f"defined scenarios: {', '.join(names)}"
                if names
                else "add a [scenarios.<name>] table"
            )
        )
        issues.append(
            Issue(
                "unknown-scenario",
                f"{format_key_path(key_path)} names scenario {name!r}, which is not defined",
                _locate(positions, key_path, path),
                "error",
                hint,
            )
        )

    check_scenario(manifest.defaults.scenario, ("defaults", "scenario"))
    for prompt_id, entry in manifest.prompts.items():
        check_scenario(entry.scenario, ("prompts", prompt_id, "scenario"))
    return issues


MAX_NESTING = 64
_OPENERS = re.compile(r"""[\[{\]}"'#\n\\]""")


def _too_deep(text: str, path: str) -> Issue | None:
    """A located error for arrays or inline tables nested deeper than MAX_NESTING (a manifest
    needs three or four): 5,000 levels once ended in a RecursionError traceback. Counts the
    brackets outside strings and comments; a header line's `[[…]]` nests nothing."""
    if text.count("[") + text.count("{") <= MAX_NESTING:
        return None
    depth, line, quote, comment, escaped = 0, 1, "", False, False
    line_begin = 0
    for match in _OPENERS.finditer(text):
        char = match.group()
        if char == "\n":
            line, comment, line_begin = line + 1, False, match.end()
            if quote in ('"', "'"):
                quote = ""  # a one-line string cannot go on: tomllib reports it
            continue
        if comment:
            continue
        if quote:
            if char == "\\" and quote == '"':
                escaped = not escaped
                continue
            if char == quote and not escaped:
                quote = ""
            escaped = False
            continue
        if char in "\"'":
            quote = char
        elif char == "#":
            comment = True
        elif char in "[{" and not (
            char == "[" and depth == 0 and not text[line_begin : match.start()].strip()
        ):  # a table header's brackets nest nothing
            depth += 1
            if depth > MAX_NESTING:
                column = match.start() - text.rfind("\n", 0, match.start())
                return Issue(
                    "toml-syntax",
                    f"arrays or inline tables nested more than {MAX_NESTING} deep",
                    Location(path, line, column),
                    "error",
                )
        elif char in "]}" and depth:
            depth -= 1
    return None


def analyze_manifest(text: str, path: str = MANIFEST_FILENAME) -> ManifestAnalysis:
    """Parse and validate manifest text. Never raises for bad input: issues say what and where."""
    deep = _too_deep(text, path)
    if deep is not None:
        return ManifestAnalysis(None, (deep,))
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        return ManifestAnalysis(None, (_syntax_issue(error, text, path),))
    except ValueError as error:  # an integer past Python's 4,300-digit conversion limit
        long = re.search(r"[0-9_]{4000,}", text)
        start = long.start() if long else 0
        line = text.count("\n", 0, start) + 1
        column = start - text.rfind("\n", 0, start)
        where = Location(path, line, column)
        message = f"a number too long to read ({error})".replace(
            "; use sys.set_int_max_str_digits() to increase the limit", ""
        )
        return ManifestAnalysis(None, (Issue("toml-syntax", message, where, "error"),))
    positions = key_spans(text)
    try:
        manifest = Manifest.model_validate(data)
    except ValidationError as error:
        return ManifestAnalysis(None, tuple(_schema_issues(error, data, positions, path)))
    manifest._path = path
    manifest._positions = positions
    issues = _cross_checks(manifest, positions, path)
    if any(issue.severity == "error" for issue in issues):
        return ManifestAnalysis(None, tuple(issues))
    return ManifestAnalysis(manifest, tuple(issues))


def parse_manifest(text: str, path: str = MANIFEST_FILENAME) -> Manifest:
    """A valid Manifest, or ManifestSchemaError listing every located problem."""
    analysis = analyze_manifest(text, path)
    if analysis.manifest is None:
        raise ManifestSchemaError(analysis.errors or analysis.issues)
    return analysis.manifest


def load_manifest(file: Path, display_path: str | None = None) -> Manifest:
    """Read (UTF-8, size-limited) and validate a manifest file."""
    shown = display_path or str(file)
    text = read_text_file(file, MANIFEST_LIMIT_BYTES, display_path=shown, what="the manifest").text
    return parse_manifest(text, shown)


def find_manifest(root: Path) -> Path | None:
    """`<root>/llm-cost.toml` when it exists (no upward search: the workspace root decides)."""
    candidate = root / MANIFEST_FILENAME
    return candidate if candidate.is_file() else None


def find_manifest_upward(start: Path) -> Path | None:
    """The nearest llm-cost.toml in `start` or a folder above it, as ruff finds pyproject.toml.

    The search stops at the repository's top (the folder holding `.git`): a manifest above the
    repository belongs to something else."""
    current = Path(os.path.abspath(start))
    while True:
        candidate = current / MANIFEST_FILENAME
        if candidate.is_file():
            return candidate
        if (current / ".git").exists() or current.parent == current:
            return None
        current = current.parent


def manifest_json_schema() -> dict[str, Any]:
    """The JSON Schema of llm-cost.toml, as published in docs/schema/llm-cost.schema.json."""
    schema = Manifest.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "llm-cost.toml"
    return schema
