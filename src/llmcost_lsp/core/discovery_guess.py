"""Zero-config guesses: where teams keep prompts beyond the default globs, and whether a file
found there reads like a prompt (so a README, a changelog or a web page is not estimated).

Used only when the manifest does not set `[discovery] include` (then the user has said which
files are prompts). Only files in a prompt format are looked at; anything else in these folders
is not a candidate. Measured on real repositories by benchmarks/discovery_coverage.py.
"""

from __future__ import annotations

import re

import pathspec

from llmcost_lsp.core.formats import ParsedPrompt
from llmcost_lsp.core.formats.templates import strip_variables

# Folders named for prompts, at any depth: a file in a prompt format there is a prompt unless it
# is documentation, empty or markup. Matched against the lower-cased path.
PROMPT_FOLDERS: tuple[str, ...] = (
    "**/prompts/**",
    "**/prompt/**",
    "**/system_prompts/**",
    "**/system-prompts/**",
    "**/prompt_templates/**",
    "**/prompt-templates/**",
    "**/.claude/agents/**",
    "**/.claude/commands/**",
)
# Weaker signs: the file must also read like a prompt (words addressed to a model, or template
# variables in some text).
LIKELY: tuple[str, ...] = (
    "**/patterns/**",
    "**/templates/**",
    "**/*prompt*",
    "**/*.j2",
    "**/*.jinja",
    "**/*.jinja2",
    "**/*.mustache",
    "**/*.hbs",
    "**/*.handlebars",
)
GUESSED_INCLUDE = PROMPT_FOLDERS + LIKELY
# Folders whose path below them names a prompt (ids): `data/patterns/summarize/system.md` is
# `summarize/system`, as `prompts/support/triage.txt` is `support/triage`.
ID_ANCHORS = frozenset(
    {
        "prompts", "prompt", "system_prompts", "system-prompts", "prompt_templates",
        "prompt-templates", "patterns",
    }
)  # fmt: skip

_FOLDER_SPEC = pathspec.GitIgnoreSpec.from_lines(PROMPT_FOLDERS)
_LIKELY_SPEC = pathspec.GitIgnoreSpec.from_lines(LIKELY)

# Files named like this document a folder; never prompts unless a manifest entry names them.
DOC_NAMES = frozenset(
    {
        "readme", "changelog", "changes", "history", "license", "licence", "contributing",
        "code_of_conduct", "code-of-conduct", "security", "authors", "notice", "copying",
        "maintainers", "codeowners", "governance", "release-notes", "release_notes",
    }
)  # fmt: skip

# Words addressed to a model: a role, a task, an instruction, a section a prompt has.
_INSTRUCTION = re.compile(
    r"\byou\s+(?:are|will|must|should|need)\b|\byou(?:'|’)(?:re|ll)\b"
    r"|\byour\s+(?:task|job|role|goal|objective|mission|response|answer|output|purpose)\b"
    r"|\bact\s+as\b|\bas\s+an?\s+(?:ai|assistant|expert|helpful)\b"
    r"|^\s*#+\s*(?:system|instructions?|role|task|identity|purpose|steps|output|goal|context"
    r"|objective|persona|rules|constraints)\b"
    r"|^\s*(?:instructions?|role|task|objective|goal|persona|rules|constraints|output format)\s*:"
    r"|^\s*(?:system|user|assistant)\s*:"
    r"|\b(?:respond|answer|reply)\s+(?:with|in|only|using|as)\b"
    r"|你是|您是|角色|任务",
    re.IGNORECASE | re.MULTILINE,
)
_SEMVER_HEADING = re.compile(r"^\s*#+\s*\[?v?\d+\.\d+\.\d+", re.MULTILINE)
# Go/Helm template actions (`{{- if .Values.x }}`, `{{ include "name" . }}`): a config or
# manifest template; one `{{.Field}}` alone is also how some prompts are templated.
_GO_ACTION = re.compile(
    r"\{\{-?\s*(?:(?:if|else|end|define|include|range|with|template|block)\b|\.(?:Values|Release|Chart)\b|/\*)"
)
_MARKUP = re.compile(r"\A\s*(?:<!doctype|<html|<\?xml|<svg|<template|<div|<body|<head)", re.I)
# A sentence-like run: five words in a row, separated by spaces (a config line is not).
_PROSE = re.compile(r"(?:[^\W\d_]+[,.;:!?]?[ \t]+){4}[^\W\d_]+")
_SAMPLE = 8000  # characters looked at: enough for a prompt's opening, cheap on large files


def guess(rel: str) -> str | None:
    """The kind of guess: "folder" (a prompt folder), "likely" (a weaker sign), or None."""
    lowered = rel.lower()
    if _FOLDER_SPEC.match_file(lowered):
        return "folder"
    return "likely" if _LIKELY_SPEC.match_file(lowered) else None


def is_doc_name(rel: str) -> bool:
    """`README.md`, `CHANGELOG`, `LICENSE.txt`…: documentation, whatever folder it is in."""
    name = rel.rsplit("/", 1)[-1].lower()
    return name.split(".", 1)[0] in DOC_NAMES


def not_a_prompt(text: str, parsed: ParsedPrompt, kind: str) -> str | None:
    """Why a guessed file is not a prompt, or None when it reads like one. A prompt folder's
    file only has to have a body that is not markup; a weaker guess also needs words addressed
    to a model, or template variables in prose (a config template has variables, not prose)."""
    if parsed.skip_reason:
        return parsed.skip_reason
    head = text[:_SAMPLE]
    if _MARKUP.match(head):
        return "HTML/XML markup, not a prompt"
    if kind == "folder":
        return None
    if len(_SEMVER_HEADING.findall(head)) >= 2:
        return "a changelog, not a prompt"
    if len(_GO_ACTION.findall(head)) >= 2:
        return "a Go/Helm template, not a prompt"
    sent = "\n".join(m.text[:_SAMPLE] for m in parsed.messages)
    if _INSTRUCTION.search(sent):
        return None
    first = [v for v in parsed.variables if v.message_index == 0 and v.offset < _SAMPLE]
    if first and parsed.messages:
        literal = strip_variables(parsed.messages[0].text[:_SAMPLE], first)
        if _PROSE.search(literal):
            return None
    return "does not read like a prompt (no instructions to a model, no variables in prose)"
