"""`init`: give discovered prompts ids and create or extend llm-cost.toml (CLI and server)."""

from __future__ import annotations

import difflib
import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from llmcost_lsp.core.code import CODE_FORMATS, parse_any
from llmcost_lsp.core.discovery import DiscoveryResult, discover
from llmcost_lsp.core.errors import InputError, Location
from llmcost_lsp.core.formats import ParsedPrompt
from llmcost_lsp.core.manifest import (
    MANIFEST_DOCS_URL,
    MANIFEST_FILENAME,
    Defaults,
    Manifest,
    ManifestSchemaError,
    analyze_manifest,
    format_key_path,
)
from llmcost_lsp.core.manifest.edit import (
    PromptStub,
    add_prompts,
    add_table_comments,
    write_atomic,
)
from llmcost_lsp.core.manifest.json_schema import SCHEMA_DIRECTIVE
from llmcost_lsp.core.manifest.positions import table_headers
from llmcost_lsp.core.textfile import MANIFEST_LIMIT_BYTES_DEFAULT, decode_text, read_capped

HEADER = f"""\
{SCHEMA_DIRECTIVE}
# llm-cost.toml: what each prompt in this repository costs.
# Reference: {MANIFEST_DOCS_URL}
#
# Volumes are yours to state. Until calls_per_month and output_tokens are set (here or per
# prompt), `llm-cost estimate` shows the input cost per call and reports the monthly total as
# unknown instead of guessing. Uncomment and edit:
[defaults]
# model = "gpt-5.4-mini"       # when neither the prompt file nor its entry names a model
# calls_per_month = 10_000     # calls per month, for each prompt
# output_tokens = 300          # expected output tokens per call

# [scenarios.launch]           # `llm-cost estimate --scenario launch`
# calls_multiplier = 3
# cache_hit_ratio = 0.5        # no caching is assumed unless you say so

# One table per prompt. The key is the prompt's id: keep it when you move the file.
"""


@dataclass(frozen=True)
class InitMapping:
    path: str
    id: str
    status: Literal["added", "existing"]


@dataclass(frozen=True)
class InitPlan:
    """What `init` would write; `apply_init` writes it."""

    manifest_path: Path
    old_text: str | None
    new_text: str
    mappings: tuple[InitMapping, ...]
    discovery: DiscoveryResult

    @property
    def changed(self) -> bool:
        return self.old_text != self.new_text

    @property
    def added(self) -> tuple[InitMapping, ...]:
        return tuple(m for m in self.mappings if m.status == "added")

    def diff(self) -> str:
        """Unified diff of the manifest, old to new (empty when nothing changes)."""
        name = self.manifest_path.name
        old = (self.old_text or "").splitlines(keepends=True)
        new = self.new_text.splitlines(keepends=True)
        before = f"a/{name}" if self.old_text is not None else "/dev/null"
        return "".join(difflib.unified_diff(old, new, before, f"b/{name}"))


def read_manifest_exactly(path: Path) -> tuple[str, str]:
    """(text without BOM, BOM prefix); newlines are kept exactly as they are on disk."""
    # never blocks on a FIFO, never reads past the limit
    data = read_capped(path, MANIFEST_LIMIT_BYTES_DEFAULT, str(path), what="the manifest")
    decode_text(data, str(path))  # binary and UTF-8 checks, with a located error
    text = data.decode("utf-8")
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    return text[len(bom) :], bom


def _with_default_model(header: str, prompts: Iterable[ParsedPrompt]) -> str:
    """The new manifest's `[defaults] model`: the priced model the prompt files here name most
    (prompts that name none are then priced with it), or the commented line when none does."""
    from llmcost_lsp.core.pricing.db import load_price_db

    db = load_price_db()
    named = Counter(p.model for p in prompts if p.model and p.model in db)
    if not named:
        return header
    model, count = named.most_common(1)[0]
    line = f"model = {json.dumps(model)}"
    note = f"# named by {count} of the prompt files here; used where none is named"
    return header.replace(_DEFAULT_MODEL_LINE, f"{line:<29}{note}", 1)


_DEFAULT_MODEL_LINE = HEADER.splitlines()[HEADER.splitlines().index("[defaults]") + 1]


