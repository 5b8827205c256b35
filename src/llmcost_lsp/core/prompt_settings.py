"""Settings per prompt: what the manifest, the prompt file and the code that sends it say about one
prompt, turned into the values an estimate takes, each with its source.

One function per schema -> domain mapping, so a field of `llm-cost.toml` is read in one place:

- `model_name`: `[prompts.<id>] model`, else the file's or the sending call's model, else
  `[defaults] model`; through the `[models]` names.
- `output_tokens`, `calls_per_month`: `[prompts.<id>]`, else `[defaults]` (output: else the
  file's `max_tokens`, an upper bound).
- `extra_input_tokens`: `[prompts.<id>] extra_input_tokens`.
- `variable_sizes`: `[prompts.<id>.variables]` (`tokens`, `sample`) as `VariableSize`s.
- `tokenizer`: the DB's tokenizer with the ratio of `[calibration.tokenizers.<family>]`.
- `scenario_terms`: `[scenarios.<name>]` as `ScenarioTerms`.
- `rate_overrides`, `overrides_for`: `[pricing.overrides."<model>"]` as `RateOverrides`.

The workspace calls these for the estimate (core/workspace.py); the ledger takes `overrides_for`
for a recorded call. tests/core/estimate/test_prompt_settings.py fills every field of each schema
and reads it back from an estimate, so a field added to the schema cannot be silently dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from decimal import Decimal
from typing import TypeVar

from llmcost_lsp.core.code import CODE_FORMATS
from llmcost_lsp.core.code.collect import FileModel
from llmcost_lsp.core.errors import InputError, LlmCostError, Location
from llmcost_lsp.core.estimate import UPPER_BOUND, RateOverrides, ScenarioTerms, Sourced
from llmcost_lsp.core.formats import ParsedPrompt
from llmcost_lsp.core.issues import Issue
from llmcost_lsp.core.manifest import (
    MANIFEST_DOCS_URL,
    MANIFEST_FILENAME,
    Manifest,
    PriceOverride,
    PromptEntry,
    Scenario,
    format_key_path,
)
from llmcost_lsp.core.pricing.db import ModelEntry, PriceDB
from llmcost_lsp.core.prompt_tokens import VariableSize
from llmcost_lsp.core.tokens.spec import TokenizerSpec

__all__ = [
    "SampleOutside",
    "calls_per_month",
    "extra_input_tokens",
    "model_name",
    "output_tokens",
    "overrides_for",
    "rate_overrides",
    "scenario_terms",
    "tokenizer",
    "variable_sizes",
]

# key path -> "calibrated <date> from …": the note `calibrate --write` left beside a value
CalibrationNotes = Mapping[tuple[str, ...], str]
_V = TypeVar("_V")


class SampleOutside(InputError):
    """A variable's sample file that lies outside the workspace (never read)."""


def model_name(
    prompt_id: str,
    parsed: ParsedPrompt,
    entry: PromptEntry | None,
    manifest: Manifest | None,
    sent: FileModel | None = None,
) -> Sourced[str] | None:
    """The model a prompt names, through the manifest's `[models]` names (deployments).
    `sent`: the model of the call that sends this prompt file, if code does."""
    named = named_model(prompt_id, parsed, entry, manifest, sent)
    if named is None or not manifest or not manifest.models:
        return named
    mapped = _lookup_folded(manifest.models, named.value)
    if mapped is None:
        return named
    return Sourced(mapped, f"{named.source} = {named.value!r}, mapped by [models]", named.key)


def named_model(
    prompt_id: str,
    parsed: ParsedPrompt,
    entry: PromptEntry | None,
    manifest: Manifest | None,
    sent: FileModel | None,
) -> Sourced[str] | None:
    """The model as the manifest, the prompt file or the calling code writes it, before the
    `[models]` names map it (an Azure deployment's name, say)."""
    if entry and entry.model:
        path = ("prompts", prompt_id, "model")  # where findings about it are placed
        return Sourced(entry.model, f"manifest: prompts.{prompt_id}.model", path)
    if parsed.model:
        key = parsed.model_origin.key if parsed.model_origin else "model"
        kind = "code" if parsed.format in CODE_FORMATS else "prompt file"
        return Sourced(parsed.model, f"{kind}: {key}")
    if sent is not None:  # a prompt file a call sends takes that call's model
        return Sourced(sent.model.value, f"code: {sent.call_id} ({sent.model.how})")
    if manifest and manifest.defaults.model:
        return Sourced(manifest.defaults.model, "manifest: defaults.model", ("defaults", "model"))
    return None


