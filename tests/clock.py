"""The suite's one clock: a day after the bundled price DB was made.

Every date decision (staleness, prices in effect, deprecations, billing periods, calibration
dates) reads it through LLMCOST_NOW, so no test changes its answer as the calendar moves
(`.ci/run` runs part of the suite again under `faketime` to check that).
"""

from __future__ import annotations

import functools
from datetime import datetime, timedelta
from pathlib import Path

BUNDLED_DB = Path(__file__).resolve().parent.parent / "src" / "llmcost_lsp" / "data" / "prices.json"


@functools.cache
def bundled_updated_at() -> datetime:
    from llmcost_lsp.core.pricing.db import load_price_db

    return load_price_db(BUNDLED_DB).updated_at


def suite_now() -> datetime:
    return bundled_updated_at() + timedelta(days=1)
