"""LLM calls in Python source, found with Python's own `ast`.

Shapes read (docs/code-prompts.md lists them with examples):
- OpenAI: `<client>.chat.completions.create|parse(model=, messages=)`,
  `<client>.responses.create(model=, input=, instructions=)`, sync and async;
- Anthropic: `<client>.messages.create|stream(model=, system=, messages=)`;
- Google GenAI: `<client>.models.generate_content(model=, contents=, config=)`;
- LiteLLM: `litellm.completion|acompletion(model=, messages=)`;
- LangChain: `ChatOpenAI|ChatAnthropic|…(model=)`, `init_chat_model("…")`,
  `ChatPromptTemplate.from_messages|from_template`, `PromptTemplate.from_template`, a chain
  `prompt | llm`, and the call `.invoke|ainvoke|stream|astream|batch|abatch(…)`.

Values are followed through names: a local assignment in the same function, a parameter (its
default for a model; a template variable for text), a `self.x` set in the class, a module
constant, and a constant imported from another module of the workspace (`from app.prompts
import SYSTEM`, `from . import prompts` then `prompts.SYSTEM`, re-exported through `__init__`;
core/code/modules.py finds the file). Anything else (a package outside the workspace, a
function's return value) is not read, and the reason is kept.
"""

from __future__ import annotations

import ast
import re
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from llmcost_lsp.core.code.assemble import (
    Assembled,
    Part,
    SiteKeys,
    Unread,
    assemble,
    call_site,
    returned_text,
)
from llmcost_lsp.core.code.fstrings import parse_python
from llmcost_lsp.core.code.model import (
    CallSite,
    CodeMessage,
    FileRead,
    ModelRef,
    PathBase,
    SourceScan,
)
from llmcost_lsp.core.code.modules import Follower, ModuleSource, module_files
from llmcost_lsp.core.code.text import Holes, has_text

_CHAT_CLASSES = frozenset(
    {
        "ChatOpenAI", "AzureChatOpenAI", "ChatAnthropic", "ChatGoogleGenerativeAI",
        "ChatVertexAI", "ChatMistralAI", "ChatGroq", "ChatBedrock", "ChatBedrockConverse",
        "ChatCohere", "ChatLiteLLM", "ChatFireworks", "ChatTogether", "ChatDeepSeek", "ChatXAI",
        "OpenAI", "Anthropic",
    }
)  # fmt: skip
_INVOKE = frozenset({"invoke", "ainvoke", "stream", "astream", "batch", "abatch"})
_WRAPPERS = frozenset({"with_structured_output", "bind_tools", "bind", "with_retry", "with_config"})
_ROLE_CLASSES = {
    "SystemMessage": "system",
    "HumanMessage": "user",
    "AIMessage": "assistant",
    "SystemMessagePromptTemplate": "system",
    "HumanMessagePromptTemplate": "user",
    "AIMessagePromptTemplate": "assistant",
}
_ROLE_NAMES = {"human": "user", "ai": "assistant", "system": "system", "user": "user",
               "assistant": "assistant", "developer": "system", "model": "assistant"}  # fmt: skip
# `client.beta.messages.with_raw_response.create(…)` is `client.messages.create(…)`
_TRANSPARENT = frozenset({"beta", "with_raw_response", "with_streaming_response", "aio"})
_MAX_TOKENS = ("max_tokens", "max_completion_tokens", "max_output_tokens")
# receivers of `.invoke(…)` naming a chat model: `llm`, `self.llm`, `llm_with_tools`, `judge_model`
_LLM_NAME = re.compile(r"llm|chat_?model|^model$|_model$")
# the app's own chat wrapper called with `model=` and `messages=`: `create_chat_completion`
_COMPLETION = re.compile(r"chat_?completion|^a?completion$|^call_(llm|model)$")
_MAX_STEPS = 5_000  # expressions followed for one call, e.g. `a if c else b` chains double
_NO_MESSAGES = "the call passes no messages="
_MAX_DEPTH = 200  # deeper expressions are not followed (generated code): reported, never a crash


ImportEntry = tuple[int, str, str]  # (leading dots, module, name; "" for the module itself)
_Def = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
_Function = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass
class _Module:
    """A module whose names a scope can see: its workspace path and its imports."""

    path: str
    imports: dict[str, ImportEntry]


@dataclass
class _Scope:
    """Names visible at a call: assignments of the function, its parameters, the class's
    `self.x`, the module's constants. A name assigned more than once keeps the last value."""

    values: dict[str, ast.expr] = field(default_factory=dict)
    params: dict[str, ast.expr | None] = field(default_factory=dict)
    files: dict[str, ast.expr] = field(default_factory=dict)  # `with open(p) as f`: f -> p
    attributes: dict[str, ast.expr] = field(default_factory=dict)  # self.x -> value
    parent: _Scope | None = None
    module: _Module | None = None  # set on a module's own scope: its imports
    defs: dict[str, _Def] = field(default_factory=dict)  # functions and classes defined here

    def root_module(self) -> _Module | None:
        scope: _Scope | None = self
        while scope is not None:
            if scope.module is not None:
                return scope.module
            scope = scope.parent
        return None

    def lookup(self, name: str) -> tuple[str, ast.expr | None, _Scope] | None:
        """('value', expr) or ('param', default) with the scope it was found in."""
        scope: _Scope | None = self
        while scope is not None:
            if name in scope.values:
                return "value", scope.values[name], scope
            if name in scope.params:
                return "param", scope.params[name], scope
            scope = scope.parent
        return None

    def file_of(self, name: str) -> tuple[ast.expr, _Scope] | None:
        scope: _Scope | None = self
        while scope is not None:
            if name in scope.files:
                return scope.files[name], scope
            scope = scope.parent
        return None

    def attribute(self, name: str) -> tuple[ast.expr, _Scope] | None:
        scope: _Scope | None = self
        while scope is not None:
            if name in scope.attributes:
                return scope.attributes[name], scope
            scope = scope.parent
        return None


@dataclass
class _Runnable:
    """A LangChain runnable: its prompt's messages (None: none in the chain) and its model."""

    messages: list[CodeMessage] | None = None
    model: ModelRef | None = None
    model_problem: str | None = None
    has_llm: bool = False
    unread: list[str] = field(default_factory=list)