def _lookup_folded(table: dict[str, str], name: str) -> str | None:
    """`table[name]`, ignoring case and surrounding spaces, as model names are matched."""
    wanted = name.strip().lower()
    return next((v for k, v in table.items() if k.strip().lower() == wanted), None)


def _from_manifest(value: _V, calibrated: CalibrationNotes, *key: str) -> Sourced[_V]:
    """A manifest value with its key path, and the calibration note in its source when
    `calibrate --write` set it (`manifest: a.b.c (calibrated …)`)."""
    note = calibrated.get(key)
    return Sourced(value, f"manifest: {'.'.join(key)}" + (f" ({note})" if note else ""), key)


def output_tokens(
    prompt_id: str,
    parsed: ParsedPrompt,
    entry: PromptEntry | None,
    manifest: Manifest | None,
    calibrated: CalibrationNotes,
) -> Sourced[int] | None:
    if entry and entry.output_tokens is not None:
        return _from_manifest(
            entry.output_tokens, calibrated, "prompts", prompt_id, "output_tokens"
        )
    if manifest and manifest.defaults.output_tokens is not None:
        return _from_manifest(
            manifest.defaults.output_tokens, calibrated, "defaults", "output_tokens"
        )
    if parsed.max_tokens is not None:
        key = parsed.max_tokens_origin.key if parsed.max_tokens_origin else "max_tokens"
        return Sourced(parsed.max_tokens, f"prompt file: {key} {UPPER_BOUND}")
    return None


def calls_per_month(
    prompt_id: str,
    entry: PromptEntry | None,
    manifest: Manifest | None,
    calibrated: CalibrationNotes,
) -> Sourced[int] | None:
    if entry and entry.calls_per_month is not None:
        own = ("prompts", prompt_id, "calls_per_month")
        return _from_manifest(entry.calls_per_month, calibrated, *own)
    if manifest and manifest.defaults.calls_per_month is not None:
        default = ("defaults", "calls_per_month")
        return _from_manifest(manifest.defaults.calls_per_month, calibrated, *default)
    return None


def measured_cache(
    prompt_id: str, entry: PromptEntry | None, calibrated: CalibrationNotes
) -> Sourced[tuple[Decimal, Decimal]] | None:
    """The prompt's own cache shares (hit, write), learned from its real calls, which replace
    the scenario's both at once (an unset one is 0); None when it has none."""
    if entry is None or not entry.measures_cache:
        return None
    key = "cache_hit_ratio" if entry.cache_hit_ratio is not None else "cache_write_ratio"
    shares = (entry.cache_hit_ratio or Decimal(0), entry.cache_write_ratio or Decimal(0))
    return _from_manifest(shares, calibrated, "prompts", prompt_id, key)


def extra_input_tokens(entry: PromptEntry | None) -> int:
    return (entry.extra_input_tokens or 0) if entry else 0


def tokenizer(db: PriceDB, manifest: Manifest | None, model: ModelEntry) -> TokenizerSpec:
    """The model's tokenizer; an approximate one takes its ratio from [calibration]."""
    spec = db.tokenizer_for(model)
    tuned = manifest.calibration.tokenizers.get(spec.family) if manifest else None
    if tuned is None or spec.is_tiktoken_exact:
        return spec
    return replace(
        spec, ratio=tuned.ratio, source=f"manifest: calibration.tokenizers.{spec.family}"
    )


def scenario_terms(name: str, scenario: Scenario) -> ScenarioTerms:
    """`[scenarios.<name>]` as the formula takes it: no cache traffic and the list mode unless
    the scenario says otherwise (`batch = true` is mode "batch")."""
    return ScenarioTerms(
        name=name,
        calls_multiplier=scenario.calls_multiplier,
        cache_hit_ratio=scenario.cache_hit_ratio or Decimal(0),
        cache_write_ratio=scenario.cache_write_ratio or Decimal(0),
        cache_ttl=scenario.cache_ttl or "5m",
        mode=scenario.effective_mode,
        output_tokens_multiplier=scenario.output_tokens_multiplier or Decimal(1),
    )


