"""How many of the prompt files real repositories keep does zero-config discovery find, and how
many files does it take for prompts that are not? Measured before (the old default globs only)
and now (with the guesses of core/discovery_guess.py), in the same run.

Workspaces:
- the real-prompt corpus (../shared/corpus/real-prompts), each file put back at its original
  path in its repository (SOURCES.md): all 158 files are prompts by construction;
- any repository given as NAME=PATH whose labels are in benchmarks/discovery_labels/NAME.txt
  (the files a reader calls prompts, by the rule written at the top of the file, with the
  commit they were labelled at), e.g. clones of danielmiessler/fabric, Azure-Samples/contoso-chat
  and assafelovic/gpt-researcher, and two repositories with no prompts whose templates/ and .j2
  files must not be taken for prompts (geerlingguy/ansible-role-nginx, helm/examples).

Run: python benchmarks/discovery_coverage.py [--corpus DIR] [--list] [NAME=PATH ...]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from llmcost_lsp.core.discovery import discover
from llmcost_lsp.core.manifest import parse_manifest

HERE = Path(__file__).resolve().parent
LABELS = HERE / "discovery_labels"
CORPUS = HERE.parent.parent / "shared" / "corpus" / "real-prompts"
# What zero-config discovery looked at before the guesses (main before issue 18).
BEFORE_INCLUDE = [
    "prompts/**/*",
    "**/*.prompt",
    "**/*.prompt.md",
    "**/*.prompty",
    "**/*.prompt.yml",
]


@dataclass(frozen=True)
class Row:
    name: str
    labelled: frozenset[str]
    before: frozenset[str]
    now: frozenset[str]
    skipped_now: int

    def line(self) -> str:
        hit_before = len(self.before & self.labelled)
        hit = len(self.now & self.labelled)
        false_now = len(self.now - self.labelled)
        false_before = len(self.before - self.labelled)
        return (
            f"| {self.name} | {len(self.labelled)} | {hit_before} / {false_before} | "
            f"{hit} / {false_now} | {len(self.labelled - self.now)} | {self.skipped_now} |"
        )


def found(root: Path, include: list[str] | None) -> tuple[frozenset[str], int]:
    manifest = None
    if include is not None:
        globs = ", ".join(f'"{g}"' for g in include)
        manifest = parse_manifest(f"[discovery]\ninclude = [{globs}]\n")
    result = discover(root, manifest)
    return frozenset(p.path for p in result.prompts), len(result.skipped)


def measure(name: str, root: Path, labelled: frozenset[str]) -> Row:
    before, _ = found(root, BEFORE_INCLUDE)
    now, skipped = found(root, None)
    return Row(name, labelled, before, now, skipped)


def corpus_tree(corpus: Path, dest: Path) -> frozenset[str]:
    """The corpus files at their original paths, one folder per repository."""
    paths = set()
    for line in (corpus / "SOURCES.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.split("|")]
        if len(cells) < 6 or "/" not in cells[2] or not (corpus / cells[1]).is_file():
            continue
        rel = f"{cells[2].replace('/', '__')}/{cells[3]}"
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(corpus / cells[1], dest / rel)
        paths.add(rel)
    return frozenset(paths)


def labels(name: str, root: Path) -> frozenset[str]:
    lines = (LABELS / f"{name}.txt").read_text(encoding="utf-8").splitlines()
    commit = lines[0].rsplit(" ", 1)[-1]
    head = subprocess.run(
        ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    if head != commit:
        print(f"warning: {root} is at {head or '?'}, labels are for {commit}", file=sys.stderr)
    return frozenset(line for line in lines if line and not line.startswith("#"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repos", nargs="*", metavar="NAME=PATH")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--list", action="store_true", help="list every miss and false positive")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        if args.corpus.is_dir():
            tree = Path(tmp) / "corpus"
            rows.append(measure("real-prompts corpus", tree, corpus_tree(args.corpus, tree)))
        for spec in args.repos:
            name, _, path = spec.partition("=")
            rows.append(measure(name, Path(path), labels(name, Path(path))))
    print(
        "| workspace | prompt files (labelled) | before: found / false positives "
        "| now: found / false positives | missed now | files skipped now |"
    )
    print("|---|--:|--:|--:|--:|--:|")
    for row in rows:
        print(row.line())
    if args.list:
        for row in rows:
            for path in sorted(row.labelled - row.now):
                print(f"{row.name}: missed {path}")
            for path in sorted(row.now - row.labelled):
                print(f"{row.name}: false positive {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
