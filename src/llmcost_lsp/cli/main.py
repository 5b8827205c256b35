"""`llm-cost` entry point: argument parsing and dispatch to one module per command.

Only the command being run is imported (its module registers its arguments); the others get a
placeholder parser with their one-line summary, which is all `llm-cost --help` shows. Command
modules import the core lazily inside `run`, so `--version` and `--help` stay fast.
"""

from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING, Any

from llmcost_lsp import __version__

if TYPE_CHECKING:
    import argparse
    from collections.abc import Iterator, Sequence

    from llmcost_lsp.present import EXIT_INTERNAL_ERROR, ISSUES_URL

__all__ = ["EXIT_INTERNAL_ERROR", "ISSUES_URL", "build_parser", "main"]

# command name -> module in llmcost_lsp.cli with `register(subparsers)` and `run(args) -> int`
COMMANDS: dict[str, str] = {
    "estimate": "estimate",
    "init": "init",
    "check": "check",
    "diff": "diff",
    "export": "export",
    "calibrate": "calibrate",
    "tokens": "tokens",
    "pricing": "pricing",
    "actuals": "actuals",
    "report": "report",
    "completion": "completion",
}
# command name -> the `help` its module registers (tests/cli/test_cold_start.py keeps them equal)
SUMMARIES: dict[str, str] = {
    "estimate": "estimate the cost of every prompt in a workspace",
    "init": "create or extend llm-cost.toml with the prompts found",
    "check": "check budgets, per-call limits and model policy",
    "diff": "cost difference between a git base and the working tree (or another commit)",
    "export": "export the estimates in another format (FOCUS)",
    "calibrate": "compare estimates with actual usage (FOCUS) and tune llm-cost.toml",
    "tokens": "count the tokens of one prompt file for a model",
    "pricing": "inspect, verify and update the price DB",
    "actuals": "what calls really cost: the runtime ledger (summary, export, reprice, import)",
    "report": "write an HTML page with the costs as charts (offline, self-contained)",
    "completion": "print a shell completion script (bash, zsh, fish)",
}


def __getattr__(name: str) -> Any:
    # the crash path's names, re-exported without importing it for every start
    if name in ("EXIT_INTERNAL_ERROR", "ISSUES_URL"):
        from llmcost_lsp import present

        return getattr(present, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _command_in(argv: Sequence[str]) -> str | None:
    """The command `argv` runs: its first word that is not an option (the top-level options
    take no value), if that is a command."""
    word = next((arg for arg in argv if not arg.startswith("-")), None)
    return word if word in COMMANDS else None


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser for `argv`: the full arguments of the command it runs, a summary of the
    others. Without `argv`, every command is registered in full."""
    import argparse  # not for `--version`, answered before any parsing

    parser = argparse.ArgumentParser(
        prog="llm-cost",
        description="What every prompt in this repository will cost, offline.",
    )
    parser.add_argument("--version", action="version", version=f"llm-cost {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    wanted = set(COMMANDS) if argv is None else {_command_in(argv)}
    for name, module_name in COMMANDS.items():
        if name not in wanted:
            subparsers.add_parser(name, help=SUMMARIES.get(name))
            continue
        importlib.import_module(f"llmcost_lsp.cli.{module_name}").register(subparsers)
    for each in _all_parsers(parser):
        quiet = each.add_mutually_exclusive_group()
        quiet.add_argument(
            "-v",
            "--verbose",
            action="store_true",
            # SUPPRESS: a subcommand's parser must not reset a `-v` given before the command
            default=argparse.SUPPRESS,
            help="on an internal error, print the traceback",
        )
        quiet.add_argument(
            "-q",
            "--quiet",
            action="store_true",
            default=argparse.SUPPRESS,
            help="print the report and errors only: no progress, notes or coverage line",
        )
    return parser


def _all_parsers(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    """The parser and every (nested) subcommand parser under it."""
    import argparse

    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in dict.fromkeys(action.choices.values()):
                yield from _all_parsers(sub)


def main(argv: Sequence[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):
        # a file name that is not UTF-8 (a lone surrogate here) is written as `\udcff`, which
        # keeps JSON valid UTF-8 and parseable, instead of a raw byte or a crash
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
    argv = sys.argv[1:] if argv is None else argv
    if list(argv) == ["--version"]:  # what scripts and editors probe: no parser needed
        print(f"llm-cost {__version__}")
        sys.exit(0)  # as argparse's version action does
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    from llmcost_lsp.cli.terminal import output_to
    from llmcost_lsp.core.errors import LlmCostError

    args.quiet = getattr(args, "quiet", False)
    try:
        with output_to(getattr(args, "report_output", None)):
            code: int = args.run(args)
    except LlmCostError as error:
        print(f"llm-cost: error: {error}", file=sys.stderr)
        return error.exit_code
    except (RecursionError, MemoryError, ArithmeticError) as error:
        # a limit the input checks missed: still a clear message and exit 2, not a traceback
        # whose exit 1 would read as "budget exceeded"
        print(
            f"llm-cost: error: cannot handle this input ({type(error).__name__}: {error})",
            file=sys.stderr,
        )
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as error:  # the last resort: a bug must not look like a budget breach
        from llmcost_lsp.present import EXIT_INTERNAL_ERROR, crash_message

        print(crash_message("llm-cost", error, getattr(args, "verbose", False)), file=sys.stderr)
        return EXIT_INTERNAL_ERROR
    return code


if __name__ == "__main__":
    sys.exit(main())
