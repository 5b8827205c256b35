"""What a change does to the budget gate itself: the manifest inputs a pull request can edit to
make `check` pass without touching a prompt (contracted prices, tokenizer calibration, budgets,
rules, which files count), and values of them no real bill has.

`diff` lists every such change as its own line ("this change lowers gpt-4o's input price to $0
for this repository"); `check` flags a price of 0 or far under the list price, and a tokenizer
ratio outside a sane band, unless the manifest gives a `reason` for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

from llmcost_lsp.core.errors import LlmCostError
from llmcost_lsp.core.issues import Issue
from llmcost_lsp.core.manifest import Manifest, PriceOverride
from llmcost_lsp.core.pricing.db import PriceDB

# (override key, price DB field, words)
_COMPONENTS = (
    ("input", "input", "input"),
    ("output", "output", "output"),
    ("cache_read", "cache_read", "cache-read"),
    ("cache_write", "cache_write_5m", "cache-write"),
    ("cache_write_1h", "cache_write_1h", "1-hour cache-write"),
)
PLAUSIBLE_SHARE = Decimal("0.1")  # an override under a tenth of the list price needs a reason
RATIO_BAND = (Decimal("0.5"), Decimal("2"))  # tokens per reference token, for a ratio


def _usd(value: Decimal | None) -> str:
    return "unknown" if value is None else f"${value.normalize():f}"


def _list_price(db: PriceDB, model: str, field: str, on: date) -> Decimal | None:
    try:
        value = getattr(db.resolve(model).prices_at(on).schedule, field)
    except LlmCostError:
        return None
    return value if isinstance(value, Decimal) else None


def gate_changes(base: Manifest | None, head: Manifest | None, db: PriceDB, on: date) -> list[str]:
    """One sentence per change of a gate input between two manifests, in a stable order."""
    return [*_override_changes(base, head, db, on), *_calibration_changes(base, head),
            *_budget_changes(base, head), *_other_changes(base, head)]  # fmt: skip


def _override_changes(
    base: Manifest | None, head: Manifest | None, db: PriceDB, on: date
) -> Iterator[str]:
    old = base.pricing.overrides if base else {}
    new = head.pricing.overrides if head else {}
    for model in sorted(old.keys() | new.keys()):
        before, after = old.get(model, PriceOverride()), new.get(model, PriceOverride())
        for key, field, words in _COMPONENTS:
            was, now = getattr(before, key), getattr(after, key)
            if was == now:
                continue
            listed = _list_price(db, model, field, on)
            effective_was = was if was is not None else listed
            effective_now = now if now is not None else listed
            verb = (
                "changes"
                if effective_was is None or effective_now is None
                else "lowers"
                if effective_now < effective_was
                else "raises"
                if effective_now > effective_was
                else "sets"
            )
            target = f"back to the list price {_usd(listed)}" if now is None else f"to {_usd(now)}"
            yield (
                f"this change {verb} {model}'s {words} price {target} per million tokens for "
                f'this repository (pricing.overrides."{model}".{key}: '
                f"{_usd(was) if was is not None else 'list ' + _usd(listed)} → "
                f"{_usd(now) if now is not None else 'list ' + _usd(listed)})"
            )


def _calibration_changes(base: Manifest | None, head: Manifest | None) -> Iterator[str]:
    old = base.calibration.tokenizers if base else {}
    new = head.calibration.tokenizers if head else {}
    for family in sorted(old.keys() | new.keys()):
        was = old[family].ratio if family in old else None
        now = new[family].ratio if family in new else None
        if was == now:
            continue
        shown = "the price DB's" if now is None else str(now)
        yield (
            f"this change sets the {family} tokenizer ratio to {shown} (was "
            f"{'the price DB’s' if was is None else was}): every {family} prompt's token count "
            f"scales with it"
        )


def _budget_changes(base: Manifest | None, head: Manifest | None) -> Iterator[str]:
    def pairs(manifest: Manifest | None) -> dict[str, object]:
        if manifest is None:
            return {}
        budgets = manifest.budgets
        found: dict[str, object] = {
            "the workspace budget ([budgets] monthly_usd)": budgets.monthly_usd,
            "the per-call limit ([budgets] max_cost_per_call_usd)": budgets.max_cost_per_call_usd,
            "the forbidden models ([budgets] forbidden_models)": tuple(budgets.forbidden_models),
        }
        for key, values in budgets.tags.items():
            for value, amount in values.items():
                found[f"the budget of tag {key}={value}"] = amount
        for prompt_id, entry in manifest.prompts.items():
            found[f"the budget of prompt '{prompt_id}'"] = entry.budget_monthly_usd
            found[f"the per-call limit of prompt '{prompt_id}'"] = entry.max_cost_per_call_usd
        return found

    old, new = pairs(base), pairs(head)
    for what in sorted(old.keys() | new.keys()):
        was, now = old.get(what), new.get(what)
        if was == now or (not was and not now):
            continue
        if isinstance(was, Decimal | None) and isinstance(now, Decimal | None):
            if now is None:
                yield f"this change removes {what} (was {_usd(was)})"
            elif was is None:
                yield f"this change sets {what} to {_usd(now)}"
            else:
                verb = "raises" if now > was else "lowers"
                yield f"this change {verb} {what} from {_usd(was)} to {_usd(now)}"
        else:
            yield f"this change edits {what}: {list(was or ())} → {list(now or ())}"  # type: ignore[call-overload]


def _other_changes(base: Manifest | None, head: Manifest | None) -> Iterator[str]:
    if (base.rules if base else ()) != (head.rules if head else ()):
        yield "this change edits [[rules]] (the model swaps suggested over budget)"
    if (base.discovery if base else None) != (head.discovery if head else None):
        yield "this change edits [discovery] include/exclude: which files count as prompts"


def implausible_values(manifest: Manifest, db: PriceDB, on: date) -> list[Issue]:
    """A contracted price of 0 or under a tenth of the list price, or a tokenizer ratio outside
    0.5-2: errors unless the entry gives a `reason` (then information that says it)."""
    issues: list[Issue] = []
    for model, override in manifest.pricing.overrides.items():
        for key, field, words in _COMPONENTS:
            value = getattr(override, key)
            listed = _list_price(db, model, field, on)
            if value is None or (value and (listed is None or value >= listed * PLAUSIBLE_SHARE)):
                continue
            message = (
                f"the contracted {words} price of {model} is {_usd(value)} per million tokens "
                f"(list price {_usd(listed)}): every estimate on it "
                + ("is free" if not value else "is under a tenth of the list price")
            )
            issues.append(_finding(manifest, "implausible-price", message, override.reason,
                                   ("pricing", "overrides", model, key)))  # fmt: skip
    low, high = RATIO_BAND
    for family, tuned in manifest.calibration.tokenizers.items():
        if low <= tuned.ratio <= high:
            continue
        message = (
            f"the {family} tokenizer ratio {tuned.ratio} is outside {low}-{high}: token counts "
            f"of its prompts scale by it"
        )
        issues.append(_finding(manifest, "implausible-calibration", message, tuned.reason,
                               ("calibration", "tokenizers", family, "ratio")))  # fmt: skip
    return issues


def _finding(
    manifest: Manifest, code: str, message: str, reason: str | None, key: tuple[str, ...]
) -> Issue:
    where = manifest.location_of(*key)
    if reason:
        return Issue(code, f"{message}; accepted: {reason}", where, "info")
    return Issue(
        code, message, where, "error", 'if it is right, say why: reason = "…" in that table'
    )
