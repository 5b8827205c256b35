"""LLM calls in TypeScript and JavaScript, found with tree-sitter (optional extra `code`).

Shapes read (docs/code-prompts.md has examples):
- OpenAI Node SDK: `client.chat.completions.create({ model, messages })`,
  `client.responses.create({ model, instructions, input })`;
- Anthropic: `client.messages.create({ model, system, messages })` (also `.stream`);
- Google GenAI: `ai.models.generateContent({ model, contents, config: { systemInstruction } })`;
- Vercel AI SDK: `generateText|streamText|generateObject|streamObject({ model: openai("gpt-4o"),
  system, prompt, messages })`.

Names are followed as in Python: `const` / `let` in the same function, parameters (defaults for
a model; variables for text), module constants; template-literal holes become variables.
"""

from __future__ import annotations

import contextlib
import functools
import posixpath
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from llmcost_lsp.core.code.assemble import (
    Assembled,
    Part,
    SiteKeys,
    Unread,
    assemble,
    call_site,
    returned_text,
)
from llmcost_lsp.core.code.model import (
    CallSite,
    CodeMessage,
    FileRead,
    ModelRef,
    PathBase,
    SourceScan,
)
from llmcost_lsp.core.code.modules import (
    SCRIPT_CONFIGS,
    Aliases,
    Follower,
    ModuleSource,
    read_aliases,
    script_files,
    text_digest,
)
from llmcost_lsp.core.code.text import Holes

if TYPE_CHECKING:
    from tree_sitter import Node, Parser

INSTALL_HINT = "pip install 'llm-cost[code]'"
_AI_SDK = frozenset({"generateText", "streamText", "generateObject", "streamObject"})
_FUNCTIONS = frozenset(
    {"function_declaration", "generator_function_declaration", "function_expression",
     "arrow_function", "method_definition", "function"}
)  # fmt: skip
_DECLARED = frozenset({"function_declaration", "generator_function_declaration"})
_WRAPPING = frozenset(
    {"parenthesized_expression", "as_expression", "satisfies_expression", "non_null_expression",
     "await_expression", "type_assertion"}
)  # fmt: skip
_ROLES = {"system": "system", "user": "user", "assistant": "assistant", "developer": "system",
          "model": "assistant"}  # fmt: skip
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}
_MAX_STEPS = 5_000  # expressions followed for one call
_MAX_DEPTH = 200


class TreeSitterMissing(RuntimeError):
    """The optional tree-sitter packages are not installed."""


@functools.cache
def _parser(tsx: bool) -> Parser:
    try:
        import tree_sitter_typescript
        from tree_sitter import Language, Parser
    except ImportError as error:
        raise TreeSitterMissing(
            f"TypeScript/JavaScript calls need tree-sitter: {INSTALL_HINT}"
        ) from error
    grammar = (
        tree_sitter_typescript.language_tsx()
        if tsx
        else tree_sitter_typescript.language_typescript()
    )
    return Parser(Language(grammar))


def available() -> bool:
    try:
        _parser(True)
    except TreeSitterMissing:
        return False
    return True


@dataclass
class _Scope:
    values: dict[str, Node] = field(default_factory=dict)
    params: dict[str, Node | None] = field(default_factory=dict)
    parent: _Scope | None = None
    defs: dict[str, Node] = field(default_factory=dict)  # `function f() {}` declared here
    module: _ScriptModule | None = None  # set on a module's own scope

    def lookup(self, name: str) -> tuple[str, Node | None, _Scope] | None:
        scope: _Scope | None = self
        while scope is not None:
            if name in scope.values:
                return "value", scope.values[name], scope
            if name in scope.params:
                return "param", scope.params[name], scope
            scope = scope.parent
        return None

    def root_module(self) -> _ScriptModule | None:
        scope: _Scope | None = self
        while scope is not None:
            if scope.module is not None:
                return scope.module
            scope = scope.parent
        return None


ImportEntry = tuple[str, str]  # (module specifier, name: an export, "default", or "*")


@dataclass
class _ScriptModule:
    """What a module's import and export statements say, beside its module scope."""

    path: str
    scope: _Scope
    imports: dict[str, ImportEntry] = field(default_factory=dict)  # local name -> entry
    exports: dict[str, str] = field(default_factory=dict)  # exported name -> local name
    forwards: dict[str, ImportEntry] = field(default_factory=dict)  # `export { a } from`
    stars: list[str] = field(default_factory=list)  # `export * from "./x"`


