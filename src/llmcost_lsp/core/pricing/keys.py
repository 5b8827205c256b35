"""Trusted public keys: the project's release keys pinned in the package, plus org keys from config.

Rotation is a list in `data/keys/keys.json`: each key has a name and a validity window.
"""

from __future__ import annotations

import json
import re
import tomllib
from datetime import date
from pathlib import Path
from typing import Any

from llmcost_lsp.core.errors import InputError, LlmCostError, Location
from llmcost_lsp.core.pricing.trust import PublicKey, parse_public_key
from llmcost_lsp.core.settings import Settings
from llmcost_lsp.data import DATA_DIR

CONFIG_FILE = "config.toml"
_ENTRY_FIELDS = {"name", "public_key", "valid_from", "valid_until"}


class ConfigError(InputError):
    """The user config file (config.toml) is malformed."""

    default_code = "config-error"


def pinned_keys() -> tuple[PublicKey, ...]:
    """The release keys shipped in the package (`llmcost_lsp/data/keys/keys.json`)."""
    folder = DATA_DIR / "keys"
    manifest = json.loads((folder / "keys.json").read_text("utf-8"))
    keys = []
    for entry in manifest["keys"]:
        source = f"pinned:{entry['file']}"
        keys.append(
            parse_public_key(
                folder.joinpath(entry["file"]).read_text("utf-8"),
                name=entry["name"],
                source=source,
                valid_from=_optional_date(entry.get("valid_from")),
                valid_until=_optional_date(entry.get("valid_until")),
            )
        )
    return tuple(keys)


def _optional_date(value: object) -> date | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _line_of(text: str, needle: str) -> int | None:
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    return None


def org_keys(config_dir: Path) -> tuple[PublicKey, ...]:
    """Keys an organisation trusts for its own price sheets: `[[pricing.trusted_keys]]`."""
    path = config_dir / CONFIG_FILE
    if not path.is_file():
        return ()
    text = path.read_text("utf-8")
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        match = re.search(r"at line (\d+), column (\d+)", str(error))
        line, column = (int(match[1]), int(match[2])) if match else (None, None)
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(error))
        raise ConfigError(
            f"invalid TOML: {message}", location=Location(str(path), line, column)
        ) from None
    pricing = document.get("pricing", {})
    entries: Any = pricing.get("trusted_keys", []) if isinstance(pricing, dict) else None
    if not isinstance(entries, list):
        raise ConfigError(
            "pricing.trusted_keys must be an array of tables ([[pricing.trusted_keys]])",
            location=Location(str(path), _line_of(text, "trusted_keys")),
        )
    return tuple(_org_key(entry, index, path, text) for index, entry in enumerate(entries))


def _org_key(entry: Any, index: int, path: Path, text: str) -> PublicKey:
    label = f"pricing.trusted_keys[{index}]"
    header_lines = [
        n for n, line in enumerate(text.splitlines(), 1) if "pricing.trusted_keys" in line
    ]
    header_line = header_lines[index] if index < len(header_lines) else None

    def fail(message: str, needle: str | None = None) -> ConfigError:
        line = (_line_of(text, needle) if needle else None) or header_line
        return ConfigError(f"{label}: {message}", location=Location(str(path), line))

    if not isinstance(entry, dict):
        raise fail("must be a table with name and public_key")
    unknown = sorted(set(entry) - _ENTRY_FIELDS)
    if unknown:
        raise fail(f"unknown field {unknown[0]!r} (expected {sorted(_ENTRY_FIELDS)})", unknown[0])
    name, public_key = entry.get("name"), entry.get("public_key")
    if not isinstance(name, str) or not name.strip():
        raise fail("needs a non-empty string `name`")
    if not isinstance(public_key, str):
        raise fail("needs `public_key`, the minisign public key (the base64 line starting RW)")
    try:
        valid_from = _optional_date(entry.get("valid_from"))
        valid_until = _optional_date(entry.get("valid_until"))
    except ValueError as error:
        raise fail(f"bad date: {error}", "valid_") from None
    try:
        return parse_public_key(
            public_key,
            name=name,
            source=f"config:{path}",
            valid_from=valid_from,
            valid_until=valid_until,
        )
    except LlmCostError as error:
        message = f"public_key is not a minisign public key: {error.message}"
        raise fail(message, public_key.strip()) from None


def trusted_keys(settings: Settings) -> tuple[PublicKey, ...]:
    """Pinned keys first, then the org's keys; a config key cannot shadow a pinned key id."""
    keys = list(pinned_keys())
    seen = {key.key_id: key for key in keys}
    for key in org_keys(settings.config_dir):
        if key.key_id in seen:
            if seen[key.key_id].key != key.key:
                raise ConfigError(
                    f"org key {key.name!r} reuses key id {key.key_id_hex} of another key",
                    location=Location(key.source.removeprefix("config:")),
                )
            continue
        seen[key.key_id] = key
        keys.append(key)
    return tuple(keys)
