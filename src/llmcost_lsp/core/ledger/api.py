"""The ledger as an app or a shell opens it: where it is, how calls are priced, `record(...)`,
and budgets before the call: `guard(...)`, `choose_model(...)` (core/ledger/guard.py).

Location: `LLMCOST_LEDGER` (a file path or a `postgresql://` URL), else the manifest's
`[actuals] ledger`, else `ledger.sqlite3` under the user data dir. Prices: the price DB in use
and the `[pricing.overrides]` of the manifest (`LLMCOST_MANIFEST`, else `./llm-cost.toml`).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmcost_lsp.core.ledger.price import Pricer
from llmcost_lsp.core.ledger.recorder import Recorder
from llmcost_lsp.core.ledger.store import SqlStore, open_store

if TYPE_CHECKING:
    from decimal import Decimal

    from llmcost_lsp.core.ledger.guard import Guard
    from llmcost_lsp.core.ledger.guard_decision import Decision
    from llmcost_lsp.core.manifest import Manifest
    from llmcost_lsp.core.pricing.db import PriceDB

LEDGER_ENV = "LLMCOST_LEDGER"
PROJECT_ENV = "LLMCOST_PROJECT"
MANIFEST_ENV = "LLMCOST_MANIFEST"
LEDGER_FILENAME = "ledger.sqlite3"
log = logging.getLogger(__name__)


def default_ledger_path(env: Mapping[str, str] | None = None) -> Path:
    import platformdirs

    env = os.environ if env is None else env
    data = env.get("LLMCOST_DATA_DIR") or platformdirs.user_data_dir("llm-cost")
    return Path(data) / LEDGER_FILENAME


def ledger_location(
    manifest: Manifest | None = None,
    env: Mapping[str, str] | None = None,
    root: Path | None = None,
) -> str:
    """Where the ledger is: env, else the manifest's `[actuals] ledger` (a relative path is
    relative to the manifest's folder `root`), else the default file."""
    env = os.environ if env is None else env
    named = env.get(LEDGER_ENV, "").strip()
    if named:
        return named
    actuals = getattr(manifest, "actuals", None)
    configured = getattr(actuals, "ledger", None)
    if configured:
        if "://" in configured or root is None:
            return str(configured)
        return str((root / configured).resolve())
    return str(default_ledger_path(env))


def ledger_project(
    manifest: Manifest | None = None, env: Mapping[str, str] | None = None
) -> str | None:
    """The project of calls recorded without one: `LLMCOST_PROJECT`, else the manifest's
    `[actuals] project`, else none ("")."""
    env = os.environ if env is None else env
    named = env.get(PROJECT_ENV, "").strip()
    if named:
        return named
    project = getattr(getattr(manifest, "actuals", None), "project", None)
    return str(project) if project else None


def display_location(location: str) -> str:
    """The location without a password (for messages and logs)."""
    if "://" in location and "@" in location:
        scheme, rest = location.split("://", 1)
        credentials, host = rest.rsplit("@", 1)
        user = credentials.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}" if ":" in credentials else location
    return location


def load_manifest_for_pricing(env: Mapping[str, str] | None = None) -> Manifest | None:
    """The manifest whose overrides price runtime calls: LLMCOST_MANIFEST, else ./llm-cost.toml."""
    from llmcost_lsp.core.manifest import MANIFEST_FILENAME, load_manifest

    env = os.environ if env is None else env
    path = Path(env.get(MANIFEST_ENV) or MANIFEST_FILENAME)
    return load_manifest(path) if path.is_file() else None


def _app_manifest() -> Manifest | None:
    """`load_manifest_for_pricing()` for a running app: a manifest that does not load (a typo
    in the app's llm-cost.toml) must not break its LLM calls. Calls are then recorded at list
    prices (their price id says so: no `+contract`) and the reason is logged; `actuals
    reprice` prices them again once the manifest loads."""
    try:
        return load_manifest_for_pricing()
    except Exception as error:
        log.warning("llm-cost ledger: the manifest does not load, calls priced at list prices: %s",
                    error)  # fmt: skip
        return None


def make_pricer(manifest: Manifest | None = None, db: PriceDB | None = None) -> Pricer:
    """A pricer with the price DB in use and `manifest`'s `[pricing.overrides]`."""
    from llmcost_lsp.core.pricing.db import load_price_db
    from llmcost_lsp.core.prompt_settings import overrides_for

    db = db or load_price_db()
    return Pricer(db, partial(overrides_for, manifest, db))


