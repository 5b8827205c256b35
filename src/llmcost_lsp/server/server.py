"""Wiring only: build the server and register every feature and command module."""

from __future__ import annotations

from llmcost_lsp.server.features import (
    breakdown_command,
    check_command,
    code_actions,
    code_lens,
    commands,
    diagnostics,
    diff,
    documents,
    export_focus,
    hover,
    init_command,
    inlay_hints,
    lifecycle,
    prompt_list,
    select_scenario,
    switch_model,
    watching,
)
from llmcost_lsp.server.state import LlmCostServer

FEATURE_MODULES = (
    lifecycle,
    documents,
    diagnostics,
    inlay_hints,
    hover,
    code_lens,
    code_actions,
    watching,
)
# One line per command: a module under server/features/ with COMMAND = Command(...).
COMMAND_MODULES = (
    init_command,
    switch_model,
    check_command,
    select_scenario,
    diff,
    export_focus,
    prompt_list,
    breakdown_command,
)


def build_server() -> LlmCostServer:
    ls = LlmCostServer()
    for module in FEATURE_MODULES:
        module.register(ls)
    commands.register_commands(ls, [module.COMMAND for module in COMMAND_MODULES])
    return ls
