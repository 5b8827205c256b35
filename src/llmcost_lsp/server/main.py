"""`llmcost-lsp`: the language server (stdio, or TCP for debugging) and its headless `--check`."""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
from collections.abc import Sequence

from llmcost_lsp import __version__

LOG_LEVELS = ("debug", "info", "warning", "error")


def _host_port(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    try:
        number = int(port)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not HOST:PORT (e.g. 127.0.0.1:2087)"
        ) from None
    if not 0 < number < 65536:
        raise argparse.ArgumentTypeError(f"port {number} is out of range")
    return host or "127.0.0.1", number


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="llmcost-lsp",
        description="llm-cost language server: prompt costs as inlay hints, budgets as "
        "diagnostics. Speaks LSP on stdio unless --tcp is given; --check runs the same "
        "analysis once and prints it.",
    )
    p.add_argument("--version", action="version", version=f"llmcost-lsp {__version__}")
    p.add_argument("--stdio", action="store_true", help="talk LSP on stdin/stdout (the default)")
    p.add_argument(
        "--tcp",
        type=_host_port,
        metavar="HOST:PORT",
        help="listen on TCP instead (debugging); HOST defaults to 127.0.0.1, e.g. --tcp :2087",
    )
    p.add_argument("--log-level", choices=LOG_LEVELS, default="info", help="stderr log level")
    p.add_argument(
        "--check",
        nargs="?",
        const=".",
        metavar="PATH",
        help="analyse the workspace at PATH (default .) headless, print findings, exit",
    )
    p.add_argument(
        "--format",
        "-f",
        choices=("text", "json", "github"),
        default="text",
        help="(--check) text: one line per finding, repeats folded; json: every finding "
        "(schema llm-cost.check/2); github: workflow annotations",
    )
    p.add_argument("--scenario", "-s", help="named scenario from [scenarios.NAME] (--check)")
    p.add_argument(
        "--strict",
        action="store_true",
        help="warnings fail too; a stale price DB fails even in CI (--check)",
    )
    p.add_argument(
        "--allow-stale", action="store_true", help="do not fail on a stale price DB (--check)"
    )
    p.add_argument(
        "--show-info", action="store_true", help="also print informational findings (--check)"
    )
    p.add_argument(
        "--all",
        action="store_true",
        dest="every",
        help="list every finding, none folded into a count (--check)",
    )
    p.add_argument(
        "--show-skipped",
        action="store_true",
        help="list every file that looked like a prompt but was not estimated (--check)",
    )
    p.add_argument(
        "-v", "--verbose", action="store_true", help="on an internal error, print the traceback"
    )
    return p


class _ClientLogHandler(logging.Handler):
    """Forwards warnings and errors to the client's log (`window/logMessage`)."""

    def __init__(self, server: object) -> None:
        super().__init__(logging.WARNING)
        self.server = server

    def emit(self, record: logging.LogRecord) -> None:
        from lsprotocol import types

        kind = (
            types.MessageType.Error
            if record.levelno >= logging.ERROR
            else types.MessageType.Warning
        )
        # no client yet, or gone: stderr has it anyway
        with contextlib.suppress(Exception):
            self.server.window_log_message(  # type: ignore[attr-defined]
                types.LogMessageParams(kind, self.format(record))
            )


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(
        stream=sys.stderr,
        level=args.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if args.check is not None:
        from llmcost_lsp.server.check_mode import run_check

        return run_check(
            args.check,
            fmt=args.format,
            scenario=args.scenario,
            strict=args.strict,
            allow_stale=args.allow_stale,
            show_info=args.show_info,
            show_skipped=args.show_skipped,
            every=args.every,
            verbose=args.verbose,
        )
    from llmcost_lsp.server.server import build_server

    server = build_server()
    handler = _ClientLogHandler(server)
    handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    logging.getLogger("llmcost_lsp").addHandler(handler)
    if args.tcp:
        host, port = args.tcp
        server.start_tcp(host, port)
    else:
        server.start_io()
    return server.exit_code


if __name__ == "__main__":
    sys.exit(main())