def _dotted(node: ast.expr) -> str:
    """`client.chat.completions.create` for an attribute chain (calls shown as `()`)."""
    parts: list[str] = []
    while True:
        if isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Call):
            parts.append("()")
            node = node.func
        elif isinstance(node, ast.Name):
            parts.append(node.id)
            break
        else:
            parts.append("?")
            break
    return ".".join(reversed(parts))


def _keyword(call: ast.Call, *names: str) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg in names:
            return keyword.value
    return None


class _FileScanner:
    """One file: imports, scopes, then every call site in source order."""

    def __init__(
        self, tree: ast.Module, path: str = "", modules: ModuleSource | None = None
    ) -> None:
        self.tree = tree
        self.path = path
        self.imported = Follower(_RULES, modules)  # names imported from workspace modules
        self.holes = Holes()
        self.imports: set[str] = set()  # top-level packages imported
        self.names: dict[str, str] = {}  # local name -> imported `module.name`
        self.sites: list[CallSite] = []
        self.keys = SiteKeys()
        self.steps = 0  # expressions followed for the current call: bounded (_MAX_STEPS)
        self.resolving: set[tuple[int, str]] = set()  # names being followed (cycles)

    # -- setup ---------------------------------------------------------------------------------

    def run(self) -> tuple[CallSite, ...]:
        statements = _import_statements(self.tree)  # one walk for both tables
        for node in statements:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    self.imports.add(alias.name.split(".")[0])
                    self.names[alias.asname or alias.name.split(".")[0]] = alias.name
            elif isinstance(node, ast.ImportFrom) and node.module:
                self.imports.add(node.module.split(".")[0])
                for alias in node.names:
                    self.names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        module = _Scope(module=_Module(self.path, _import_table(statements)))
        _collect(self.tree.body, module)
        self._visit_body(self.tree.body, module, "<module>")
        return tuple(self.sites)

    # -- imports -----------------------------------------------------------------------------

    def _lookup(self, name: str, scope: _Scope) -> tuple[str, ast.expr | None, _Scope] | None:
        """A name in the scopes, else a constant imported from a workspace module."""
        found = scope.lookup(name)
        if found is not None:
            return found
        module = scope.root_module()
        entry = module.imports.get(name) if module is not None else None
        if module is None or entry is None or not entry[2]:
            return None
        value = self._imported(module.path, entry)
        return ("value", value[0], value[1]) if value is not None else None

    def _imported_attribute(
        self, expr: ast.Attribute, scope: _Scope
    ) -> tuple[ast.expr, _Scope] | None:
        """`prompts.SYSTEM` where `prompts` is an imported workspace module."""
        parts = _dotted(expr).split(".")
        if "?" in parts or "()" in parts or scope.lookup(parts[0]) is not None:
            return None
        module = scope.root_module()
        entry = module.imports.get(parts[0]) if module is not None else None
        if module is None or entry is None:
            return None
        level, dotted, name = entry
        inner = [dotted, name] if name else [dotted]  # `from app import prompts`: a submodule
        target = ".".join([p for p in inner if p] + parts[1:-1])
        return self._imported(module.path, (level, target, parts[-1]))

    def _imported(
        self, importer: str, entry: ImportEntry, *, want_def: bool = False
    ) -> tuple[Any, _Scope] | None:
        """The value a workspace module assigns to the imported name (with `want_def`: the
        function or class it defines), through re-exports (core/code/modules.py)."""

        def binding(scope: _Scope, entry: ImportEntry) -> ast.expr | _Def | None:
            return (scope.defs if want_def else scope.values).get(entry[2])

        return self.imported.follow(importer, entry, binding)

    @property
    def uses_langchain(self) -> bool:
        return any(name.startswith("langchain") for name in self.imports)

    def _visit_body(self, body: list[ast.stmt], scope: _Scope, key: str) -> None:
        for statement in body:
            self._visit(statement, scope, key)

    def _visit(self, node: ast.AST, scope: _Scope, key: str) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            inner = _Scope(parent=scope)
            arguments = node.args
            positional = [*arguments.posonlyargs, *arguments.args]
            defaults: list[ast.expr | None] = [None] * (
                len(positional) - len(arguments.defaults)
            ) + list(arguments.defaults)
            for argument, default in zip(positional, defaults, strict=True):
                inner.params[argument.arg] = default
            for argument, default in zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True):
                inner.params[argument.arg] = default
            _collect(node.body, inner)
            name = node.name if key == "<module>" else f"{key}.{node.name}"
            for statement in node.body:
                self._visit(statement, inner, name)
            return
        if isinstance(node, ast.ClassDef):
            inner = _Scope(parent=scope)
            _collect(node.body, inner)
            for method in node.body:  # `self.x = …` in any method is seen by every method
                if isinstance(method, ast.FunctionDef | ast.AsyncFunctionDef):
                    method_scope = _Scope()
                    _collect(method.body, method_scope)
                    inner.attributes.update(method_scope.attributes)
                    for argument, default in zip(
                        method.args.args[len(method.args.args) - len(method.args.defaults) :],
                        method.args.defaults,
                        strict=True,
                    ):
                        inner.params.setdefault(argument.arg, default)
            name = node.name if key == "<module>" else f"{key}.{node.name}"
            for statement in node.body:
                self._visit(statement, inner, name)
            return
        stack = [node]  # the calls under a statement, in source order
        while stack:
            current = stack.pop()
            if isinstance(current, _Def):
                self._visit(current, scope, key)
                continue
            if isinstance(current, ast.Call):
                self._call(current, scope, key)
            stack.extend(reversed(_children(current)))

    # -- classification ------------------------------------------------------------------------

    def _call(self, call: ast.Call, scope: _Scope, key: str) -> None:
        self.steps = 0
        if (
            _dotted(call.func).endswith("to_thread")
            and call.args
            and isinstance(call.args[0], ast.Attribute)
        ):
            # `asyncio.to_thread(client.models.generate_content, model=…, contents=…)`: the call
            # the thread makes, with the arguments after the function
            call = ast.copy_location(
                ast.Call(func=call.args[0], args=call.args[1:], keywords=call.keywords), call
            )
        name = _dotted(call.func)
        tail = [part for part in name.split(".") if part not in _TRANSPARENT]
        site: CallSite | None = None
        try:
            if tail[-3:] in (["chat", "completions", "create"], ["chat", "completions", "parse"]):
                site = self._openai_chat(call, scope, key, "openai chat.completions")
            elif tail[-2:] == ["responses", "create"] and "openai" in self.imports:
                site = self._openai_responses(call, scope, key)
            elif tail[-2:] in (["messages", "create"], ["messages", "stream"]) and (
                "anthropic" in self.imports
            ):
                site = self._anthropic(call, scope, key)
            elif tail[-2:] in (
                ["models", "generate_content"],
                ["models", "generate_content_stream"],
            ) and ("google" in self.imports or "genai" in self.names):
                site = self._google(call, scope, key)
            elif self._is_litellm(name):
                site = self._openai_chat(call, scope, key, "litellm completion")
            elif tail[-1] in _INVOKE and len(tail) >= 2 and isinstance(call.func, ast.Attribute):
                site = self._langchain_invoke(call, scope, key)
            given = _keyword(call, "messages")
            if (
                site is None
                and given is not None
                and _keyword(call, "model") is not None
                and (
                    _chat_messages(self._follow(given, scope)[0])
                    or _COMPLETION.search(tail[-1].lower()) is not None
                )
                and tail[-1] not in ("count_tokens", "dict")
            ):
                # the app's own wrapper (`create_chat_completion(model=…, messages=[…])`): a model
                # and a literal list of role/content messages make an LLM call, whatever the
                # callee; so do a model and messages handed to a function named for it (messages
                # passed through: found, sized by the variable or said why not)
                site = self._openai_chat(call, scope, key, f"{tail[-1]}(messages=…)")
        except RecursionError:
            too_deep = Assembled(not_sized="the expression is nested too deeply")
            site = self._site(call, key, "?", None, None, too_deep)
        if site is not None:
            self.sites.append(site)

    def _is_litellm(self, name: str) -> bool:
        if name in ("litellm.completion", "litellm.acompletion"):
            return True
        return self.names.get(name, "") in ("litellm.completion", "litellm.acompletion")

    def _site(
        self,
        call: ast.Call,
        key: str,
        api: str,
        model: ModelRef | None,
        problem: str | None,
        read: Assembled,
    ) -> CallSite:
        spread = next((k.value for k in call.keywords if k.arg is None), None)
        if spread is not None:
            spread_reason = f"the arguments come from `**{_short(spread, 40)}`, built at run time"
            if not read.messages:
                read = replace(read, not_sized=read.not_sized or spread_reason)
            problem = spread_reason if problem == "the call names no model" else problem
        func = call.func
        line, column = func.lineno, func.col_offset
        if isinstance(func, ast.Attribute) and func.end_lineno is not None:
            line = func.end_lineno  # the `create(` of a chain split over lines
            column = (func.end_col_offset or 0) - len(func.attr)
        limit = _keyword(call, *_MAX_TOKENS)
        value = limit.value if isinstance(limit, ast.Constant) else None
        max_tokens = value if isinstance(value, int) and not isinstance(value, bool) else None
        return call_site(
            self.keys.next(key), api, (line, column), model, problem, read,
            (max_tokens, limit.lineno if limit is not None else 0),
        )  # fmt: skip

    def _model(
        self, expr: ast.expr | None, scope: _Scope, missing: str
    ) -> tuple[ModelRef | None, str | None]:
        if expr is None:
            return None, missing
        try:
            return self._model_value(expr, scope, 0), None
        except Unread as why:
            return None, str(why)

    def _model_value(self, expr: ast.expr, scope: _Scope, depth: int) -> ModelRef:
        if depth > 20:
            raise Unread("the model name is defined too indirectly")
        if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
            return ModelRef(
                expr.value, "literal", expr.lineno, expr.col_offset, expr.end_col_offset or 0
            )
        if isinstance(expr, ast.Name):
            found = self._lookup(expr.id, scope)
            if found is None:
                origin = self.names.get(expr.id)
                where = f"imported from {origin.rpartition('.')[0]}" if origin else "not defined"
                raise Unread(f"the model is {expr.id}, {where} here")
            kind, value, owner = found
            if value is None:
                raise Unread(f"the model is the parameter {expr.id!r}, which has no default")
            ref = self._model_value(value, owner, depth + 1)
            label = f"default of parameter {expr.id}" if kind == "param" else f"{expr.id}"
            ref = replace(ref, how=label if ref.how == "literal" else f"{label} ← {ref.how}")
            return self._model_here(ref, owner, scope)
        if isinstance(expr, ast.Attribute) and (imported := self._imported_attribute(expr, scope)):
            ref = self._model_value(imported[0], imported[1], depth + 1)
            label = _dotted(expr)
            ref = replace(ref, how=label if ref.how == "literal" else f"{label} ← {ref.how}")
            return self._model_here(ref, imported[1], scope)
        if isinstance(expr, ast.Attribute) and _dotted(expr.value) == "self":
            found_attribute = scope.attribute(expr.attr)
            if found_attribute is None:
                raise Unread(f"the model is self.{expr.attr}, not set in this class")
            ref = self._model_value(found_attribute[0], found_attribute[1], depth + 1)
            label = f"self.{expr.attr}"
            return replace(ref, how=label if ref.how == "literal" else f"{label} ← {ref.how}")
        if isinstance(expr, ast.Call):
            called = _dotted(expr.func)
            if called in ("os.getenv", "os.environ.get", "getenv", "environ.get"):
                if len(expr.args) >= 2:
                    env = expr.args[0]
                    ref = self._model_value(expr.args[1], scope, depth + 1)
                    env_name = _literal(env) or "?"
                    return replace(ref, how=f"default of ${env_name}")
                raise Unread("the model comes from an environment variable without a default")
        if isinstance(expr, ast.BoolOp) and isinstance(expr.op, ast.Or):
            return self._model_value(expr.values[-1], scope, depth + 1)  # `x or "gpt-4o"`
        raise Unread(f"the model is `{_short(expr)}`, computed at run time")

    def _model_here(self, ref: ModelRef, owner: _Scope, scope: _Scope) -> ModelRef:
        """A model read from another module keeps no literal position (a quick fix edits the
        file at hand); its source names the module it came from."""
        module = owner.root_module()
        if module is None or module is scope.root_module() or not ref.line:
            return ref
        return ModelRef(ref.value, f"{ref.how} in {module.path}:{ref.line}")

    # -- text ----------------------------------------------------------------------------------

    def _text(self, expr: ast.expr, scope: _Scope, files: list[FileRead], depth: int = 0) -> str:
        """The text of an expression, holes as markers; Unread when it cannot be read."""
        if depth > _MAX_DEPTH:
            raise Unread("the text is built too deeply to follow")
        self.steps += 1
        if self.steps > _MAX_STEPS:
            raise Unread("the text is built in too many steps to follow")
        if isinstance(expr, ast.Constant):
            if isinstance(expr.value, str):
                return expr.value
            raise Unread(f"`{_short(expr)}` is not text")
        if isinstance(expr, ast.JoinedStr):
            pieces: list[str] = []
            for value in expr.values:
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    pieces.append(value.value)
                elif isinstance(value, ast.FormattedValue):
                    try:
                        inner = self._text(value.value, scope, files, depth + 1)
                        pieces.append(inner)
                    except Unread:
                        pieces.append(
                            self.holes.marker(
                                ast.unparse(value.value), value.lineno, value.col_offset
                            )
                        )
            return "".join(pieces)
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
            return self._text(expr.left, scope, files, depth + 1) + self._text(
                expr.right, scope, files, depth + 1
            )
        if isinstance(expr, ast.Name):
            found = self._lookup(expr.id, scope)
            if found is None:
                origin = self.names.get(expr.id)
                if origin:
                    raise Unread(f"{expr.id} is imported from {origin.rpartition('.')[0]}")
                raise Unread(f"{expr.id} is not defined in this file")
            kind, bound, owner = found
            if kind == "param":  # a runtime input: a template variable named after it
                return self.holes.marker(expr.id, expr.lineno, expr.col_offset)
            assert bound is not None
            return self._bound_text(expr, expr.id, bound, owner, scope, files, depth)
        if isinstance(expr, ast.Attribute) and (imported := self._imported_attribute(expr, scope)):
            return self._bound_text(expr, _dotted(expr), imported[0], imported[1], scope, files,
                                    depth)  # fmt: skip
        if isinstance(expr, ast.Attribute) and _dotted(expr.value) == "self":
            attribute = scope.attribute(expr.attr)
            if attribute is not None:
                return self._text(attribute[0], attribute[1], files, depth + 1)
            raise Unread(f"self.{expr.attr} is not set in this class")
        if isinstance(expr, ast.Call):
            return self._call_text(expr, scope, files, depth)
        if isinstance(expr, ast.IfExp):  # both branches cannot be sent: count the longer
            texts = [self._text(e, scope, files, depth + 1) for e in (expr.body, expr.orelse)]
            return max(texts, key=len)
        raise Unread(f"`{_short(expr)}` is computed at run time")

    def _bound_text(
        self,
        expr: ast.expr,
        name: str,
        bound: ast.expr,
        owner: _Scope,
        scope: _Scope,
        files: list[FileRead],
        depth: int,
    ) -> str:
        """The text of a name's value (`owner`: the scope that holds it, maybe another
        module's); a hole named after it when the value cannot be read."""
        resolving = (id(owner), name)
        if resolving in self.resolving:  # `p = p + "…"`: a name built from itself
            return self.holes.marker(name, expr.lineno, expr.col_offset)
        self.resolving.add(resolving)
        anchored = self.holes.anchor is None and owner.root_module() is not scope.root_module()
        if anchored:
            self.holes.anchor = (expr.lineno, expr.col_offset)
        try:
            return self._text(bound, owner, files, depth + 1)
        except Unread:
            return self.holes.marker(name, expr.lineno, expr.col_offset)
        finally:
            self.resolving.discard(resolving)
            if anchored:
                self.holes.anchor = None

    def _call_text(self, call: ast.Call, scope: _Scope, files: list[FileRead], depth: int) -> str:
        func = call.func
        name = _dotted(func)
        if name in ("textwrap.dedent", "dedent", "inspect.cleandoc", "cleandoc") and call.args:
            inner = self._text(call.args[0], scope, files, depth + 1)
            return (
                textwrap.dedent(inner).strip("\n")
                if "cleandoc" in name
                else (textwrap.dedent(inner))
            )
        if name == "str" and call.args:
            return self._text(call.args[0], scope, files, depth + 1)
        if isinstance(func, ast.Attribute):
            method = func.attr
            if method in ("strip", "lstrip", "rstrip") and not call.args:
                base = self._text(func.value, scope, files, depth + 1)
                return str(getattr(base, method)())
            if method == "format":
                base = self._text(func.value, scope, files, depth + 1)
                return self.holes.template(base, func.value.lineno, func.value.col_offset)
            if method == "join" and call.args and isinstance(call.args[0], ast.List | ast.Tuple):
                separator = self._text(func.value, scope, files, depth + 1)
                parts = [self._text(e, scope, files, depth + 1) for e in call.args[0].elts]
                return separator.join(parts)
            if method in ("read_text", "read"):
                path = self._file_path(func.value, scope, depth)
                if path is not None:
                    files.append(path)
                    return ""  # counted as the prompt file it is (see docs/code-prompts.md)
        callee = self._callee(func, scope)
        if callee is not None:
            return self._returned_text(call, callee[0], callee[1], files, depth)
        raise Unread(f"`{_short(call)}` is a call whose result is known only at run time")

    def _definition(self, name: str, scope: _Scope) -> tuple[_Def, _Scope] | None:
        """The function or class a name defines here, in an enclosing scope, or by import."""
        found: _Scope | None = scope
        while found is not None:
            if name in found.defs:
                return found.defs[name], found
            if name in found.values or name in found.params:
                return None  # a variable shadows it
            found = found.parent
        module = scope.root_module()
        entry = module.imports.get(name) if module is not None else None
        if module is None or entry is None or not entry[2]:
            return None
        return self._imported(module.path, entry, want_def=True)

    def _callee(self, func: ast.expr, scope: _Scope) -> tuple[_Function, _Scope] | None:
        """The function a call runs when the code says which: `make_prompt(…)`, a method of
        a known class (`PromptFamily.intro(…)`, through a parameter's default or an instance
        made here)."""
        if isinstance(func, ast.Name):
            found = self._definition(func.id, scope)
            if found is not None and not isinstance(found[0], ast.ClassDef):
                return found[0], found[1]
            return None
        if not isinstance(func, ast.Attribute) or not isinstance(func.value, ast.Name):
            return None
        owner = self._class_of(func.value, scope, 0)
        if owner is None:
            return None
        class_def, defined_in = owner
        class_scope = _Scope(parent=defined_in)
        _collect(class_def.body, class_scope)
        method = class_scope.defs.get(func.attr)
        if isinstance(method, ast.FunctionDef | ast.AsyncFunctionDef):
            return method, class_scope
        return None

    def _class_of(
        self, expr: ast.expr, scope: _Scope, depth: int
    ) -> tuple[ast.ClassDef, _Scope] | None:
        if depth > 10:
            return None
        if isinstance(expr, ast.Call):
            expr = expr.func  # an instance: `PromptFamily(cfg)`
        if not isinstance(expr, ast.Name):
            return None
        found = self._definition(expr.id, scope)
        if found is not None:
            return (found[0], found[1]) if isinstance(found[0], ast.ClassDef) else None
        bound = self._lookup(expr.id, scope)
        if bound is None or bound[1] is None:
            return None
        return self._class_of(bound[1], bound[2], depth + 1)

    def _returned_text(
        self,
        call: ast.Call,
        function: _Function,
        defined_in: _Scope,
        files: list[FileRead],
        depth: int,
    ) -> str:
        """The text a function returns (the longest of its returns), its parameters as
        template variables located at the call."""
        inner = _Scope(parent=defined_in)
        arguments = function.args
        for argument in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]:
            inner.params[argument.arg] = None
        _collect(function.body, inner)
        returns = [
            node.value
            for statement in function.body
            for node in _statements(statement)
            if isinstance(node, ast.Return) and node.value is not None
        ]
        return returned_text(
            returns, lambda value: self._text(value, inner, files, depth + 1), self.holes,
            (call.lineno, call.col_offset), self.resolving, (id(function), "()"), _short(call),
        )  # fmt: skip

    def _file_path(self, expr: ast.expr, scope: _Scope, depth: int) -> FileRead | None:
        """`Path("p")`, `open("p")`, `Path(__file__).parent / "p"`, a name bound to one."""
        if depth > _MAX_DEPTH:
            return None
        if isinstance(expr, ast.Name):
            opened = scope.file_of(expr.id)
            if opened is not None:
                return self._path_value(opened[0], opened[1], depth + 1, expr.lineno)
            found = scope.lookup(expr.id)
            if found is not None and found[1] is not None:
                return self._file_path(found[1], found[2], depth + 1)
            return None
        if isinstance(expr, ast.Call):
            name = _dotted(expr.func)
            if name in ("open", "io.open", "codecs.open") and expr.args:
                return self._path_value(expr.args[0], scope, depth + 1, expr.lineno)
        return self._path_value(expr, scope, depth + 1, expr.lineno)

    def _path_value(self, expr: ast.expr, scope: _Scope, depth: int, line: int) -> FileRead | None:
        try:
            parts = self._path_parts(expr, scope, depth)
        except Unread:
            return None
        if parts is None:
            return None
        base, pieces = parts
        path = "/".join(p.strip("/") for p in pieces if p and p != ".")
        return FileRead(path, base, line) if path else None

    def _path_parts(
        self, expr: ast.expr, scope: _Scope, depth: int
    ) -> tuple[PathBase, list[str]] | None:
        if depth > _MAX_DEPTH:
            return None
        if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
            return "root", [expr.value]
        if isinstance(expr, ast.Name):
            if expr.id == "__file__":
                return "file", ["__file__"]
            found = scope.lookup(expr.id)
            if found is None or found[1] is None or found[0] == "param":
                return None
            return self._path_parts(found[1], found[2], depth + 1)
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Div):
            left = self._path_parts(expr.left, scope, depth + 1)
            right = self._path_parts(expr.right, scope, depth + 1)
            if left is None or right is None:
                return None
            return left[0], [*left[1], *right[1]]
        if isinstance(expr, ast.Attribute) and expr.attr == "parent":
            inner = self._path_parts(expr.value, scope, depth + 1)
            if inner is None or not inner[1]:
                return None
            return inner[0], inner[1][:-1]
        if isinstance(expr, ast.Call):
            name = _dotted(expr.func)
            if name in ("Path", "pathlib.Path", "PurePath") and expr.args:
                parts: list[str] = []
                base: PathBase = "root"
                for argument in expr.args:
                    inner = self._path_parts(argument, scope, depth + 1)
                    if inner is None:
                        return None
                    base = inner[0] if not parts else base
                    parts.extend(inner[1])
                return base, parts
            if name in ("os.path.join", "path.join") and expr.args:
                joined = [self._path_parts(a, scope, depth + 1) for a in expr.args]
                if any(j is None for j in joined):
                    return None
                first = joined[0]
                assert first is not None
                return first[0], [p for j in joined if j for p in j[1]]
            if name in ("os.path.dirname", "path.dirname") and expr.args:
                inner = self._path_parts(expr.args[0], scope, depth + 1)
                return (inner[0], inner[1][:-1]) if inner and inner[1] else None
            if name.endswith(("resolve", "absolute")) and isinstance(expr.func, ast.Attribute):
                return self._path_parts(expr.func.value, scope, depth + 1)
            if name in ("os.path.abspath", "os.path.realpath") and expr.args:
                return self._path_parts(expr.args[0], scope, depth + 1)
        return None

    def message(
        self, expr: ast.expr, scope: _Scope, role: str, files: list[FileRead], unread: list[str]
    ) -> CodeMessage | None:
        """One message's text; unreadable parts are kept as a hole and the reason noted."""
        try:
            text = self._text(expr, scope, files)
        except Unread as why:
            unread.append(f"{role} message: {why}")
            text = self.holes.marker(_short(expr, 40), expr.lineno, expr.col_offset)
        if not has_text(text) and not text:
            return None
        return self.holes.finish(role, text, expr.lineno)

    def content(
        self, expr: ast.expr, scope: _Scope, role: str, files: list[FileRead], unread: list[str]
    ) -> CodeMessage | None:
        """A message content: text, or a list of parts (`{"type": "text", "text": …}`)."""
        if isinstance(expr, ast.List | ast.Tuple):
            texts: list[str] = []
            for element in expr.elts:
                part, part_scope = self._follow(element, scope)
                if isinstance(part, ast.Dict | ast.Call) and (
                    not isinstance(part, ast.Call) or _keyword(part, "text", "type") is not None
                ):
                    fields = (
                        _dict_fields(part)
                        if isinstance(part, ast.Dict)
                        else {k.arg: k.value for k in part.keywords if k.arg}
                    )
                    if "text" in fields:
                        try:
                            texts.append(self._text(fields["text"], part_scope, files))
                        except Unread as why:
                            unread.append(f"{role} message part: {why}")
                    elif fields.get("type") is not None:
                        kind = _literal(fields["type"])
                        unread.append(f"a {kind or 'non-text'} part of a {role} message")
                else:
                    try:
                        texts.append(self._text(element, scope, files))
                    except Unread as why:
                        unread.append(f"{role} message part: {why}")
            return self.holes.finish(role, "\n".join(texts), expr.lineno) if texts else None
        return self.message(expr, scope, role, files, unread)

    def _follow(self, expr: ast.expr, scope: _Scope) -> tuple[ast.expr, _Scope]:
        """A name's assigned value (a few steps), else the expression itself."""
        for _ in range(10):
            if not isinstance(expr, ast.Name):
                break
            found = self._lookup(expr.id, scope)
            if found is None or found[0] != "value" or found[1] is None:
                break
            expr, scope = found[1], found[2]
        return expr, scope

    def messages(
        self,
        expr: ast.expr,
        scope: _Scope,
        files: list[FileRead],
        unread: list[str],
        depth: int = 0,
    ) -> list[CodeMessage]:
        """A list of messages: dicts with role/content, `(role, text)` tuples, message objects."""
        if isinstance(expr, ast.Name) and depth < 20:
            found = self._lookup(expr.id, scope)
            if found is not None and found[0] == "value" and found[1] is not None:
                return self.messages(found[1], found[2], files, unread, depth + 1)
            if found is not None and found[0] == "param":
                message = self.message(expr, scope, "user", files, unread)
                return [message] if message else []
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
            return self.messages(expr.left, scope, files, unread, depth + 1) + self.messages(
                expr.right, scope, files, unread, depth + 1
            )
        if not isinstance(expr, ast.List | ast.Tuple):
            raise Unread(f"the messages are `{_short(expr)}`, built at run time")
        messages: list[CodeMessage] = []
        for element in expr.elts:
            if isinstance(element, ast.Starred):
                unread.append(f"`{_short(element)}` adds messages known only at run time")
                continue
            role, content = self._role_and_content(element, scope, unread)
            if content is None:
                continue
            message = self.content(content, scope, role, files, unread)
            if message is not None:
                messages.append(message)
        return messages

    def _role_and_content(
        self, element: ast.expr, scope: _Scope, unread: list[str]
    ) -> tuple[str, ast.expr | None]:
        if isinstance(element, ast.Dict):
            fields = _dict_fields(element)
            role = _ROLE_NAMES.get(_literal(fields.get("role")) or "user", "user")
            if "content" in fields:
                return role, fields["content"]
            if "parts" in fields:  # Google's {"role": …, "parts": [{"text": …}]}
                return role, fields["parts"]
            unread.append("a message without a literal `content`")
            return role, None
        if isinstance(element, ast.Tuple) and len(element.elts) == 2:
            role = _ROLE_NAMES.get(_literal(element.elts[0]) or "user", "user")
            return role, element.elts[1]
        if isinstance(element, ast.Call):
            called = _dotted(element.func).split(".")[-1]
            if called in _ROLE_CLASSES:
                content = _keyword(element, "content") or (
                    element.args[0] if element.args else None
                )
                if called.endswith("PromptTemplate"):  # X.from_template("…")
                    pass
                return _ROLE_CLASSES[called], content
            if (
                isinstance(element.func, ast.Attribute)
                and element.func.attr == "from_template"
                and _dotted(element.func.value).split(".")[-1] in _ROLE_CLASSES
            ):
                return _ROLE_CLASSES[_dotted(element.func.value).split(".")[-1]], (
                    element.args[0] if element.args else None
                )
        if isinstance(element, ast.Name):
            found = self._lookup(element.id, scope)
            if found is not None and found[0] == "value" and found[1] is not None:
                return self._role_and_content(found[1], found[2], unread)
        unread.append(f"message `{_short(element)}` is built at run time")
        return "user", None

    # -- the APIs ------------------------------------------------------------------------------

    def runtime_messages(self, node: ast.expr, why: str, unread: list[str]) -> CodeMessage:
        """Messages built at run time beside a system prompt we can read: one variable,
        `messages`, to size in the manifest, and the reason noted."""
        unread.append(f"{why}: sized as the variable `messages`")
        marker = self.holes.marker("messages", node.lineno, node.col_offset)
        return self.holes.finish("user", marker, node.lineno)

    def is_message_list(self, node: ast.expr, scope: _Scope) -> bool:
        """A list of messages (dicts, `(role, text)` tuples, message objects), not of texts."""
        value, _ = self._follow(node, scope)
        return isinstance(value, ast.List | ast.Tuple) and any(
            isinstance(e, ast.Dict | ast.Call | ast.Tuple | ast.Starred) for e in value.elts
        )

    def _read(
        self,
        call: ast.Call,
        scope: _Scope,
        key: str,
        api: str,
        model: tuple[ModelRef | None, str | None],
        *parts: Part[ast.expr],
    ) -> CallSite:
        return self._site(call, key, api, model[0], model[1], assemble(self, scope, parts))

    def _openai_chat(self, call: ast.Call, scope: _Scope, key: str, api: str) -> CallSite:
        litellm = api.startswith("litellm")
        given_model = _keyword(call, "model") or (call.args[0] if litellm and call.args else None)
        model = self._model(given_model, scope, "the call names no model")
        found = _keyword(call, "messages")
        if found is None and litellm and len(call.args) > 1:
            found = call.args[1]
        if found is None:
            return self._site(call, key, api, *model, Assembled(not_sized=_NO_MESSAGES))
        return self._read(call, scope, key, api, model, Part("user", found, "messages"))

    def _openai_responses(self, call: ast.Call, scope: _Scope, key: str) -> CallSite:
        return self._read(
            call, scope, key, "openai responses",
            self._model(_keyword(call, "model"), scope, "the call names no model"),
            Part("system", _keyword(call, "instructions"), "text"),
            Part("user", _keyword(call, "input"), "input"),
        )  # fmt: skip

    def _anthropic(self, call: ast.Call, scope: _Scope, key: str) -> CallSite:
        return self._read(
            call, scope, key, "anthropic messages",
            self._model(_keyword(call, "model"), scope, "the call names no model"),
            Part("system", _keyword(call, "system"), "content"),
            Part("user", _keyword(call, "messages"), "messages"),
        )  # fmt: skip

    def _google(self, call: ast.Call, scope: _Scope, key: str) -> CallSite:
        config = _keyword(call, "config")
        system: ast.expr | None = None
        if isinstance(config, ast.Call):
            system = _keyword(config, "system_instruction")
        elif isinstance(config, ast.Dict):
            system = _dict_fields(config).get("system_instruction")
        return self._read(
            call, scope, key, "google genai generate_content",
            self._model(_keyword(call, "model"), scope, "the call names no model"),
            Part("system", system, "content"),
            Part("user", _keyword(call, "contents"), "input"),
        )  # fmt: skip

    # -- LangChain -----------------------------------------------------------------------------

    def _langchain_invoke(self, call: ast.Call, scope: _Scope, key: str) -> CallSite | None:
        assert isinstance(call.func, ast.Attribute)
        named = _LLM_NAME.search(_dotted(call.func.value).split(".")[-1].lower())
        if not self.uses_langchain and not named:
            return None  # `.invoke` without LangChain: only on a receiver named as a model
        runnable = self._runnable(call.func.value, scope, 0)
        if runnable is None or not runnable.has_llm:
            receiver = _dotted(call.func.value).split(".")[-1].lower()
            given = self._follow(call.args[0], scope)[0] if call.args else None
            if not _LLM_NAME.search(receiver) and not _chat_messages(given):
                return None  # a chain or tool: `.invoke(dict)`; a chat model takes messages
            # a chat model handed in from elsewhere (`self.llm.ainvoke(messages)`): found, its
            # model known only at run time
            problem = f"the chat model is `{_dotted(call.func.value)}`, built at run time"
            runnable = _Runnable(model_problem=problem, has_llm=True)
        api = "langchain " + call.func.attr
        model = (runnable.model, runnable.model_problem)
        if runnable.messages is not None or not call.args:  # else the input is the prompt
            read = Assembled(list(runnable.messages or []), [], list(runnable.unread))
            return self._site(call, key, api, *model, read)
        read = assemble(self, scope, [Part("user", call.args[0], "input")])
        read.unread[:0] = runnable.unread
        return self._site(call, key, api, *model, read)

    def _runnable(self, expr: ast.expr, scope: _Scope, depth: int) -> _Runnable | None:
        """What a LangChain expression is: a chat model, a prompt, or a chain of them."""
        if depth > 30:
            return None
        if isinstance(expr, ast.Name):
            found = self._lookup(expr.id, scope)
            inner = None
            if found is not None and found[0] == "value" and found[1] is not None:
                inner = self._runnable(found[1], found[2], depth + 1)
            if inner is None and _LLM_NAME.search(expr.id.lower()):
                # a chat model handed in or built at run time (`model = provider.llm`)
                runtime = f"the chat model is `{expr.id}`, built at run time"
                return _Runnable(model_problem=runtime, has_llm=True)
            return inner
        if isinstance(expr, ast.Attribute) and _dotted(expr.value) == "self":
            attribute = scope.attribute(expr.attr)
            found_runnable = (
                self._runnable(attribute[0], attribute[1], depth + 1) if attribute else None
            )
            if found_runnable is not None and (found_runnable.model_problem or "").startswith(
                "the chat model is `"
            ):  # handed in through `self.x`: named as the call names it
                found_runnable.model_problem = (
                    f"the chat model is `self.{expr.attr}`, built at run time"
                )
            return found_runnable
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.BitOr):
            left = self._runnable(expr.left, scope, depth + 1)
            right = self._runnable(expr.right, scope, depth + 1)
            if left is None and right is None:
                return None
            merged = _Runnable()
            for part in (left, right):
                if part is None:
                    continue
                if merged.messages is None:
                    merged.messages = part.messages
                if part.has_llm and not merged.has_llm:
                    merged.has_llm = True
                    merged.model, merged.model_problem = part.model, part.model_problem
                merged.unread.extend(part.unread)
            return merged
        if not isinstance(expr, ast.Call):
            return None
        name = _dotted(expr.func)
        last = name.split(".")[-1]
        if isinstance(expr.func, ast.Attribute) and expr.func.attr in _WRAPPERS:
            return self._runnable(expr.func.value, scope, depth + 1)
        if last in _CHAT_CLASSES or name.endswith("init_chat_model"):
            given = _keyword(expr, "model", "model_name", "model_id")
            if given is None and expr.args and last == "init_chat_model":
                given = expr.args[0]
            model, problem = self._model(given, scope, f"{last}(…) names no model")
            return _Runnable(model=model, model_problem=problem, has_llm=True)
        if last in ("from_messages", "from_template", "PromptTemplate", "ChatPromptTemplate"):
            return self._prompt_template(expr, scope, last)
        return None

    def _prompt_template(self, expr: ast.Call, scope: _Scope, kind: str) -> _Runnable:
        unread: list[str] = []
        files: list[FileRead] = []
        given = (expr.args[0] if expr.args else None) or _keyword(expr, "messages", "template")
        if given is None:
            return _Runnable(messages=[], unread=["a prompt template without literal text"])
        if kind == "from_messages":
            try:
                raw = self.messages(given, scope, files, unread)
            except Unread as why:
                return _Runnable(messages=[], unread=[str(why)])
            messages = [self._as_template(m) for m in raw]
        else:
            message = self.message(given, scope, "user", files, unread)
            messages = [self._as_template(message)] if message else []
        if files:
            unread.append("a template read from a file is counted as that prompt file")
        return _Runnable(messages=messages, unread=unread)

    def _as_template(self, message: CodeMessage) -> CodeMessage:
        """A LangChain template's `{name}` are its variables; `{{` is a literal brace."""
        text = message.text
        if message.holes:  # an f-string inside a template: keep its holes as they are
            return message
        return self.holes.finish(
            message.role, self.holes.template(text, message.line, 0), message.line
        )