def own_scenario(entry: PromptEntry | None, manifest: Manifest | None) -> ScenarioTerms | None:
    """`[prompts.<id>] scenario`: the scenario this prompt always runs under, whatever the run's
    scenario (a pinned batch job stays batch under `--scenario launch`). An undefined name is the
    manifest's `unknown-scenario` error already; the prompt then keeps the run's scenario."""
    if entry is None or entry.scenario is None or manifest is None:
        return None
    own = manifest.scenarios.get(entry.scenario)
    return scenario_terms(entry.scenario, own) if own is not None else None


def rate_overrides(name: str, override: PriceOverride) -> RateOverrides:
    """`[pricing.overrides."<name>"]` as rates (`reason` is for the gate, core/gate.py)."""
    return RateOverrides(
        input=override.input,
        output=override.output,
        cache_read=override.cache_read,
        cache_write_5m=override.cache_write,
        cache_write_1h=override.cache_write_1h,
        source=f'manifest: pricing.overrides."{name}"',
    )


def overrides_for(
    manifest: Manifest | None, db: PriceDB, model: ModelEntry
) -> RateOverrides | None:
    """The override naming `model` (by id or any name the DB resolves to it), else None: the
    same lookup for the estimate and for a recorded call (core/ledger)."""
    if manifest is None:
        return None
    for name, override in manifest.pricing.overrides.items():
        if name == model.id or (name in db and db.resolve(name).id == model.id):
            return rate_overrides(name, override)
    return None


def variable_sizes(
    prompt_id: str,
    path: str,
    parsed: ParsedPrompt,
    entry: PromptEntry | None,
    manifest: Manifest | None,
    read_sample: Callable[[str], str],
) -> tuple[dict[str, VariableSize], list[Issue]]:
    """The size of each variable `[prompts.<id>.variables]` declares (tokens, or the text of a
    sample file read by `read_sample`, which raises SampleOutside for a path outside the
    workspace), and the findings: a sample that cannot be read, a sized variable with no
    placeholder, a placeholder with no size."""
    sizes: dict[str, VariableSize] = {}
    issues: list[Issue] = []
    declared = entry.variables if entry else {}

    def location(*key: str) -> Location:
        return manifest.location_of(*key) if manifest else Location(MANIFEST_FILENAME)

    for name, variable in declared.items():
        key = ("prompts", prompt_id, "variables", name)
        if variable.tokens is not None:
            sizes[name] = VariableSize(tokens=variable.tokens)
        elif variable.sample is not None:
            try:
                sizes[name] = VariableSize(text=read_sample(variable.sample))
            except SampleOutside:
                message = f"sample {variable.sample!r} is outside"
                issues.append(Issue("sample-outside", message, location(*key), "error"))
            except LlmCostError as error:
                issues.append(Issue("bad-sample", error.message, location(*key), "error"))
    used = set(parsed.variable_names)
    for name in declared:
        if name not in used:
            issues.append(
                Issue(
                    "unused-variable",
                    f"variable {name!r} is sized here but {path} has no "
                    f"placeholder for it, so it adds no tokens",
                    location("prompts", prompt_id, "variables", name),
                    "warning",
                    f"the placeholder syntax of each format: {MANIFEST_DOCS_URL}",
                    key=("prompt", prompt_id, "variable", name),
                )
            )
    table = format_key_path(("prompts", prompt_id, "variables"))
    said: set[str] = set()  # one finding per variable
    for ref in parsed.variables:
        if ref.name in sizes or ref.name in declared or ref.name in said:
            continue
        sizes_key = format_key_path((ref.name,))
        said.add(ref.name)
        issues.append(
            Issue(
                "unsized-variable",
                f"variable {ref.name!r} has no size: only its placeholder text is counted, "
                "so the input is larger than shown",
                Location(path, ref.line, ref.column),
                "warning",
                f"size it in {MANIFEST_FILENAME} (tokens per call): under [{table}] add "
                f"{sizes_key} = 100",
                key=("prompt", prompt_id, "variable", ref.name),
            )
        )
    return sizes, issues