class _ScriptModules:
    """TypeScript/JavaScript modules for the shared import follower (core/code/modules.py):
    relative specifiers and the nearest tsconfig's `paths`/`baseUrl` (`@/lib/ai/prompts`)."""

    language = "typescript"

    def __init__(self, source: ModuleSource | None, deps: dict[str, str]) -> None:
        self.source = source
        self.deps = deps  # the tsconfig read is a dependency of the scan too
        self.aliases: dict[str, Aliases] = {}  # folder -> the aliases in force there

    def candidates(self, importer: str, entry: ImportEntry) -> list[str]:
        return script_files(importer, entry[0], self._aliases(posixpath.dirname(importer)))

    def _aliases(self, folder: str) -> Aliases:
        if folder in self.aliases:
            return self.aliases[folder]
        found = Aliases()
        for name in SCRIPT_CONFIGS:
            rel = posixpath.join(folder, name) if folder else name
            text = self.source.read(rel) if self.source is not None else None
            if text is not None:
                self.deps[rel] = text_digest(text)
                found = read_aliases(folder, text)
                break
        else:
            if folder:
                found = self._aliases(posixpath.dirname(folder))
        self.aliases[folder] = found
        return found

    def parse(self, rel: str, text: str) -> _ScriptModule | None:
        root = _parse_clean(text)
        if root is None:
            return None
        scanner = _Scanner(text.encode("utf-8", "surrogatepass"), rel)
        return scanner.module_of(root)

    def forwards(self, module: _ScriptModule, entry: ImportEntry) -> list[tuple[str, ImportEntry]]:
        name = entry[1]
        local = module.exports.get(name)
        if local is not None and local in module.imports:  # `import { a } …; export { a }`
            return [(module.path, module.imports[local])]
        if name in module.forwards:
            return [(module.path, module.forwards[name])]
        if name in ("default", "*"):
            return []
        return [(module.path, (star, name)) for star in module.stars]

    def name(self, entry: ImportEntry) -> str:
        return entry[1]


def _unwrap(node: Node) -> Node:
    while node.type in _WRAPPING:
        inner = node.named_children
        if not inner:
            break
        node = inner[-1] if node.type == "await_expression" else inner[0]
    return node


