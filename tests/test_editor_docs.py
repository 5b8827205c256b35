"""The editor docs agree with each other and with the plugins they describe."""

from __future__ import annotations

import json
import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _lazy_spec(text: str) -> list[str]:
    """The lines of the first `{ ... }` block after the words "lazy.nvim", stripped."""
    lines = text[text.index("{", text.index("lazy.nvim")) :].splitlines()
    end = next(i for i, line in enumerate(lines) if line.strip() == "}")
    return [line.strip() for line in lines[: end + 1] if line.strip()]


def test_one_lazy_nvim_spec_in_every_doc() -> None:
    docs = {
        "docs/editors.md": (REPO / "docs/editors.md").read_text(),
        ":help llmcost": (REPO / "editors/neovim/doc/llmcost.txt").read_text(),
    }
    specs = {name: _lazy_spec(text) for name, text in docs.items()}
    assert specs["docs/editors.md"] == specs[":help llmcost"], specs
    setup = 'config = function(_, opts) require("llmcost").setup(opts) end,'
    assert setup in specs[":help llmcost"]


def test_the_neovim_plugin_ships_what_vim_lsp_enable_needs() -> None:
    plugin = REPO / "editors/neovim"
    assert "lsp_config" in (plugin / "lsp/llmcost.lua").read_text()
    assert "bootstrap" in (plugin / "plugin/llmcost.lua").read_text()
    tags = (plugin / "doc/tags").read_text()
    assert re.search(r"^llmcost\tllmcost\.txt\t", tags, re.MULTILINE)


def test_vscode_settings_are_the_servers() -> None:
    """Every setting the extension contributes under llmcost.* that the server reads exists in
    the server's config (camelCase), so a setting cannot silently do nothing."""
    from llmcost_lsp.server.config import ServerConfig

    package = json.loads((REPO / "editors/vscode/package.json").read_text())
    contributed = package["contributes"]["configuration"]["properties"]
    server_keys = {info.alias or name for name, info in ServerConfig.model_fields.items()}
    for key in ("compareModels", "debounceMs", "scenario"):
        assert f"llmcost.{key}" in contributed and key in server_keys
