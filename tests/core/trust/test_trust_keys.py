"""Pinned release keys and org keys from config.toml, with located config errors."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from trust_helpers import KeyPair

from llmcost_lsp.core.errors import SignatureError
from llmcost_lsp.core.pricing.keys import ConfigError, org_keys, pinned_keys, trusted_keys
from llmcost_lsp.core.pricing.trust import check_key_validity
from llmcost_lsp.core.settings import Settings


def settings(tmp_path: Path) -> Settings:
    return Settings(cache_dir=tmp_path / "cache", config_dir=tmp_path / "config")


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_release_key_is_pinned_with_name_and_validity() -> None:
    keys = pinned_keys()
    assert [k.name for k in keys] == ["llm-cost-release-2026"]
    assert keys[0].key_id_hex == "8BDB3756BA47C8EA"
    assert keys[0].valid_from == date(2026, 11, 1)
    assert keys[0].source == "pinned:llm-cost-release-2026.pub"


def test_no_config_means_pinned_keys_only(tmp_path: Path) -> None:
    assert trusted_keys(settings(tmp_path)) == pinned_keys()


def test_org_key_from_config(tmp_path: Path, make_key: Callable[[], KeyPair]) -> None:
    pair = make_key()
    write_config(
        tmp_path,
        f"""# an org's negotiated price sheet
[[pricing.trusted_keys]]
name = "acme-finops"
public_key = "{pair.pub_line()}"
valid_from = 2026-01-01
""",
    )
    keys = trusted_keys(settings(tmp_path))
    assert [k.name for k in keys] == ["llm-cost-release-2026", "acme-finops"]
    assert keys[1].key == pair.public().key and keys[1].valid_from == date(2026, 1, 1)
    assert keys[1].source.startswith("config:")


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("[pricing\n", "invalid TOML", 1),
        ("[pricing]\ntrusted_keys = 3\n", "must be an array of tables", 2),
        ('[[pricing.trusted_keys]]\npublic_key = "RWQ"\n', "needs a non-empty string `name`", 1),
        ('[[pricing.trusted_keys]]\nname = "a"\n', "needs `public_key`", 1),
        (
            '[[pricing.trusted_keys]]\nname = "a"\npublic_key = "RWQnotakey"\n',
            "trusted_keys[0]: public_key is not a minisign public key",
            3,
        ),
        (
            '[[pricing.trusted_keys]]\nname = "a"\npublic_key = "x"\npublick_key = "y"\n',
            "unknown field 'publick_key'",
            4,
        ),
        (
            '[[pricing.trusted_keys]]\nname = "a"\npublic_key = "x"\nvalid_from = "soon"\n',
            "bad date",
            4,
        ),
    ],
)
def test_malformed_config_is_a_located_error(
    tmp_path: Path, text: str, message: str, line: int
) -> None:
    path = write_config(tmp_path, text)
    with pytest.raises(ConfigError, match=message.replace("[", r"\[")) as info:
        org_keys(path.parent)
    assert info.value.location is not None
    assert info.value.location.path == str(path)
    assert info.value.location.line == line
    assert info.value.exit_code == 2


def test_second_entry_error_points_at_its_own_line(
    tmp_path: Path, make_key: Callable[[], KeyPair]
) -> None:
    good = make_key().pub_line()
    path = write_config(
        tmp_path,
        f'[[pricing.trusted_keys]]\nname = "a"\npublic_key = "{good}"\n\n'
        '[[pricing.trusted_keys]]\nname = ""\npublic_key = "x"\n',
    )
    with pytest.raises(ConfigError, match=r"trusted_keys\[1\]") as info:
        org_keys(path.parent)
    assert info.value.location is not None and info.value.location.line == 5


def test_org_key_cannot_reuse_a_pinned_key_id_with_other_key_material(
    tmp_path: Path, make_key: Callable[[], KeyPair]
) -> None:
    pinned = pinned_keys()[0]
    forged = make_key()
    forged_line = forged.sign_module.public_key_text(forged.seed, pinned.key_id).splitlines()[1]
    write_config(
        tmp_path, f'[[pricing.trusted_keys]]\nname = "evil"\npublic_key = "{forged_line}"\n'
    )
    with pytest.raises(ConfigError, match="reuses key id 8BDB3756BA47C8EA"):
        trusted_keys(settings(tmp_path))


def test_key_validity_window() -> None:
    key = pinned_keys()[0]
    check_key_validity(key, datetime(2026, 11, 23, tzinfo=UTC), "x")
    with pytest.raises(SignatureError, match="valid from 2026-11-01"):
        check_key_validity(key, datetime(2026, 10, 1, tzinfo=UTC), "x")
    from dataclasses import replace

    retired = replace(key, valid_until=date(2027, 1, 1))
    with pytest.raises(SignatureError, match="retired on 2027-01-01"):
        check_key_validity(retired, datetime(2027, 2, 1, tzinfo=UTC), "x")