def plan_init(
    root: Path, manifest_name: str = MANIFEST_FILENAME, manifest_text: str | None = None
) -> InitPlan:
    """Discover prompts under `root` and compute the manifest text with the missing entries.

    `manifest_text` stands for the file's content when an editor holds unsaved changes."""
    if not root.is_dir():
        raise InputError(
            f"{root} is not a directory", location=Location(path=str(root)), code="not-a-directory"
        )
    manifest_path = root / manifest_name
    old_text: str | None = None
    bom = ""
    manifest = None
    if manifest_text is not None:
        bom = "\ufeff" if manifest_text.startswith("\ufeff") else ""
        old_text = manifest_text[len(bom) :]
    elif manifest_path.exists():
        old_text, bom = read_manifest_exactly(manifest_path)
    # Classic Mac line ends (a lone CR each) are not TOML newlines: plan on LF, write CR back
    lone_cr = old_text is not None and "\r" in old_text and "\n" not in old_text
    if old_text is not None and lone_cr:
        old_text = old_text.replace("\r", "\n")
    if old_text is not None:
        analysis = analyze_manifest(old_text, manifest_name)
        if analysis.manifest is None:
            raise ManifestSchemaError(analysis.errors or analysis.issues)
        manifest = analysis.manifest
    result = discover(root, manifest)
    parsed = {
        p.id: parse_any(p.path, p.text, p.format, p.site, result.modules) for p in result.prompts
    }
    stubs = [
        PromptStub(
            p.id,
            None if p.format in CODE_FORMATS else p.path,  # a call in code: named by its id
            next_step(p.id, parsed[p.id], manifest.defaults if manifest else None),
        )
        for p in result.prompts
        if not p.explicit_id
    ]
    mappings = tuple(
        InitMapping(p.path, p.id, "existing" if p.explicit_id else "added") for p in result.prompts
    )
    base = old_text if old_text is not None else _with_default_model(HEADER, parsed.values())
    if manifest is not None and old_text is not None:
        base = _note_new_variables(base, manifest, result)
    new_text = add_prompts(base, stubs)
    if lone_cr:
        assert old_text is not None
        old_text, new_text = old_text.replace("\n", "\r"), new_text.replace("\n", "\r")
    if old_text is not None:
        old_text, new_text = bom + old_text, bom + new_text
    return InitPlan(manifest_path, old_text, new_text, mappings, result)


def _note_new_variables(text: str, manifest: Manifest, result: DiscoveryResult) -> str:
    """On a re-run: a template variable of a mapped prompt that is neither sized nor written
    (even commented) under its entry gets a commented line there — in its own
    `[prompts.<id>.variables]` table (or under the commented one init wrote), else as a dotted
    key. Written once: the next run finds the line."""
    headers = {path for _, path in table_headers(text)}
    for prompt in result.prompts:
        entry = manifest.prompts.get(prompt.id)
        if entry is None:
            continue
        parsed = parse_any(prompt.path, prompt.text, prompt.format, prompt.site, result.modules)
        section = _section(text, ("prompts", prompt.id))
        new = [
            n
            for n in parsed.variable_names
            if n not in entry.variables and not _mentions(section, n)
        ]
        variables: tuple[str, ...] = ("prompts", prompt.id, "variables")
        # under its own [..variables] table, or the commented one init wrote
        commented = f"# [{format_key_path(variables)}]"
        own_table = variables in headers or commented in section
        table = variables if variables in headers else variables[:2]
        prefix = "" if own_table else "variables."
        notes = [
            f"{prefix}{format_key_path((name,))} = 100    # not sized yet: tokens per call"
            for name in new
        ]
        text = add_table_comments(text, table, notes)
    return text


def _section(text: str, table: tuple[str, ...]) -> str:
    """The lines of `[table]` and its sub-tables, up to the next other header."""
    headers = table_headers(text)
    lines = text.split("\n")
    mine = [line for line, path in headers if path[: len(table)] == table]
    if not mine:
        return ""
    after = [line for line, path in headers if line > mine[0] and path[: len(table)] != table]
    return "\n".join(lines[mine[0] - 1 : (min(after) - 1) if after else len(lines)])


def _mentions(section: str, name: str) -> bool:
    """`name = …` (or `variables.name = …`) written in the section, commented or not: a
    variable init wrote once is not written again."""
    key = re.escape(format_key_path((name,)))
    pattern = rf"^[ \t]*#?[ \t]*(?:variables\.)?{key}[ \t]*="
    return re.search(pattern, section, re.MULTILINE) is not None


def next_step(
    prompt_id: str, parsed: ParsedPrompt, defaults: Defaults | None = None
) -> tuple[str, ...]:
    """The commented keys a new prompt entry gets: what the file says (model, max_tokens), what
    [defaults] already gives, and what only the user knows (volumes, the size of each template
    variable), each one line to uncomment. Commented: a guess written as a value would look like
    a fact, and a copy of the file's model would hide a later change to the file."""
    defaults = defaults or Defaults()
    if parsed.model:
        where = "at the call" if parsed.format in CODE_FORMATS else "in the prompt file"
        model = f"model = {json.dumps(parsed.model)}    # named {where}; set to override"
    elif defaults.model:
        model = f"model = {json.dumps(defaults.model)}    # from [defaults]; set to override"
    else:
        model = 'model = "gpt-4o-mini"    # no model in the file: pick one (llm-cost pricing list)'
    if defaults.calls_per_month is not None:
        calls = f"calls_per_month = {defaults.calls_per_month:_}    # from [defaults]"
    else:
        calls = "calls_per_month = 10_000    # calls per month: yours to state"
    if parsed.max_tokens is not None:
        output = (
            f"output_tokens = {parsed.max_tokens}    # the file's max_tokens: an upper bound, "
            "replies are often shorter"
        )
    elif defaults.output_tokens is not None:
        output = f"output_tokens = {defaults.output_tokens}    # from [defaults]"
    else:
        output = "output_tokens = 300    # output tokens per call"
    lines = [model, calls, output]
    if parsed.variable_names:
        table = format_key_path(("prompts", prompt_id, "variables"))
        lines.append(f"[{table}]    # tokens per call of each template variable")
        lines += [f"{format_key_path((name,))} = 100" for name in parsed.variable_names]
    return tuple(lines)


def apply_init(plan: InitPlan) -> bool:
    """Write the planned manifest atomically; False when there was nothing to change."""
    if not plan.changed:
        return False
    write_atomic(plan.manifest_path, plan.new_text)
    return True