class _Scanner:
    def __init__(self, source: bytes, path: str = "", modules: ModuleSource | None = None) -> None:
        self.source = source
        self.file = path
        deps: dict[str, str] = {}
        self.imported = Follower(_ScriptModules(modules, deps), modules, deps)
        self.holes = Holes()
        self.modules: set[str] = set()
        self.names: dict[str, str] = {}  # imported local name -> module
        self.sites: list[CallSite] = []
        self.keys = SiteKeys()
        self.lines = source.split(b"\n")
        self.steps = 0  # expressions followed for the current call: bounded (_MAX_STEPS)
        self.resolving: set[tuple[int, str]] = set()  # names being followed (cycles)

    # -- positions and text ----------------------------------------------------------------

    def text(self, node: Node) -> str:
        """The node's source (its own file's: a node may come from an imported module)."""
        return (node.text or b"").decode("utf-8", "replace")

    def point(self, node: Node) -> tuple[int, int]:
        """1-based line, 0-based column in characters (tree-sitter counts bytes). While text
        read from elsewhere (a function's returns, another module) is followed: the place in
        this file that asks for it."""
        if self.holes.anchor is not None:
            return self.holes.anchor
        row, column = node.start_point
        line = self.lines[row] if row < len(self.lines) else b""
        return row + 1, len(line[:column].decode("utf-8", "replace"))

    def short(self, node: Node, limit: int = 60) -> str:
        text = " ".join(self.text(node).split())
        return text if len(text) <= limit else text[: limit - 1] + "…"

    # -- setup -----------------------------------------------------------------------------

    def run(self, root: Node) -> tuple[CallSite, ...]:
        module = self.module_of(root)
        for local, (specifier, _) in module.imports.items():
            self.modules.add(specifier)
            self.names[local] = specifier
        for call in _descendants(root, "call_expression"):
            function = call.child_by_field_name("function")
            if function is not None and self.text(function) == "require":
                arguments = call.child_by_field_name("arguments")
                first = (
                    arguments.named_children[0] if arguments and arguments.named_children else None
                )
                required = self.string_value(first) if first is not None else None
                if required:
                    self.modules.add(required)
        self.visit(root, module.scope, "<module>")
        return tuple(self.sites)

    def module_of(self, root: Node) -> _ScriptModule:
        """The module scope of a parsed file and what its imports and exports name."""
        module = _ScriptModule(self.file, _Scope())
        module.scope.module = module
        self.collect(root, module.scope)
        for statement in root.children:
            source = statement.child_by_field_name("source")
            specifier = self.string_value(source) if source is not None else None
            if statement.type == "import_statement" and specifier:
                self._imports(statement, specifier, module)
            elif statement.type == "export_statement":
                self._exports(statement, specifier, module)
        for name, value in list(module.scope.values.items()):  # `const x = require("./x")`
            required = self._required(value)
            if required is not None:
                module.imports[name] = (required, "*")
                del module.scope.values[name]
        return module

    def _required(self, value: Node) -> str | None:
        value = _unwrap(value)
        function = (
            value.child_by_field_name("function") if value.type == "call_expression" else None
        )
        arguments = value.child_by_field_name("arguments")
        if function is None or arguments is None or self.text(function) != "require":
            return None
        first = arguments.named_children[0] if arguments.named_children else None
        return self.string_value(first) if first is not None else None

    def _imports(self, statement: Node, specifier: str, module: _ScriptModule) -> None:
        for clause in statement.named_children:
            if clause.type != "import_clause":
                continue
            for part in clause.named_children:
                if part.type == "identifier":  # `import OpenAI from "openai"`
                    module.imports[self.text(part)] = (specifier, "default")
                elif part.type == "namespace_import":  # `import * as prompts from "./p"`
                    for local in part.named_children:
                        module.imports[self.text(local)] = (specifier, "*")
                elif part.type == "named_imports":  # `import { a, b as c } from "./p"`
                    for item in part.named_children:
                        name = item.child_by_field_name("name")
                        alias = item.child_by_field_name("alias") or name
                        if name is not None and alias is not None:
                            module.imports[self.text(alias)] = (specifier, self.text(name))

    def _exports(self, statement: Node, specifier: str | None, module: _ScriptModule) -> None:
        declaration = statement.child_by_field_name("declaration")
        value = statement.child_by_field_name("value")
        default = any(child.type == "default" for child in statement.children)
        if declaration is not None:
            declared = [
                self.text(named)
                for node in [declaration, *declaration.named_children]
                if node.type in ("variable_declarator", "function_declaration",
                                 "generator_function_declaration", "class_declaration")
                and (named := node.child_by_field_name("name")) is not None
            ]  # fmt: skip
            for local in declared:
                module.exports["default" if default else local] = local
        elif value is not None and default:  # `export default "…"` / `export default { … }`
            module.scope.values["<default>"] = value
            module.exports["default"] = "<default>"
        for part in statement.named_children:
            if part.type == "export_clause":  # `export { a, b as c }` (`from "./x"`)
                for item in part.named_children:
                    name = item.child_by_field_name("name")
                    alias = item.child_by_field_name("alias") or name
                    if name is None or alias is None:
                        continue
                    if specifier:
                        module.forwards[self.text(alias)] = (specifier, self.text(name))
                    else:
                        module.exports[self.text(alias)] = self.text(name)
            elif part.type == "namespace_export" and specifier:  # `export * as w from "./w"`
                for name in part.named_children:
                    module.forwards[self.text(name)] = (specifier, "*")
        if specifier and any(child.type == "*" for child in statement.children):
            module.stars.append(specifier)

    def uses(self, *prefixes: str) -> bool:
        return any(module.startswith(prefixes) for module in self.modules)

    def collect(self, body: Node, scope: _Scope) -> None:
        """`const x = …` declarations of a body, not inside nested functions."""
        stack = list(reversed(body.children))
        while stack:
            node = stack.pop()
            if node.type in _FUNCTIONS or node.type == "class_declaration":
                name = node.child_by_field_name("name")
                if node.type in _DECLARED and name is not None:  # `function f() {}`
                    scope.defs[self.text(name)] = node
                continue
            if node.type == "variable_declarator":
                name = node.child_by_field_name("name")
                value = node.child_by_field_name("value")
                if name is not None and value is not None and name.type == "identifier":
                    scope.values[self.text(name)] = value
                elif name is not None and value is not None and name.type == "object_pattern":
                    for part in name.named_children:  # `const { model } = await req.json()`
                        target = (
                            part
                            if part.type.startswith("shorthand")
                            else (
                                part.child_by_field_name("value")
                                or part.child_by_field_name("left")
                            )
                        )
                        if target is not None and (
                            target.type.endswith("identifier_pattern")
                            or target.type == "identifier"
                        ):
                            scope.values[self.text(target)] = value
            stack.extend(reversed(node.children))

    # -- names -----------------------------------------------------------------------------

    def lookup(self, name: str, scope: _Scope) -> tuple[str, Node | None, _Scope] | None:
        """A name in the scopes, else what a workspace module exports under the imported name."""
        found = scope.lookup(name)
        if found is not None:
            return found
        module = scope.root_module()
        entry = module.imports.get(name) if module is not None else None
        if module is None or entry is None or entry[1] == "*":
            return None
        imported = self.imported.follow(module.path, entry, _exported_value)
        return ("value", imported[0], imported[1].scope) if imported is not None else None

    def definition(self, node: Node, scope: _Scope) -> tuple[Node, _Scope] | None:
        """The function a callee names: `f` declared or bound to an arrow function here, in an
        enclosing scope, or imported (`import { systemPrompt } from "@/lib/ai/prompts"`);
        `prompts.f` of a namespace import."""
        node = _unwrap(node)
        if node.type == "identifier":
            name = self.text(node)
            current: _Scope | None = scope
            while current is not None:
                if name in current.defs:
                    return current.defs[name], current
                if name in current.params:
                    return None
                current = current.parent
            named = self.lookup(name, scope)
            found = (named[1], named[2]) if named is not None and named[1] is not None else None
        elif node.type == "member_expression":
            found = self.member(node, scope)
        else:
            return None
        if found is None:
            return None
        value = _unwrap(found[0])
        return (value, found[1]) if value.type in _FUNCTIONS else None

    def member(self, node: Node, scope: _Scope, depth: int = 0) -> tuple[Node, _Scope] | None:
        """`prompts.SYSTEM` of a namespace import, or `PROMPTS.triage` of an object literal."""
        target = node.child_by_field_name("object")
        key = node.child_by_field_name("property")
        if target is None or key is None or depth > 10:
            return None
        target, name = _unwrap(target), self.text(key)
        if target.type == "identifier":
            module = scope.root_module()
            entry = module.imports.get(self.text(target)) if module is not None else None
            shadowed = scope.lookup(self.text(target)) is not None
            if module is not None and entry is not None and entry[1] == "*" and not shadowed:
                found = self.imported.follow(module.path, (entry[0], name), _exported_value)
                return (found[0], found[1].scope) if found is not None else None
            bound = self.lookup(self.text(target), scope)
            if bound is None or bound[1] is None or bound[0] != "value":
                return None
            value, owner = _unwrap(bound[1]), bound[2]
        elif target.type == "member_expression":
            inner = self.member(target, scope, depth + 1)
            if inner is None:
                return None
            value, owner = _unwrap(inner[0]), inner[1]
        else:
            return None
        if value.type != "object":
            return None
        field_value = self.fields(value, owner).get(name)
        return (field_value, owner) if field_value is not None else None

    def foreign(self, owner: _Scope, scope: _Scope) -> _ScriptModule | None:
        """The other module a value was found in (None: this file)."""
        module = owner.root_module()
        return module if module is not None and module is not scope.root_module() else None

    def function_scope(self, node: Node, parent: _Scope) -> _Scope:
        scope = _Scope(parent=parent)
        parameters = node.child_by_field_name("parameters")
        if parameters is None:
            single = node.child_by_field_name("parameter")  # `x => …`
            if single is not None:
                scope.params[self.text(single)] = None
        else:
            for parameter in parameters.named_children:
                pattern = parameter.child_by_field_name("pattern") or parameter
                default = parameter.child_by_field_name("value")
                if pattern.type == "identifier":
                    scope.params[self.text(pattern)] = default
                elif pattern.type == "object_pattern":  # `({ question, model = "x" })`
                    for inner in pattern.named_children:
                        if inner.type == "shorthand_property_identifier_pattern":
                            scope.params[self.text(inner)] = None
                        elif inner.type == "object_assignment_pattern":
                            left = inner.child_by_field_name("left")
                            if left is not None:
                                scope.params[self.text(left)] = inner.child_by_field_name("right")
        body = node.child_by_field_name("body")
        if body is not None:
            self.collect(body, scope)
        return scope

    def function_name(self, node: Node, key: str) -> str:
        name_node = node.child_by_field_name("name")
        name: str | None = self.text(name_node) if name_node is not None else None
        parent = node.parent
        if name is None and parent is not None:
            if parent.type == "variable_declarator":
                declared = parent.child_by_field_name("name")
                name = self.text(declared) if declared is not None else None
            elif parent.type in ("pair", "public_field_definition", "field_definition"):
                declared = parent.child_by_field_name("key") or parent.child_by_field_name(
                    "property"
                )
                name = self.text(declared) if declared is not None else None
        if name is None:
            return key  # an anonymous callback belongs to its enclosing function
        return name if key == "<module>" else f"{key}.{name}"

    def visit(self, root: Node, scope: _Scope, key: str) -> None:
        stack: list[tuple[Node, _Scope, str]] = [(root, scope, key)]
        while stack:
            node, current, name = stack.pop()
            if node.type in _FUNCTIONS:
                inner = self.function_scope(node, current)
                child_key = self.function_name(node, name)
                stack.extend((c, inner, child_key) for c in reversed(node.children))
                continue
            if node.type in ("class_declaration", "class"):
                class_name = node.child_by_field_name("name")
                child_key = (
                    name
                    if class_name is None
                    else self.text(class_name)
                    if name == "<module>"
                    else f"{name}.{self.text(class_name)}"
                )
                stack.extend((c, current, child_key) for c in reversed(node.children))
                continue
            if node.type == "call_expression":
                self.call(node, current, name)
            stack.extend((c, current, name) for c in reversed(node.children))

    # -- calls -----------------------------------------------------------------------------

    def call(self, node: Node, scope: _Scope, key: str) -> None:
        self.steps = 0
        function = node.child_by_field_name("function")
        arguments = node.child_by_field_name("arguments")
        if function is None or arguments is None:
            return
        dotted = self.text(function).replace("?.", ".").replace(" ", "").replace("\n", "")
        tail = [part for part in dotted.split(".") if part != "beta"]
        options = arguments.named_children[0] if arguments.named_children else None
        site: CallSite | None = None
        try:
            if tail[-3:] == ["chat", "completions", "create"] and self.uses("openai"):
                site = self.chat(node, function, options, scope, key, "openai chat.completions")
            elif tail[-2:] == ["responses", "create"] and self.uses("openai"):
                site = self.responses(node, function, options, scope, key)
            elif tail[-2:] in (["messages", "create"], ["messages", "stream"]) and self.uses(
                "@anthropic-ai"
            ):
                site = self.anthropic(node, function, options, scope, key)
            elif tail[-2:] in (
                ["models", "generateContent"],
                ["models", "generateContentStream"],
            ) and self.uses("@google/genai"):
                site = self.google(node, function, options, scope, key)
            elif (
                function.type == "identifier"
                and dotted in _AI_SDK
                and self.names.get(dotted, "ai") == "ai"
                and self.uses("ai")
            ):
                site = self.ai_sdk(node, function, options, scope, key, dotted)
            if site is None and self.chat_messages(options, scope):
                # the app's own wrapper: `{ model, messages: [{ role, content }] }` is an LLM
                # call whatever the callee
                site = self.chat(node, function, options, scope, key, f"{tail[-1]}(messages)")
        except RecursionError:
            too_deep = Assembled(not_sized="nested too deeply")
            site = self.site(node, function, key, "?", None, None, too_deep)
        if site is not None:
            self.sites.append(site)

    def chat_messages(self, options: Node | None, scope: _Scope) -> bool:
        """An options object with a `model` and a `messages` literal array of
        `{ role, content }` (a request to the app's own backend names no model)."""
        if options is None or _unwrap(options).type != "object":
            return False
        fields = self.fields(options, scope)
        if "model" not in fields:
            return False
        given = fields.get("messages")
        if given is None or _unwrap(given).type != "array":
            return False
        first = next(iter(_unwrap(given).named_children), None)
        return first is not None and {"role", "content"} <= set(self.fields(first, scope))

    def site(
        self,
        call: Node,
        function: Node,
        key: str,
        api: str,
        model: ModelRef | None,
        problem: str | None,
        read: Assembled,
        max_tokens: Node | None = None,
    ) -> CallSite:
        anchor = function.child_by_field_name("property") or function
        limit = None
        if max_tokens is not None and max_tokens.type == "number":
            with contextlib.suppress(ValueError):
                limit = int(self.text(max_tokens).replace("_", ""))
        limit_line = self.point(max_tokens)[0] if max_tokens is not None else 0
        return call_site(
            self.keys.next(key), api, self.point(anchor), model, problem, read, (limit, limit_line)
        )

    def fields(self, options: Node | None, scope: _Scope) -> dict[str, Node]:
        """The properties of an options object literal (a name bound to one is followed)."""
        if options is None:
            return {}
        options = _unwrap(options)
        if options.type == "identifier":
            found = self.lookup(self.text(options), scope)
            if found is not None and found[0] == "value" and found[1] is not None:
                return self.fields(found[1], found[2])
            return {}
        result: dict[str, Node] = {}
        if options.type != "object":
            return result
        for member in options.named_children:
            if member.type == "pair":
                name = member.child_by_field_name("key")
                value = member.child_by_field_name("value")
                if name is not None and value is not None:
                    label = self.string_value(name) if name.type == "string" else self.text(name)
                    if label:
                        result[label] = value
            elif member.type == "shorthand_property_identifier":
                result[self.text(member)] = member  # `{ model }`: the name itself
        return result

    def model(self, node: Node | None, scope: _Scope, depth: int = 0) -> ModelRef:
        if node is None:
            raise Unread("the call names no model")
        if depth > 20:
            raise Unread("the model name is defined too indirectly")
        node = _unwrap(node)
        if node.type == "string":
            value = self.string_value(node) or ""
            line, column = self.point(node)
            width = len(self.text(node))
            return ModelRef(value, "literal", line, column, column + width)
        if node.type in ("identifier", "shorthand_property_identifier"):
            name = self.text(node)
            found = self.lookup(name, scope)
            if found is None:
                origin = self.names.get(name)
                where = f"imported from {origin}" if origin else "not defined"
                raise Unread(f"the model is {name}, {where} here")
            what, bound, owner = found
            if bound is None:
                raise Unread(f"the model is the parameter {name!r}, which has no default")
            label = f"default of parameter {name}" if what == "param" else name
            return self.model_here(self.model(bound, owner, depth + 1), label, owner, scope)
        if node.type == "member_expression" and (found_member := self.member(node, scope)):
            ref = self.model(found_member[0], found_member[1], depth + 1)
            return self.model_here(ref, self.text(node), found_member[1], scope)
        if node.type == "call_expression":  # `openai("gpt-4o")`, `anthropic.messages("…")`
            arguments = node.child_by_field_name("arguments")
            first = arguments.named_children[0] if arguments and arguments.named_children else None
            if first is not None:
                ref = self.model(first, scope, depth + 1)
                function = node.child_by_field_name("function")
                provider = self.text(function) if function is not None else "?"
                how = f"{provider}(…)" + ("" if ref.how == "literal" else f" ← {ref.how}")
                return ModelRef(ref.value, how, ref.line, ref.column, ref.end_column)
        if node.type == "binary_expression" and self.text(node.child(1) or node) in ("??", "||"):
            right = node.child_by_field_name("right")
            if right is not None:
                ref = self.model(right, scope, depth + 1)
                return ModelRef(ref.value, f"fallback of {self.short(node, 40)}", ref.line,
                                ref.column, ref.end_column)  # fmt: skip
        raise Unread(f"the model is `{self.short(node)}`, computed at run time")

    def model_here(self, ref: ModelRef, label: str, owner: _Scope, scope: _Scope) -> ModelRef:
        """A model read through a name; one from another module keeps no literal position (a
        quick fix edits the file at hand) and its source names the module and line."""
        how = label if ref.how == "literal" else f"{label} ← {ref.how}"
        module = self.foreign(owner, scope)
        if module is None:
            return ModelRef(ref.value, how, ref.line, ref.column, ref.end_column)
        return ModelRef(ref.value, f"{how} in {module.path}:{ref.line}" if ref.line else how)

    def model_of(self, node: Node | None, scope: _Scope) -> tuple[ModelRef | None, str | None]:
        try:
            return self.model(node, scope), None
        except Unread as why:
            return None, str(why)

    # -- text ------------------------------------------------------------------------------

    def string_value(self, node: Node) -> str | None:
        if node.type != "string":
            return None
        pieces: list[str] = []
        for child in node.named_children:
            if child.type == "string_fragment":
                pieces.append(self.text(child))
            elif child.type == "escape_sequence":
                pieces.append(_unescape(self.text(child)))
        return "".join(pieces)

    def value_text(self, node: Node, scope: _Scope, files: list[FileRead], depth: int = 0) -> str:
        if depth > _MAX_DEPTH:
            raise Unread("the text is built too deeply to follow")
        self.steps += 1
        if self.steps > _MAX_STEPS:
            raise Unread("the text is built in too many steps to follow")
        node = _unwrap(node)
        kind = node.type
        if kind == "string":
            return self.string_value(node) or ""
        if kind == "template_string":
            pieces: list[str] = []
            for child in node.named_children:
                if child.type == "string_fragment":
                    pieces.append(self.text(child))
                elif child.type == "escape_sequence":
                    pieces.append(_unescape(self.text(child)))
                elif child.type == "template_substitution":
                    inner = child.named_children[0] if child.named_children else child
                    try:
                        pieces.append(self.value_text(inner, scope, files, depth + 1))
                    except Unread:
                        line, column = self.point(inner)
                        pieces.append(self.holes.marker(self.text(inner), line, column))
            return "".join(pieces)
        if kind == "binary_expression":
            operator = node.child(1)
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            if operator is not None and self.text(operator) == "+" and left and right:
                return self.value_text(left, scope, files, depth + 1) + self.value_text(
                    right, scope, files, depth + 1
                )
        if kind in ("identifier", "shorthand_property_identifier"):
            name = self.text(node)
            found = self.lookup(name, scope)
            if found is None:
                origin = self.names.get(name)
                raise Unread(
                    f"{name} is imported from {origin}" if origin else f"{name} is not defined here"
                )
            what, value, owner = found
            if what == "param" or value is None:
                line, column = self.point(node)
                return self.holes.marker(name, line, column)
            return self.bound_text(node, name, value, owner, scope, files, depth)
        if kind == "member_expression" and (found_member := self.member(node, scope)):
            return self.bound_text(node, self.text(node), *found_member, scope, files, depth)
        if kind == "call_expression":
            return self.call_text(node, scope, files, depth)
        if kind == "ternary_expression":
            branches = [
                node.child_by_field_name("consequence"),
                node.child_by_field_name("alternative"),
            ]
            texts = [self.value_text(b, scope, files, depth + 1) for b in branches if b is not None]
            if texts:
                return max(texts, key=len)
        raise Unread(f"`{self.short(node)}` is computed at run time")

    def bound_text(
        self,
        node: Node,
        name: str,
        value: Node,
        owner: _Scope,
        scope: _Scope,
        files: list[FileRead],
        depth: int,
    ) -> str:
        """The text of a name's value (`owner`: the scope holding it, maybe another module's);
        a hole named after it when the value cannot be read."""
        line, column = self.point(node)
        resolving = (id(owner), name)
        if resolving in self.resolving:  # `p = p + "…"`: a name built from itself
            return self.holes.marker(name, line, column)
        self.resolving.add(resolving)
        anchored = self.holes.anchor is None and self.foreign(owner, scope) is not None
        if anchored:
            self.holes.anchor = (line, column)
        try:
            return self.value_text(value, owner, files, depth + 1)
        except Unread:
            return self.holes.marker(name, line, column)
        finally:
            self.resolving.discard(resolving)
            if anchored:
                self.holes.anchor = None

    def returned_text(
        self, call: Node, function: Node, defined_in: _Scope, files: list[FileRead], depth: int
    ) -> str:
        """The text a function returns (the longest of its returns; an arrow function's
        expression), its parameters as template variables located at the call."""
        inner = self.function_scope(function, defined_in)
        for name in inner.params:
            inner.params[name] = None  # a parameter is a variable, whatever its default
        body = function.child_by_field_name("body")
        if body is None:
            raise Unread(f"`{self.short(call)}` returns text known only at run time")
        returns = (
            [body]
            if body.type != "statement_block"
            else [
                value
                for statement in _returns(body)
                if (value := next(iter(statement.named_children), None)) is not None
            ]
        )
        return returned_text(
            returns, lambda value: self.value_text(value, inner, files, depth + 1), self.holes,
            self.point(call), self.resolving, (function.id, "()"), self.short(call),
        )  # fmt: skip

    def call_text(self, node: Node, scope: _Scope, files: list[FileRead], depth: int) -> str:
        function = node.child_by_field_name("function")
        arguments = node.child_by_field_name("arguments")
        if function is None or arguments is None:
            raise Unread(f"`{self.short(node)}` is computed at run time")
        if arguments.type == "template_string":  # dedent`…`, a tagged template
            return self.value_text(arguments, scope, files, depth + 1)
        name = self.text(function).replace(" ", "")
        first = arguments.named_children[0] if arguments.named_children else None
        method = name.rsplit(".", 1)[-1]
        if method in ("readFileSync", "readFile") and first is not None:
            path = self.path(first, scope, depth + 1)
            if path is not None:
                files.append(FileRead(path[1], path[0], self.point(node)[0]))
                return ""
        if function.type == "member_expression":
            target = function.child_by_field_name("object")
            if target is not None and method in ("trim", "trimStart", "trimEnd", "toString"):
                base = self.value_text(target, scope, files, depth + 1)
                return {
                    "trim": base.strip(),
                    "trimStart": base.lstrip(),
                    "trimEnd": base.rstrip(),
                }.get(method, base)
            if target is not None and method == "join" and _unwrap(target).type == "array":
                separator = self.value_text(first, scope, files, depth + 1) if first else ","
                parts = [
                    self.value_text(e, scope, files, depth + 1)
                    for e in _unwrap(target).named_children
                ]
                return separator.join(parts)
        callee = self.definition(function, scope)
        if callee is not None:
            return self.returned_text(node, callee[0], callee[1], files, depth)
        raise Unread(f"`{self.short(node)}` is a call whose result is known only at run time")

    def path(self, node: Node, scope: _Scope, depth: int) -> tuple[PathBase, str] | None:
        parts = self.path_parts(node, scope, depth)
        if parts is None:
            return None
        base, pieces = parts
        path = "/".join(p.strip("/") for p in pieces if p and p not in (".", "./"))
        return (base, path) if path else None

    def path_parts(
        self, node: Node, scope: _Scope, depth: int
    ) -> tuple[PathBase, list[str]] | None:
        if depth > _MAX_DEPTH:
            return None
        node = _unwrap(node)
        if node.type == "string":
            value = self.string_value(node) or ""
            return "root", [value[2:] if value.startswith("./") else value]
        if node.type == "identifier":
            name = self.text(node)
            if name in ("__dirname",):
                return "file", []
            found = self.lookup(name, scope)
            if found is None or found[0] != "value" or found[1] is None:
                return None
            return self.path_parts(found[1], found[2], depth + 1)
        if node.type == "call_expression":
            function = node.child_by_field_name("function")
            arguments = node.child_by_field_name("arguments")
            name = self.text(function).replace(" ", "") if function is not None else ""
            if arguments is None:
                return None
            if name.endswith(("join", "resolve")) and arguments.named_children:
                joined = [self.path_parts(a, scope, depth + 1) for a in arguments.named_children]
                if any(j is None for j in joined):
                    return None
                first = joined[0]
                assert first is not None
                return first[0], [p for j in joined if j for p in j[1]]
            if name.endswith("cwd"):
                return "root", []
        if node.type == "new_expression":  # new URL("./x.txt", import.meta.url)
            arguments = node.child_by_field_name("arguments")
            if arguments is not None and len(arguments.named_children) == 2:
                first = self.path_parts(arguments.named_children[0], scope, depth + 1)
                if first is not None and "import.meta.url" in self.text(
                    arguments.named_children[1]
                ):
                    return "file", first[1]
        return None

    def message(
        self, node: Node, scope: _Scope, role: str, files: list[FileRead], unread: list[str]
    ) -> CodeMessage | None:
        try:
            text = self.value_text(node, scope, files)
        except Unread as why:
            unread.append(f"{role} message: {why}")
            line, column = self.point(node)
            text = self.holes.marker(self.short(node, 40), line, column)
        if not text:
            return None
        return self.holes.finish(role, text, self.point(node)[0])

    def content(
        self, node: Node, scope: _Scope, role: str, files: list[FileRead], unread: list[str]
    ) -> CodeMessage | None:
        node = _unwrap(node)
        if node.type != "array":
            return self.message(node, scope, role, files, unread)
        texts: list[str] = []
        for part in node.named_children:
            fields = self.fields(part, scope)
            if "text" in fields:
                try:
                    texts.append(self.value_text(fields["text"], scope, files))
                except Unread as why:
                    unread.append(f"{role} message part: {why}")
            elif part.type in ("string", "template_string"):
                texts.append(self.value_text(part, scope, files))
            else:
                kind = self.string_value(fields["type"]) if "type" in fields else None
                unread.append(f"a {kind or 'non-text'} part of a {role} message")
        return self.holes.finish(role, "\n".join(texts), self.point(node)[0]) if texts else None

    def messages(
        self, node: Node, scope: _Scope, files: list[FileRead], unread: list[str], depth: int = 0
    ) -> list[CodeMessage]:
        node = _unwrap(node)
        if node.type in ("identifier", "shorthand_property_identifier") and depth < 20:
            found = self.lookup(self.text(node), scope)
            if found is not None and found[0] == "value" and found[1] is not None:
                return self.messages(found[1], found[2], files, unread, depth + 1)
        if node.type != "array":
            raise Unread(f"the messages are `{self.short(node)}`, built at run time")
        result: list[CodeMessage] = []
        for element in node.named_children:
            if element.type == "spread_element":
                unread.append(f"`{self.short(element)}` adds messages known only at run time")
                continue
            fields = self.fields(element, scope)
            content = fields.get("content") or fields.get("parts")  # Google: `parts: [{ text }]`
            if content is None:
                unread.append(f"message `{self.short(element)}` is built at run time")
                continue
            role_node = fields.get("role")
            role_name = self.string_value(_unwrap(role_node)) if role_node is not None else None
            role = _ROLES.get(role_name or "user", "user")
            message = self.content(content, scope, role, files, unread)
            if message is not None:
                result.append(message)
        return result

    def runtime_messages(self, node: Node, why: str, unread: list[str]) -> CodeMessage:
        """Messages built at run time beside a system prompt we can read: one variable,
        `messages`, to size in the manifest, and the reason noted."""
        unread.append(f"{why}: sized as the variable `messages`")
        line, column = self.point(node)
        return self.holes.finish("user", self.holes.marker("messages", line, column), line)

    def is_message_list(self, node: Node, scope: _Scope) -> bool:
        """An array of messages (objects), not of texts; a name bound to one is followed."""
        node = _unwrap(node)
        for _ in range(10):
            if node.type not in ("identifier", "shorthand_property_identifier"):
                break
            found = self.lookup(self.text(node), scope)
            if found is None or found[0] != "value" or found[1] is None:
                break
            node, scope = _unwrap(found[1]), found[2]
        return node.type == "array" and any(
            e.type in ("object", "spread_element") for e in node.named_children
        )

    # -- the APIs --------------------------------------------------------------------------

    def read(
        self,
        call: Node,
        function: Node,
        scope: _Scope,
        key: str,
        api: str,
        fields: dict[str, Node],
        *parts: Part[Node],
        max_tokens: Node | None = None,
    ) -> CallSite:
        model, problem = self.model_of(fields.get("model"), scope)
        read = assemble(self, scope, parts)
        return self.site(call, function, key, api, model, problem, read, max_tokens)

    def chat(
        self, call: Node, function: Node, options: Node | None, scope: _Scope, key: str, api: str
    ) -> CallSite:
        fields = self.fields(options, scope)
        limit = fields.get("max_tokens") or fields.get("max_completion_tokens")
        if "messages" not in fields:
            model, problem = self.model_of(fields.get("model"), scope)
            missing = Assembled(not_sized="no literal messages")
            return self.site(call, function, key, api, model, problem, missing, limit)
        return self.read(
            call, function, scope, key, api, fields, Part("user", fields["messages"], "messages"),
            max_tokens=limit,
        )  # fmt: skip

    def responses(
        self, call: Node, function: Node, options: Node | None, scope: _Scope, key: str
    ) -> CallSite:
        fields = self.fields(options, scope)
        return self.read(
            call, function, scope, key, "openai responses", fields,
            Part("system", fields.get("instructions"), "text"),
            Part("user", fields.get("input"), "input"),
            max_tokens=fields.get("max_output_tokens"),
        )  # fmt: skip

    def anthropic(
        self, call: Node, function: Node, options: Node | None, scope: _Scope, key: str
    ) -> CallSite:
        fields = self.fields(options, scope)
        return self.read(
            call, function, scope, key, "anthropic messages", fields,
            Part("system", fields.get("system"), "content"),
            Part("user", fields.get("messages"), "messages"),
            max_tokens=fields.get("max_tokens"),
        )  # fmt: skip

    def google(
        self, call: Node, function: Node, options: Node | None, scope: _Scope, key: str
    ) -> CallSite:
        fields = self.fields(options, scope)
        config = self.fields(fields.get("config"), scope)
        return self.read(
            call, function, scope, key, "google genai generateContent", fields,
            Part("system", config.get("systemInstruction"), "content"),
            Part("user", fields.get("contents"), "input"),
            max_tokens=config.get("maxOutputTokens"),
        )  # fmt: skip

    def ai_sdk(
        self, call: Node, function: Node, options: Node | None, scope: _Scope, key: str, name: str
    ) -> CallSite:
        fields = self.fields(options, scope)
        return self.read(
            call, function, scope, key, f"ai sdk {name}", fields,
            Part("system", fields.get("system"), "text"),
            Part("user", fields.get("prompt"), "text"),
            Part("user", fields.get("messages"), "messages"),
            max_tokens=fields.get("maxOutputTokens") or fields.get("maxTokens"),
        )  # fmt: skip