def _collect(body: list[ast.stmt], scope: _Scope) -> None:
    """Assignments in a body (not in nested functions or classes) into `scope`, and the
    functions and classes it defines."""
    for statement in body:
        if isinstance(statement, _Def):
            scope.defs[statement.name] = statement
        for node in _statements(statement):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    _bind(target, node.value, scope)
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                _bind(node.target, node.value, scope)
            elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
                previous = scope.values.get(node.target.id)
                if previous is not None and isinstance(node.op, ast.Add):
                    scope.values[node.target.id] = ast.BinOp(previous, ast.Add(), node.value)
            elif isinstance(node, ast.With | ast.AsyncWith):
                for item in node.items:
                    call = item.context_expr
                    if (
                        isinstance(call, ast.Call)
                        and _dotted(call.func) in ("open", "io.open", "codecs.open")
                        and call.args
                        and isinstance(item.optional_vars, ast.Name)
                    ):
                        scope.files[item.optional_vars.id] = call.args[0]


def _bind(target: ast.expr, value: ast.expr, scope: _Scope) -> None:
    if isinstance(target, ast.Name):
        scope.values[target.id] = value
    elif (
        isinstance(target, ast.Attribute)
        and isinstance(target.value, ast.Name)
        and target.value.id == "self"
    ):
        scope.attributes[target.attr] = value


