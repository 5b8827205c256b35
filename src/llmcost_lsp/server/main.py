"""`llmcost-lsp` entry point."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from llmcost_lsp import __version__


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="llmcost-lsp", description="llm-cost language server")
    parser.add_argument("--version", action="version", version=f"llmcost-lsp {__version__}")
    parser.parse_args(argv)
    print(
        "llmcost-lsp: the language server is not built yet (tracked in its own issue); "
        "use `llm-cost` meanwhile",
        file=sys.stderr,
    )
    return 2


if __name__ == "__main__":
    sys.exit(main())