def make_recorder(
    location: str | None = None,
    *,
    manifest: Manifest | None = None,
    capacity: int | None = None,
    **options: Any,
) -> Recorder:
    """A recorder writing to `location` (default: `ledger_location()`). The store is opened and
    the price DB loaded on the writer thread, so this returns at once even if PostgreSQL is
    down. Calls recorded without a project get `ledger_project()` (`project=` overrides)."""
    where = location or ledger_location(manifest)
    if "project" not in options:
        options["project"] = ledger_project(manifest if manifest is not None else _app_manifest())

    def store() -> SqlStore:
        return open_store(where)

    def pricer() -> Pricer:
        return make_pricer(manifest if manifest is not None else _app_manifest())

    if capacity is not None:
        options["capacity"] = capacity
    return Recorder(store, pricer, **options)


_default: Recorder | None = None
_default_lock = threading.Lock()


def default_recorder() -> Recorder:
    """The process's recorder, made on first use from the environment."""
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = make_recorder()
    return _default


def record(usage: Any, **fields: Any) -> bool:
    """Record one call in the default ledger (see `Recorder.record` for the fields); never
    raises, never blocks; False when the call was dropped."""
    try:
        return default_recorder().record(usage, **fields)
    except Exception:
        return False


def manifest_root(env: Mapping[str, str] | None = None) -> Path:
    """The workspace whose budgets and estimates a guard uses: the folder of
    LLMCOST_MANIFEST, else the current folder."""
    env = os.environ if env is None else env
    named = env.get(MANIFEST_ENV)
    return Path(named).resolve().parent if named else Path.cwd()


def make_guard(
    root: Path | None = None,
    location: str | None = None,
    *,
    project: str | None = None,
    db: PriceDB | None = None,
    **options: Any,
) -> Guard:
    """A guard for the workspace at `root` (default: `manifest_root()`) and the ledger at
    `location` (default: `ledger_location()` of that workspace's manifest). Nothing is read
    until the first decision: the manifest and its prompts then, once."""
    from llmcost_lsp.core.ledger.guard import Guard
    from llmcost_lsp.core.ledger.guard_plan import GuardPlan
    from llmcost_lsp.core.manifest import MANIFEST_FILENAME, load_manifest

    folder = (root or manifest_root()).resolve()
    manifest_file = folder / MANIFEST_FILENAME
    manifest = None
    if location is None or project is None:
        try:
            manifest = load_manifest(manifest_file) if manifest_file.is_file() else None
        except Exception:
            manifest = None  # the plan reports it; the default ledger is used
    where = location or ledger_location(manifest, root=folder)

    def store() -> SqlStore:
        from llmcost_lsp.core.ledger.sqlite import SqliteLedger

        opened = open_store(where)
        if isinstance(opened, SqliteLedger):
            # a guarded call waits at most this long for the ledger's write lock
            opened.connection.execute("PRAGMA busy_timeout = 2000")
            opened.checkpoint_in_background()
        return opened

    def plan() -> GuardPlan:
        return GuardPlan(folder, db=db)

    return Guard(store, plan, project=project or ledger_project(manifest), **options)


_guard: Guard | None = None


def default_guard() -> Guard:
    """The process's guard, made on first use from the environment."""
    global _guard
    if _guard is None:
        with _default_lock:
            if _guard is None:
                _guard = make_guard()
    return _guard


def guard(
    prompt_id: str, model: str | None = None, *, estimate_usd: Decimal | None = None
) -> Decision:
    """Reserve a call of `prompt_id` (on `model`, default: the prompt's own) against every
    budget it counts in, or refuse it when one would break. Settle the decision with the
    call's usage (`decision.settle(response.usage)`) or `release()` it. Never raises."""
    return default_guard().check(prompt_id, model, estimate_usd=estimate_usd)


def choose_model(
    prompt_id: str, preferred: str | None = None, *, estimate_usd: Decimal | None = None
) -> Decision:
    """Like `guard`, but when `preferred` would break a budget, the first cheaper model of
    the manifest's `[[rules]] suggest` that fits is reserved instead (`decision.model`, and
    `decision.reason` says why); the swap is recorded in the ledger. Never raises."""
    return default_guard().choose(prompt_id, preferred, estimate_usd=estimate_usd)
