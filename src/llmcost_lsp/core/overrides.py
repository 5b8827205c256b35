"""The manifest's contracted prices (`[pricing.overrides."<model>"]`) for one model: the same
lookup for the estimate (workspace) and for a recorded call (ledger)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from llmcost_lsp.core.estimate import RateOverrides

if TYPE_CHECKING:
    from llmcost_lsp.core.manifest import Manifest
    from llmcost_lsp.core.pricing.db import ModelEntry, PriceDB


def overrides_for(
    manifest: Manifest | None, db: PriceDB, model: ModelEntry
) -> RateOverrides | None:
    """The override naming `model` (by id or any name the DB resolves to it), else None."""
    if manifest is None:
        return None
    for name, override in manifest.pricing.overrides.items():
        if name == model.id or (name in db and db.resolve(name).id == model.id):
            return RateOverrides(
                input=override.input,
                output=override.output,
                cache_read=override.cache_read,
                cache_write_5m=override.cache_write,
                cache_write_1h=override.cache_write_1h,
                source=f'manifest: pricing.overrides."{name}"',
            )
    return None