def _returns(body: Node) -> list[Node]:
    """The return statements of a function body, not those of functions nested in it."""
    found: list[Node] = []
    stack = [body]
    while stack:
        node = stack.pop()
        if node.type == "return_statement":
            found.append(node)
        elif node == body or node.type not in _FUNCTIONS:
            stack.extend(reversed(node.children))
    return found


def _exported_value(module: _ScriptModule, entry: ImportEntry) -> Node | None:
    """What a module exports under the entry's name: a value or a declared function."""
    local = module.exports.get(entry[1])
    if local is None:
        return None
    return module.scope.values.get(local) or module.scope.defs.get(local)


def _descendants(node: Node, kind: str) -> list[Node]:
    found: list[Node] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type == kind:
            found.append(current)
        stack.extend(current.children)
    return found


def _unescape(sequence: str) -> str:
    body = sequence[1:]
    if body[:1] in _ESCAPES and len(body) == 1:
        return _ESCAPES[body]
    if body.startswith("u{") and body.endswith("}"):
        return chr(int(body[2:-1], 16))
    if body.startswith(("u", "x")) and len(body) > 1:
        try:
            return chr(int(body[1:], 16))
        except ValueError:
            return sequence
    return body  # `\"`, `\\`, a line continuation


def _first_error(root: Node) -> Node | None:
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == "ERROR" or node.is_missing:
            return node
        if node.has_error:
            stack.extend(reversed(node.children))
    return None