# nodes that hold no call: not walked into (most of a tree's nodes are names and constants)
_LEAVES = (ast.Constant, ast.Name, ast.expr_context, ast.operator, ast.boolop, ast.cmpop,
           ast.unaryop, ast.alias, ast.arg)  # fmt: skip
_BLOCKS = ("body", "orelse", "finalbody", "handlers", "cases")


def _children(node: ast.AST) -> list[ast.AST]:
    """A node's children that may hold a call, in source order (`ast.iter_child_nodes` without
    the leaves, a third of the cost on real files)."""
    found: list[ast.AST] = []
    for name in node._fields:
        value = getattr(node, name, None)
        if isinstance(value, list):
            found.extend(v for v in value if isinstance(v, ast.AST) and not isinstance(v, _LEAVES))
        elif isinstance(value, ast.AST) and not isinstance(value, _LEAVES):
            found.append(value)
    return found


def _import_statements(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """The imports of a file at any depth (`def f(): from .prompts import X` too): statements
    only, their expressions are not walked."""
    found: list[ast.Import | ast.ImportFrom] = []
    stack: list[ast.AST] = list(reversed(tree.body))
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
            continue
        for name in _BLOCKS:
            block = getattr(node, name, None)
            if isinstance(block, list):
                stack.extend(reversed(block))
    return found


def _import_table(statements: list[ast.Import | ast.ImportFrom]) -> dict[str, ImportEntry]:
    """Every name the import statements bind: a module (name "") or a name from one."""
    table: dict[str, ImportEntry] = {}
    for node in statements:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:  # `import app.prompts as p`: p is the module
                    table[alias.asname] = (0, alias.name, "")
                else:  # `import app.prompts`: `app` is bound, `app.prompts.X` read through it
                    table[alias.name.split(".")[0]] = (0, alias.name.split(".")[0], "")
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if alias.name != "*":
                    table[alias.asname or alias.name] = (node.level, node.module or "", alias.name)
    return table


class _PythonModules:
    """Python's modules for the shared import follower (core/code/modules.py)."""

    language = "python"

    def candidates(self, importer: str, entry: ImportEntry) -> list[str]:
        return module_files(importer, entry[0], entry[1])

    def parse(self, rel: str, text: str) -> _Scope | None:
        """An imported module's names: its assignments, definitions and imports."""
        try:
            tree = parse_python(text)
        except (SyntaxError, RecursionError, MemoryError, ValueError):
            return None
        scope = _Scope(module=_Module(rel, _import_table(_import_statements(tree))))
        _collect(tree.body, scope)
        return scope

    def forwards(self, scope: _Scope, entry: ImportEntry) -> list[tuple[str, ImportEntry]]:
        """`from .prompts import SYSTEM` in an `__init__.py` re-exports SYSTEM."""
        assert scope.module is not None
        further = scope.module.imports.get(entry[2])
        return [(scope.module.path, further)] if further is not None and further[2] else []

    def name(self, entry: ImportEntry) -> str:
        return entry[2]


_RULES = _PythonModules()


def _statements(statement: ast.stmt) -> Iterator[ast.stmt]:
    """A statement and the statements nested in its blocks, not inside functions or classes."""
    stack = [statement]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        yield node
        for name in ("body", "orelse", "finalbody", "handlers"):
            children = getattr(node, name, None)
            if isinstance(children, list):
                stack.extend(c for c in reversed(children) if isinstance(c, ast.stmt))
        if isinstance(node, ast.Try | ast.TryStar):
            for handler in node.handlers:
                stack.extend(reversed(handler.body))
        if isinstance(node, ast.Match):
            for case in node.cases:
                stack.extend(reversed(case.body))


def _chat_messages(node: ast.expr | None) -> bool:
    """A literal list whose first element is a `{"role": …, "content": …}` dict."""
    if not isinstance(node, ast.List | ast.Tuple) or not node.elts:
        return False
    first = node.elts[0]
    return isinstance(first, ast.Dict) and {"role", "content"} <= set(_dict_fields(first))


def _dict_fields(node: ast.Dict) -> dict[str, ast.expr]:
    fields: dict[str, ast.expr] = {}
    for key, value in zip(node.keys, node.values, strict=True):
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            fields[key.value] = value
    return fields


def _literal(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _short(node: ast.AST, limit: int = 60) -> str:
    try:
        text = ast.unparse(node)
    except (RecursionError, ValueError):
        return "…"
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def scan_python(text: str, path: str = "", modules: ModuleSource | None = None) -> SourceScan:
    """Every LLM call site of a Python source text; a syntax error says where parsing stopped.
    With `modules`, constants imported from the workspace's modules are read too (`path`: the
    file's own workspace path, for relative imports)."""
    limit = sys.getrecursionlimit()
    try:
        tree = parse_python(text)
    except SyntaxError as error:
        line = error.lineno or 1
        return SourceScan("python", (), f"parsing stopped at line {line}: {error.msg}", line)
    except (RecursionError, MemoryError, ValueError) as error:
        what = "nested too deeply" if isinstance(error, RecursionError) else str(error)
        return SourceScan("python", (), f"cannot parse: {what}", 1)
    scanner = _FileScanner(tree, path, modules)
    try:
        calls = scanner.run()
    except RecursionError:
        return SourceScan("python", (), "the code is nested too deeply to scan", 1)
    finally:
        sys.setrecursionlimit(limit)
    return SourceScan("python", calls, deps=tuple(sorted(scanner.imported.deps.items())))
