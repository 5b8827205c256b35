"""The command registry: every `llmcost.*` command is a `Command` in its own feature module.

To add one (e.g. `llmcost.diff`): write `features/diff_command.py` with
`COMMAND = Command("llmcost.diff", "Show the cost diff", run)` where `async def run(ls, args)`
returns a JSON-able result, and add the module to `COMMAND_MODULES` in `server/server.py`.
The command is then registered with pygls and listed in `executeCommandProvider`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pygls.exceptions import JsonRpcException

from llmcost_lsp.server.protocol import REQUEST_FAILED
from llmcost_lsp.server.state import LlmCostServer

log = logging.getLogger(__name__)

CommandRun = Callable[[LlmCostServer, list[Any]], Awaitable[Any]]


@dataclass(frozen=True)
class Command:
    name: str  # "llmcost.<verb>"
    title: str  # what code actions and command palettes show
    run: CommandRun


class CommandError(JsonRpcException):
    """A command's arguments or situation are wrong: answered as an error (LSP's RequestFailed,
    its message for the user, no traceback), server stays up."""

    CODE = REQUEST_FAILED


def register_commands(ls: LlmCostServer, commands: Sequence[Command]) -> None:
    for command in commands:
        _register(ls, command)


def _register(ls: LlmCostServer, command: Command) -> None:
    async def handler(*args: Any) -> Any:
        log.info("command %s %s", command.name, args)
        return await command.run(ls, list(args))

    ls.command(command.name)(handler)