def _parse(source: bytes) -> Node:
    """The TypeScript grammar first, then TSX (JSX): `<T>x` casts parse only in the first."""
    tree = _parser(False).parse(source)
    if tree.root_node.has_error:
        with_jsx = _parser(True).parse(source)
        tree = with_jsx if not with_jsx.root_node.has_error else tree
    return tree.root_node


def _parse_clean(text: str) -> Node | None:
    """An imported module's tree; None when it does not parse (its names are then unread)."""
    try:
        root = _parse(text.encode("utf-8", "surrogatepass"))
    except (RecursionError, ValueError):
        return None
    return None if root.has_error else root


def scan_typescript(text: str, path: str = "", modules: ModuleSource | None = None) -> SourceScan:
    """Every LLM call site of a TypeScript/JavaScript text; a syntax error says where parsing
    stopped. With `modules`, names imported from the workspace's modules are followed (`path`:
    the file's own workspace path, for relative imports and the tsconfig in force)."""
    source = text.encode("utf-8", "surrogatepass")
    root = _parse(source)
    if root.has_error:
        error = _first_error(root)
        line = error.start_point[0] + 1 if error is not None else 1
        what = "missing " + error.type if error is not None and error.is_missing else "syntax error"
        return SourceScan("typescript", (), f"parsing stopped at line {line}: {what}", line)
    scanner = _Scanner(source, path, modules)
    try:
        calls = scanner.run(root)
    except RecursionError:
        return SourceScan("typescript", (), "the code is nested too deeply to scan", 1)
    return SourceScan("typescript", calls, deps=tuple(sorted(scanner.imported.deps.items())))
