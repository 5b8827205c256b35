"""`llm-cost` entry point: argument parsing and dispatch to one module per command.

Command modules import the core lazily inside `run`, so `llm-cost --version` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Iterator, Sequence

from llmcost_lsp import __version__
from llmcost_lsp.core.errors import LlmCostError
from llmcost_lsp.present import EXIT_INTERNAL_ERROR, ISSUES_URL, crash_message

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
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="llm-cost",
        description="What every prompt in this repository will cost, offline.",
    )
    parser.add_argument("--version", action="version", version=f"llm-cost {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in COMMANDS.values():
        try:
            module = importlib.import_module(f"llmcost_lsp.cli.{module_name}")
        except ModuleNotFoundError as error:
            if error.name != f"llmcost_lsp.cli.{module_name}":
                raise
            continue  # a command not built yet
        module.register(subparsers)
    for each in _all_parsers(parser):
        each.add_argument(
            "-v",
            "--verbose",
            action="store_true",
            # SUPPRESS: a subcommand's parser must not reset a `-v` given before the command
            default=argparse.SUPPRESS,
            help="on an internal error, print the traceback",
        )
    return parser


def _all_parsers(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    """The parser and every (nested) subcommand parser under it."""
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
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    try:
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
        print(crash_message("llm-cost", error, getattr(args, "verbose", False)), file=sys.stderr)
        return EXIT_INTERNAL_ERROR
    return code


if __name__ == "__main__":
    sys.exit(main())
