"""Cache keys for `diff`: a digest per prompt of everything that decides its estimate and
findings (result keys), and the run context they share (this code, the price DB, the dates).
Equal keys, equal results: the comparison estimates such a prompt once, or takes it from the
result cache (caches.py)."""

from __future__ import annotations

import bisect
import functools
import hashlib
import weakref
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path

from llmcost_lsp import __version__
from llmcost_lsp.core.estimate import ScenarioTerms
from llmcost_lsp.core.manifest import Manifest, PromptEntry
from llmcost_lsp.core.pricing.db import PriceDB
from llmcost_lsp.core.tokens import backends
from llmcost_lsp.core.workspace import Workspace

__all__ = ["reads_samples", "result_keys", "run_context", "same_results"]


def reads_samples(entry: PromptEntry | None) -> bool:
    """Sample files may differ between the sides even when the manifest does not."""
    return entry is not None and any(v.sample is not None for v in entry.variables.values())


_RESULT_KEY_VERSION = 2  # bump when a result key's layout changes


@functools.cache
def _code_fingerprint() -> str:
    """A digest of what computes every result: the source of core/, the bundled data (tokenizer
    vocabularies, prices) and the versions of the optional tokenizer packages. A cache filled
    by other code (an action updated without a new version number) is never read. About 10 ms."""
    package = Path(__file__).resolve().parents[2]  # src/llmcost_lsp
    digest = hashlib.sha256()
    files = [*sorted((package / "core").rglob("*.py")), *sorted((package / "data").rglob("*"))]
    for path in files:
        if path.is_file():
            digest.update(path.relative_to(package).as_posix().encode() + b"\0")
            digest.update(path.read_bytes())
    versions = [(b.package, backends.package_version(b)) for b in backends.BACKENDS.values()]
    digest.update(repr(versions).encode())
    return digest.hexdigest()


def run_context(db: PriceDB, pricing_date: date | None, today: date) -> tuple[object, ...]:
    """What decides every result besides the workspace: this code and its data, the price DB,
    and where the pricing date and today fall among the DB's dates (prices and deprecations
    change only on those dates: a cached result stays valid from one of them to the next)."""
    digest, dates = _db_fingerprint(db)
    pricing_day = pricing_date or today  # as Workspace.price_day
    return (
        _RESULT_KEY_VERSION,
        __version__,
        _code_fingerprint(),
        digest,
        _last_date(dates, pricing_day),
        _last_date(dates, today),
    )


def result_keys(workspace: Workspace, terms: ScenarioTerms, today: date) -> dict[str, str | None]:
    """Per prompt id, a digest of everything that decides its estimate and findings: its text,
    path and id, its manifest entry, the manifest sections every prompt reads, the scenario and
    the run context. Equal keys, equal results. None: no key, because the prompt reads sample
    files (not in the key).

    `<digest>.<overrides digest>`: the manifest's price overrides come last, so that a change
    to them can be narrowed down to the prompts of the models concerned (`_same_results`)."""
    manifest = workspace.manifest
    shared = repr(
        (
            run_context(workspace.db, workspace.pricing_date, today),
            terms,
            None if manifest is None else _shared_sections(manifest),
        )
    ).encode()
    context = hashlib.sha256(shared).hexdigest()
    pricing = None if manifest is None else manifest.pricing
    overrides = hashlib.sha256(repr(pricing).encode()).hexdigest()[:16]
    keys: dict[str, str | None] = {}
    for prompt in workspace.prompts:
        entry = manifest.prompts.get(prompt.id) if manifest else None
        if reads_samples(entry):
            keys[prompt.id] = None
            continue
        sent = workspace.discovery.code.file_models.get(prompt.path)  # its model, from code
        text = "\0".join(
            (context, prompt.id, prompt.path, prompt.content_hash, repr(entry), repr(sent))
        )
        digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
        keys[prompt.id] = f"{digest}.{overrides}"
    return keys


def same_results(
    base: Workspace,
    head: Workspace,
    base_keys: Mapping[str, str | None],
    head_keys: Mapping[str, str | None],
) -> list[str]:
    """Ids whose result is the same on both sides: equal keys, or keys that differ only in the
    price overrides while the override for the prompt's own model is the same (or none)."""
    same = []
    for prompt_id, key in head_keys.items():
        other = base_keys.get(prompt_id)
        if key is None or other is None:
            continue
        if key == other:
            same.append(prompt_id)
        elif key.partition(".")[0] == other.partition(".")[0]:
            model = head.model_entry(prompt_id)
            if model is None or base.overrides_for(model) == head.overrides_for(model):
                same.append(prompt_id)
    return same


def _shared_sections(manifest: Manifest) -> tuple[object, ...]:
    """The parts of a manifest that apply to every prompt's estimate and per-prompt findings."""
    budgets = manifest.budgets
    return (
        manifest.defaults,
        manifest.calibration,
        budgets.max_cost_per_call_usd,
        budgets.forbidden_models,
    )


_DB_FINGERPRINTS: weakref.WeakKeyDictionary[PriceDB, tuple[str, tuple[date, ...]]] = (
    weakref.WeakKeyDictionary()
)


def _db_fingerprint(db: PriceDB) -> tuple[str, tuple[date, ...]]:
    """A digest of the DB's content, and every date on which one of its prices or deprecations
    takes effect (sorted)."""
    known = _DB_FINGERPRINTS.get(db)
    if known is None:
        known = _DB_FINGERPRINTS[db] = (db.digest, db.dates())
    return known


def _last_date(dates: Sequence[date], day: date) -> date | None:
    return dates[bisect.bisect_right(dates, day) - 1] if dates and dates[0] <= day else None
