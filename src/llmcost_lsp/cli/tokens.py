"""`llm-cost tokens FILE|- --model M`: the token count of one prompt file for one model."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from llmcost_lsp.cli.freshness import add_freshness_flags
from llmcost_lsp.cli.terminal import add_format_arg, add_output_arg


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "tokens",
        help="count the tokens of one prompt file for a model",
        description=(
            "Count the tokens of FILE (or standard input with -) as MODEL's tokenizer sees them: "
            "exact for OpenAI models and installed open-weight tokenizers, approximate with an "
            "error band otherwise. Offline; no chat overhead is added."
        ),
    )
    parser.add_argument("file", metavar="FILE", help="prompt file to count, or - for stdin")
    parser.add_argument("--model", "-m", required=True, help="model id or alias, e.g. gpt-4o")
    add_format_arg(parser, ("text", "json"))
    add_output_arg(parser)
    parser.add_argument(
        "--no-cache", action="store_true", help="do not read or write the persistent count cache"
    )
    add_freshness_flags(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from llmcost_lsp.cli.freshness import apply_freshness
    from llmcost_lsp.core.pricing.db import load_price_db
    from llmcost_lsp.core.settings import Settings
    from llmcost_lsp.core.textfile import decode_text
    from llmcost_lsp.core.tokens.cache import CountCache, count_text_cached
    from llmcost_lsp.core.tokens.registry import count_text
    from llmcost_lsp.present.token_count import count_json, count_table

    db = load_price_db()
    apply_freshness(args, db)
    entry = db.resolve(args.model)
    spec = db.tokenizer_for(entry)
    shown = "<stdin>" if args.file == "-" else args.file
    data = _read_input(args.file, shown)
    text = decode_text(data, shown).text  # BOM dropped, CRLF/CR -> LF, as every command reads
    if args.no_cache:
        count = count_text(text, spec)
    else:
        with CountCache(Settings.from_env()) as cache:
            count = count_text_cached(text, spec, cache)
    if not text:
        print(f"llm-cost: note: {shown} is empty", file=sys.stderr)
    if args.format == "json":
        print(count_json(entry, count, shown, len(data), len(text)))
    else:
        print(count_table(entry.id, count))
    return 0


def _read_input(name: str, shown: str) -> bytes:
    """The file's bytes, with the size limit `estimate` and the editor apply to prompt files."""
    import os

    from llmcost_lsp.core.errors import InputError, Location
    from llmcost_lsp.core.textfile import DEFAULT_LIMIT_BYTES, read_capped

    if name != "-":
        if not os.path.lexists(name):
            raise InputError("no such file", location=Location(path=shown), code="not-found")
        return read_capped(name, DEFAULT_LIMIT_BYTES, shown)
    data = sys.stdin.buffer.read(DEFAULT_LIMIT_BYTES + 1)
    if len(data) > DEFAULT_LIMIT_BYTES:
        raise InputError(
            f"input is larger than the {DEFAULT_LIMIT_BYTES:,}-byte limit for prompt files",
            location=Location(path=shown),
            code="too-large",
            hint="count a smaller file; prompts this large exceed every model's context window",
        )
    return data
