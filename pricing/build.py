"""Maintainer tool: build src/llmcost_lsp/data/prices.json from genai-prices, cross-checked
against LiteLLM's price map, with the hand-kept corrections in pricing/corrections.toml.

    pip install genai-prices==0.2.3
    pip download --no-deps -d /tmp/x litellm==1.110.2       # the wheel is read, never installed
    python pricing/build.py --litellm /tmp/x/litellm-1.110.2-*.whl

Writes the DB and the generated part of pricing/README.md (counts, disagreements, corrections).
`--check` rebuilds in memory and exits 1 when the committed DB differs (CI uses it).
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from llmcost_lsp.core.pricing import build_report  # noqa: E402
from llmcost_lsp.core.pricing.build import dump  # noqa: E402
from llmcost_lsp.core.pricing.genai_import import build_from_installed  # noqa: E402

DB = REPO / "src" / "llmcost_lsp" / "data" / "prices.json"
README = REPO / "pricing" / "README.md"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--litellm", type=Path, help="LiteLLM wheel or price-map JSON")
    parser.add_argument("--now", help="build timestamp (RFC 3339, UTC); default: now")
    parser.add_argument("--out", type=Path, default=DB)
    parser.add_argument("--check", action="store_true", help="compare with the committed DB")
    args = parser.parse_args(argv)
    now = (
        datetime.fromisoformat(args.now.replace("Z", "+00:00"))
        if args.now
        else datetime.now(UTC).replace(microsecond=0)
    )
    document, report = build_from_installed(now=now, litellm_path=args.litellm)
    data = dump(document)
    if args.check:
        same = args.out.read_bytes() == data
        print("prices.json is current" if same else "prices.json differs from a fresh build")
        return 0 if same else 1
    args.out.write_bytes(data)
    README.write_text(build_report.replace_section(README.read_text("utf-8"), report), "utf-8")
    print(f"{report.models} models of {report.providers} providers written to {args.out}")
    print(f"{len(report.disagreements)} disagreements with {report.litellm_version}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
