"""The models a name the price DB does not know probably means: an Azure deployment
(`gpt4o-prod`, `gpt-35-turbo-eastus-001`) or an alias the code uses. What the editor's
"Map '<name>' to <model> in llm-cost.toml [models]" quick fixes offer."""

from __future__ import annotations

import re

from llmcost_lsp.core.errors import UnknownModelError
from llmcost_lsp.core.pricing.db import PriceDB

# Words deployments add to a model's name for where or how it runs (`gpt4o-prod`,
# `gpt-35-turbo-eastus-001`): left out before the name is looked up.
_DEPLOYMENT_WORDS = frozenset(
    {"prod", "production", "dev", "development", "test", "staging", "stage", "qa", "deployment",
     "deploy", "default", "main", "primary", "eastus", "eastus2", "westus", "westus2", "westeurope",
     "northeurope", "swedencentral", "east", "west", "north", "south", "us", "eu", "uk", "global"}
)  # fmt: skip


def models_for_name(db: PriceDB, name: str, limit: int = 3) -> list[str]:
    """The DB's model ids a name it does not know probably means, closest first: the name with
    its deployment words and numbers at the end left out (resolved, or its close ids), then the
    whole name's close ids; chat models first. Empty when the DB knows the name."""
    try:
        db.resolve_name(name)
        return []
    except UnknownModelError as whole:
        close = list(whole.suggestions)
    parts = [p for p in re.split(r"[-_\s]+", name) if p]
    while parts and (parts[-1].lower() in _DEPLOYMENT_WORDS or parts[-1].isdigit()):
        parts.pop()
    stem = "-".join(parts)
    if parts and stem.lower() != name.lower():
        try:
            close = [db.resolve_name(stem).entry.id, *close]
        except UnknownModelError as error:
            close = [*error.suggestions, *close]
    known = [m for m in dict.fromkeys(close) if m in db]
    chat = [m for m in known if db.resolve(m).kind == "chat"]
    return [*chat, *(m for m in known if m not in chat)][:limit]
