"""Model names as code writes them -> one model of the price DB, and what was assumed.

Tried in order, first hit wins:
1. an exact id or alias (any case, surrounding spaces ignored);
2. a moving name (`mistral-large-latest`): priced as what it points to on the DB's date, with a
   note naming the pinned id to write instead;
3. a host or provider prefix (`openai/`, `azure/`, `bedrock/`, `vertex_ai/`, `gemini/`, `groq/`,
   `together_ai/`, `fireworks_ai/`, `openrouter/`, `models/`…): the host decides the price. A
   provider's own prefix (`anthropic/claude-3.5-sonnet`) is the provider's API when the rest
   names one of its models, else the OpenRouter slug of the same spelling;
4. a Bedrock model id with a region prefix or version suffix (`us.anthropic.…-v1:0`);
5. a snapshot the source prices like its family (`claude-3-5-sonnet-20240620`): a name prefix the
   source declares, followed by a date or version only. Dated snapshots with a price of their
   own (`gpt-4o-2024-05-13`) are exact names of their own model and never reach this step.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from typing import Any

from llmcost_lsp.core.pricing.naming import (
    BEDROCK_REGION,
    HOST_NAMES,
    bedrock_key,
    bedrock_scope,
    generation,
    maker_of,
)

FIRST_PARTY_PREFIXES = {
    "openai": "openai",
    "anthropic": "anthropic",
    "gemini": "google",
    "google": "google",
    "models": "google",
    "mistral": "mistral",
    "mistralai": "mistral",
    "deepseek": "deepseek",
    "xai": "xai",
    "x-ai": "xai",
    "cohere": "cohere",
    "cohere_chat": "cohere",
    "perplexity": "perplexity",
    "voyage": "voyage",
}
HOST_PREFIXES = {
    "azure": "azure",
    "azure_ai": "azure",
    "bedrock": "bedrock",
    "bedrock_converse": "bedrock",
    "converse": "bedrock",
    "invoke": "bedrock",
    "vertex_ai": "vertex",
    "vertex_ai_beta": "vertex",
    "vertex": "vertex",
    "groq": "groq",
    "together_ai": "together",
    "together": "together",
    "fireworks_ai": "fireworks",
    "fireworks": "fireworks",
    "openrouter": "openrouter",
}
# hosts that bill a first-party model at its provider's list price when they have no price of
# their own (genai-prices' Azure provider falls back to these; Vertex AI lists Gemini alike)
HOST_FALLBACK = {
    # Azure OpenAI's Global deployments bill OpenAI's list price (genai-prices' Azure provider
    # falls back to it); Data Zone and regional deployments cost 10% more, as the note says
    "azure": {"openai", "anthropic", "deepseek", "xai"},
    # no Vertex AI fallback: Vertex prices some Gemini models above the Gemini API (2.0 Flash
    # 0.15/0.6 vs 0.1/0.4) and Claude 4.5+ regionally above Anthropic's
    "bedrock": {"anthropic"},
    # OpenRouter passes the provider's own price through for the first-party models we carry
    "openrouter": {"openai", "anthropic", "google", "mistral", "deepseek", "xai", "cohere"},
}
BEDROCK_VENDOR = re.compile(r"^(anthropic|meta|amazon|mistral|cohere|ai21|deepseek|openai)\.")
SNAPSHOT_SUFFIX = re.compile(
    r"^(|-\d{8}|-\d{4}-\d{2}-\d{2}|-\d{2}-\d{4}|-\d{4}|@\d{8}|@latest|-v\d+(@\d{8})?|"
    r"-v\d+:\d+|-\d{3}|-latest|\d{4,8})$"  # bare digits: a date continued (`-2025` + `0514`)
)
Found = tuple[str, tuple[str, ...]]


class NameIndex:
    """Every name of every model, built from the raw DB (no validation needed to look up).

    The build stores it in the price file (`name_index`, see `to_table`), so loading the DB reads
    this table instead of parsing every model; a file without one gets it built here."""

    def __init__(self, models: Iterable[dict[str, Any]] = ()) -> None:
        self.names: dict[str, str] = {}
        self.moving: dict[str, tuple[str, str]] = {}
        self.prefixes: dict[str, str] = {}
        self.bedrock: dict[str, dict[str, str]] = {}  # key -> scope -> model
        self.provider: dict[str, str] = {}
        self.hosted: dict[str, str | None] = {}
        self._add(models)

    def to_table(self) -> dict[str, Any]:
        """A compact JSON form: models numbered once, names pointing at the numbers."""
        ids = list(self.provider)
        number = {model_id: i for i, model_id in enumerate(ids)}
        return {
            "models": [[i, self.provider[i], self.hosted[i]] for i in ids],
            "names": {k: number[v] for k, v in self.names.items()},
            "moving": {k: [number[v[0]], v[1]] for k, v in self.moving.items()},
            "prefixes": {k: number[v] for k, v in self.prefixes.items()},
            "bedrock": {
                k: {scope: number[v] for scope, v in scopes.items()}
                for k, scopes in self.bedrock.items()
            },
        }

    @classmethod
    def from_table(cls, table: dict[str, Any]) -> NameIndex:
        index = cls()
        ids = [row[0] for row in table["models"]]
        index.provider = {row[0]: row[1] for row in table["models"]}
        index.hosted = {row[0]: row[2] for row in table["models"]}
        index.names = {k: ids[v] for k, v in table["names"].items()}
        index.moving = {k: (ids[v[0]], v[1]) for k, v in table["moving"].items()}
        index.prefixes = {k: ids[v] for k, v in table["prefixes"].items()}
        index.bedrock = {
            k: {scope: ids[v] for scope, v in scopes.items()}
            for k, scopes in table["bedrock"].items()
        }
        index._prefix_order = sorted(index.prefixes, key=len, reverse=True)
        return index

    def _add(self, models: Iterable[dict[str, Any]]) -> None:
        for model in models:
            model_id = model["id"]
            self.provider[model_id] = str(model.get("provider", ""))
            self.hosted[model_id] = model.get("hosted_by")
            for name in (model_id, *model.get("aliases", ())):
                self.names.setdefault(name.strip().lower(), model_id)
            for name, pinned in (model.get("moving_aliases") or {}).items():
                self.moving.setdefault(name.lower(), (model_id, pinned))
            for prefix in model.get("name_prefixes", ()):
                self.prefixes.setdefault(prefix.lower(), model_id)
            if model.get("hosted_by") == "bedrock":
                for name in (model_id, *model.get("aliases", ())):
                    scopes = self.bedrock.setdefault(bedrock_key(name), {})
                    scopes.setdefault(bedrock_scope(name), model_id)
        self._prefix_order = sorted(self.prefixes, key=len, reverse=True)

    # -- lookup ---------------------------------------------------------------------------------

    def find(self, name: str) -> Found | None:
        key = name.strip().lower()
        if not key:
            return None
        found = self._find(key, depth=0)
        if found is None and " " in key:
            # a display name as chat tools write it: "Claude Sonnet 4" -> claude-sonnet-4
            dashed = "-".join(key.split())
            found = self._find(dashed, depth=0)
            if found is not None:
                found = found[0], (*found[1], f"{name.strip()!r} read as {dashed!r}")
        return found

    def _find(self, key: str, depth: int) -> Found | None:
        if key in self.names:
            model_id = self.names[key]
            if key.endswith("latest"):  # a provider's moving name kept as a model of its own
                return model_id, (_moving_note(key, model_id, None),)
            host = self.hosted.get(model_id)
            if host and not key.startswith(f"{host}/"):  # a host's bare name: say whose price
                return model_id, (_host_note(host, model_id),)
            return model_id, ()
        if key in self.moving:
            model_id, pinned = self.moving[key]
            return model_id, (_moving_note(key, model_id, pinned),)
        if depth < 2 and "/" in key:
            found = self._prefixed(key, depth)
            if found is not None:
                return found
        if "." in key and ("/" not in key):
            on_bedrock = self._on_bedrock(key)
            if on_bedrock is not None:
                return on_bedrock
            if BEDROCK_REGION.match(key) or BEDROCK_VENDOR.match(key):
                return self._bedrock_fallback(key)
        return self._snapshot(key)

    def _on_bedrock(self, key: str) -> Found | None:
        """A Bedrock id in any spelling: the price of its scope (global or regional)."""
        scopes = self.bedrock.get(bedrock_key(key))
        if not scopes:
            return None
        wanted = bedrock_scope(key)
        model_id = scopes.get(wanted)
        if model_id is not None:
            return model_id, (_host_note("bedrock", model_id),)
        (other, model_id), *_ = scopes.items()
        return model_id, (
            _host_note("bedrock", model_id),
            f"Amazon Bedrock: the DB has only the {other} price of this model, not the {wanted} "
            "one",
        )

    def _bedrock_fallback(self, key: str) -> Found | None:
        """A Bedrock id the DB has no Bedrock price for: the provider's own model, when Bedrock
        bills it at the provider's list price (Anthropic's Claude)."""
        vendor, _, model = bedrock_key(key).partition(".")
        if not model or vendor not in HOST_FALLBACK["bedrock"]:
            return None
        found = self._find(model, depth=2)
        if found is None or self.hosted.get(found[0]) is not None:
            return None
        if tuple(generation(found[0])[:2]) >= (4, 5):
            return None  # Bedrock bills these 10% above Anthropic outside `global.`: no guess
        note = (
            f"Amazon Bedrock has no price of its own for this model in the DB: priced at "
            f"{found[0]}'s list price on Anthropic's API, which Bedrock charges on demand for "
            "Claude models before 4.5"
        )
        return found[0], (*found[1], note)

    def _prefixed(self, key: str, depth: int) -> Found | None:
        head, rest = key.split("/", 1)
        if head in FIRST_PARTY_PREFIXES:
            found = self._find(rest, depth + 1)
            if found is not None and self.hosted.get(found[0]) is None:
                return found
            slug = self.names.get(f"openrouter/{key}")
            if slug is not None:
                return slug, (_host_note("openrouter", slug),)
            return found
        host = HOST_PREFIXES.get(head)
        if host is None:
            for other in ("together", "openrouter"):
                model_id = self.names.get(f"{other}/{key}")
                if model_id is not None:
                    return model_id, (_host_note(other, model_id),)
            return None
        if host == "fireworks":
            rest = rest.removeprefix("accounts/fireworks/models/")
        own: str | None
        if host == "bedrock":
            rest = rest.split("/", 1)[-1] if rest.startswith(("converse/", "invoke/")) else rest
            model_id = self.names.get(f"bedrock/{rest}")
            if model_id is not None:
                return model_id, (_host_note("bedrock", model_id),)
            return self._on_bedrock(rest) or self._bedrock_fallback(rest)
        own = self.names.get(f"{host}/{rest}")
        if own is not None:
            return own, (_host_note(host, own),)
        snapshot = self._snapshot(f"{host}/{rest}")
        if snapshot is not None:
            return snapshot[0], (*snapshot[1], _host_note(host, snapshot[0]))
        found = self._find(rest, depth + 1)
        fallback = HOST_FALLBACK.get(host, set())
        if (
            found is not None
            and self.hosted.get(found[0]) is None
            and self.provider.get(found[0]) in fallback
        ):
            note = (
                f"{HOST_NAMES[host]} has no price of its own for this model in the DB: "
                f"priced at {found[0]}'s list price on its provider's API, which "
                f"{HOST_NAMES[host]} charges for it"
                + (
                    " on a Global deployment (Data Zone and regional ones cost 10% more)"
                    if host == "azure"
                    else ""
                )
            )
            return found[0], (*found[1], note)
        return None

    def _snapshot(self, key: str) -> Found | None:
        for prefix in self._prefix_order:
            if key.startswith(prefix) and SNAPSHOT_SUFFIX.match(key[len(prefix) :]):
                model_id = self.prefixes[prefix]
                suffix = key[len(prefix) :]
                if suffix.endswith("latest"):
                    return model_id, (_moving_note(key, model_id, None),)
                return model_id, ()
        return None

    # -- suggestions ----------------------------------------------------------------------------

    def suggest(self, name: str, limit: int) -> list[str]:
        """Close names, the same provider and family first (`gpt-3.5-x` -> OpenAI's GPT-3.5)."""
        key = name.strip().lower()
        bare = key.rsplit("/", 1)[-1]
        bare = BEDROCK_REGION.sub("", bare)
        maker = maker_of(bare, "")
        family = re.split(r"[-.:@_]", bare, maxsplit=1)[0]
        candidates = difflib.get_close_matches(bare, list(self.names), n=40, cutoff=0.5)
        scored = []
        for candidate in candidates:
            model_id = self.names[candidate]
            same_provider = bool(maker) and self.provider.get(model_id) == maker
            same_family = candidate.split("/")[-1].startswith(family)
            first_party = self.hosted.get(model_id) is None
            ratio = difflib.SequenceMatcher(None, bare, candidate).ratio()
            scored.append((not same_provider, not same_family, not first_party, -ratio, model_id))
        scored.sort()
        ids: list[str] = []
        for *_rank, model_id in scored:
            if model_id not in ids:
                ids.append(model_id)
        return ids[:limit]


def _moving_note(name: str, model_id: str, pinned: str | None) -> str:
    pin = pinned or f"a dated snapshot of {model_id}"
    return (
        f"{name!r} is a moving alias: priced as {model_id}, what it points to on the price DB's "
        f"date; write {pin!r} to keep this price when the alias moves"
    )


def _host_note(host: str, model_id: str) -> str:
    return f"host: {HOST_NAMES.get(host, host)} prices this call ({model_id})"
