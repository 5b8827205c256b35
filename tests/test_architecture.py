"""The rules of the house that docs/architecture.md states, checked on every run.

- The core imports no shell: nothing under core/ imports the CLI, the server, the presentation
  layer or the capture integrations, nor a protocol or terminal library, at module level or
  inside a function. The shells sit on the core; the core is a library a notebook can use.
- The shells do not import each other: the CLI never imports the server, the server never
  imports the CLI; the presentation layer and the integrations import only the core.
- One presentation layer: the CLI and the server show figures through present/ (tables, JSON
  documents, markdown); they neither draw a table nor dump a JSON document themselves, and the
  renderers that lived beside them (present_diff.py, cli/report_formats.py, cli/table.py,
  server/breakdown.py) are gone.
- One estimate path: the cost formula (`core.estimate.price_call`) is called by the workspace
  (every shell's estimate, the cheaper models of core/suggest.py too), nowhere else; its rate
  functions (`call_rates`, `priced_components`) are shared only with the ledger, which prices
  recorded calls with them.
- The manifest package reads one way: `positions` knows nothing of the manifest, the schema
  (`model`) nothing of reading, editing or the editors' JSON Schema, and the package nothing of
  the parts that use a manifest (discovery, the workspace, the estimate).
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterable, Iterator
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"
PACKAGE = SRC / "llmcost_lsp"

CLI = ("llmcost_lsp.cli",)
SERVER = ("llmcost_lsp.server", "pygls", "lsprotocol")
PRESENTATION = ("llmcost_lsp.present", "llmcost_lsp.present.diff")
INTEGRATIONS = ("llmcost_lsp.integrations",)
TERMINAL = ("argparse", "rich")


@functools.cache
def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _module(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path) -> Iterator[tuple[int, str]]:
    """(line, module) for every import in `path`, wherever it stands; `from a import b` gives
    both `a` and `a.b` (b may be a module)."""
    package = _module(path) if path.name == "__init__.py" else _module(path).rpartition(".")[0]
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolved against the module's own package
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, *([node.module] if node.module else [])])
            yield node.lineno, base
            yield from ((node.lineno, f"{base}.{alias.name}") for alias in node.names)


def _within(name: str, prefixes: Iterable[str]) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes)


def violations(files: Iterable[Path], forbidden: Iterable[str]) -> list[str]:
    forbidden = tuple(forbidden)
    return sorted(
        {
            f"{path.relative_to(SRC)}:{line}: imports {name}"
            for path in files
            for line, name in imported(path)
            if _within(name, forbidden)
        }
    )


def python_files(*places: str) -> list[Path]:
    found: list[Path] = []
    for place in places:
        path = PACKAGE / place
        found += sorted(path.rglob("*.py")) if path.is_dir() else [path] if path.exists() else []
    return found


def callers(function: str) -> list[str]:
    """The modules that call `function` (as `function(...)` or `<anything>.function(...)`)."""
    found = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(_tree(path)):
            if not isinstance(node, ast.Call):
                continue
            target = node.func
            name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
            if name == function:
                found.add(path.relative_to(PACKAGE).as_posix())
    return sorted(found)


def test_the_core_imports_no_shell() -> None:
    shells = (*CLI, *SERVER, *PRESENTATION, *INTEGRATIONS, *TERMINAL)
    assert violations(python_files("core"), shells) == []


def test_the_cli_and_the_server_do_not_import_each_other() -> None:
    assert violations(python_files("cli"), ("llmcost_lsp.server",)) == []
    assert violations(python_files("server"), CLI) == []


def test_the_presentation_layer_and_the_integrations_sit_on_the_core() -> None:
    presentation = python_files("present")
    assert presentation, "the presentation layer moved: update PRESENTATION and this test"
    assert violations(presentation, (*CLI, *SERVER, *INTEGRATIONS)) == []
    assert violations(python_files("integrations"), (*CLI, *SERVER, *PRESENTATION)) == []


def test_the_shells_render_through_the_presentation_layer() -> None:
    shells = python_files("cli", "server")
    assert violations(shells, ("llmcost_lsp.present.table",)) == []
    assert [c for c in callers("dumps") if c.startswith(("cli/", "server/"))] == []
    gone = ("present_diff.py", "cli/report_formats.py", "cli/table.py", "server/breakdown.py")
    assert [name for name in gone if (PACKAGE / name).exists()] == []
    # the scan sees what it looks for: present/ does draw tables and dump JSON
    assert "present/diff.py" in callers("dumps")
    assert violations(python_files("present"), ("llmcost_lsp.present.table",))


def test_one_estimate_path() -> None:
    assert callers("price_call") == ["core/workspace.py"]
    assert callers("call_rates") == ["core/estimate.py", "core/ledger/price.py"]
    assert callers("priced_components") == ["core/estimate.py", "core/ledger/price.py"]


def test_the_manifest_package_reads_one_way() -> None:
    manifest = "llmcost_lsp.core.manifest"
    assert violations(python_files("core/manifest/positions.py"), (manifest,)) == []
    parts = ("load", "edit", "json_schema")
    assert (
        violations(python_files("core/manifest/model.py"), (f"{manifest}.{p}" for p in parts)) == []
    )
    users = ("discovery", "workspace", "estimate", "prompt_settings", "check", "findings", "init")
    assert violations(python_files("core/manifest"), (f"llmcost_lsp.core.{u}" for u in users)) == []


def test_the_checks_see_what_they_look_for() -> None:
    """The rules hold because the code keeps them, not because the scan is blind: the same scan
    finds the imports and calls that do exist."""
    assert violations(python_files("server"), ("pygls",))  # the server is built on pygls
    assert violations(python_files("cli"), ("llmcost_lsp.core",))  # the CLI uses the core
    assert "server/state.py" in {v.split(":")[0].removeprefix("llmcost_lsp/") for v in
                                 violations(python_files("server"), ("pygls",))}  # fmt: skip
    assert "core/diff/compare.py" in callers("check_report")  # module-level function calls
    assert "core/workspace.py" in callers("count_prompt")  # method calls on an attribute
    loader = python_files("core/manifest/load.py")
    assert violations(loader, ("llmcost_lsp.core.manifest.model",))  # within the package too
