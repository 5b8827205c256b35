"""OpenTelemetry spans -> ledger calls: one reader for span attributes (used by the
SpanProcessor, the OTLP/HTTP receiver and `actuals import`) and the OTLP JSON trace format.

Only spans with `gen_ai.usage.*` become calls. The key is `gen_ai.response.id` when present,
so the Anthropic SDK's own span and an instrumentation's span of the same call count once;
else the span's trace and span ids, so importing a file twice adds nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from llmcost_lsp.core.errors import Location
from llmcost_lsp.core.ledger.price import Pricer
from llmcost_lsp.core.ledger.rows import CallRow, day_of, make_row
from llmcost_lsp.core.ledger.store import SqlStore
from llmcost_lsp.core.ledger.usage import Usage, UsageError, has_genai_usage, normalise_otel

PROMPT_ATTRIBUTES = ("gen_ai.prompt.name", "llm_cost.prompt_id")
USER_ATTRIBUTES = ("user.id", "enduser.id")
SESSION_ATTRIBUTES = ("gen_ai.conversation.id", "session.id")
PROJECT_ATTRIBUTES = ("llm_cost.project",)
TAG_PREFIX = "llm_cost.tag."


class OtlpError(UsageError):
    default_code = "bad-otlp"


@dataclass(frozen=True, slots=True)
class SpanCall:
    """A call read from a span, ready to price."""

    usage: Usage
    key: str
    ts: int  # microseconds
    prompt_id: str | None
    user_id: str | None
    session_id: str | None
    project: str | None
    tags: dict[str, str]


def _first(attributes: Mapping[str, Any], names: Iterable[str]) -> str | None:
    for name in names:
        value = attributes.get(name)
        if isinstance(value, str) and value:
            return value
    return None


def span_call(
    attributes: Mapping[str, Any],
    *,
    end_ns: int | None,
    span_key: str,
    prompt_attribute: str | None = None,
) -> SpanCall | None:
    """The call a span describes, or None when it carries no usage. Raises UsageError for
    impossible counts."""
    if not has_genai_usage(attributes):
        return None
    usage = normalise_otel(attributes)
    prompt_names = (prompt_attribute, *PROMPT_ATTRIBUTES) if prompt_attribute else PROMPT_ATTRIBUTES
    tags = {
        name[len(TAG_PREFIX) :]: str(value)
        for name, value in attributes.items()
        if name.startswith(TAG_PREFIX)
    }
    return SpanCall(
        usage=usage,
        key=usage.response_id or span_key,
        ts=(end_ns or 0) // 1000,
        prompt_id=_first(attributes, prompt_names),
        user_id=_first(attributes, USER_ATTRIBUTES),
        session_id=_first(attributes, SESSION_ATTRIBUTES),
        project=_first(attributes, PROJECT_ATTRIBUTES),
        tags=tags,
    )


@dataclass(slots=True)  # not frozen: a frozen dataclass is slower to build on the app's thread
class SpanUsage:
    """A finished span's attributes, handed to the recorder as they are: the writer thread
    reads them (`span_call`), so the span processor adds almost nothing to the app's span."""

    attributes: Mapping[str, Any]
    end_ns: int | None
    # a span key, or (trace id, span id), or the span's SpanContext: formatted on the writer
    ids: Any
    prompt_attribute: str | None = None

    @property
    def span_key(self) -> str:
        if isinstance(self.ids, str):
            return self.ids
        trace_id = getattr(self.ids, "trace_id", None)
        span_id = getattr(self.ids, "span_id", None)
        if trace_id is None or span_id is None:
            trace_id, span_id = self.ids
        return f"span:{trace_id:032x}:{span_id:016x}"

    def call(self) -> SpanCall | None:
        return span_call(
            self.attributes,
            end_ns=self.end_ns,
            span_key=self.span_key,
            prompt_attribute=self.prompt_attribute,
        )


def call_row(call: SpanCall, pricer: Pricer, source: str) -> CallRow:
    price = pricer.price(call.usage, date.fromisoformat(day_of(call.ts)))
    return make_row(
        call.usage,
        price,
        request_key=call.key,
        ts=call.ts,
        price_db=pricer.version,
        prompt_id=call.prompt_id,
        project=call.project,
        user_id=call.user_id,
        session_id=call.session_id,
        tags=call.tags or None,
        source=source,
    )


# ---------------------------------------------------------------------------------------------
# OTLP JSON (ExportTraceServiceRequest, as the protobuf JSON mapping writes it)


def _any_value(value: Any) -> Any:
    if not isinstance(value, Mapping):
        return None
    for kind in ("stringValue", "boolValue", "doubleValue"):
        if kind in value:
            return value[kind]
    if "intValue" in value:
        raw = value["intValue"]  # int64 is a JSON string in the protobuf mapping
        try:
            return int(raw)
        except (TypeError, ValueError):
            raise OtlpError(f"intValue {raw!r} is not an integer") from None
    if "arrayValue" in value:
        items = (
            value["arrayValue"].get("values", [])
            if isinstance(value["arrayValue"], Mapping)
            else []
        )
        return [_any_value(item) for item in items]
    return None


def attributes_of(items: Any) -> dict[str, Any]:
    if items is None:
        return {}
    if not isinstance(items, list):
        raise OtlpError("attributes must be a list of {key, value}")
    found: dict[str, Any] = {}
    for item in items:
        if not isinstance(item, Mapping) or not isinstance(item.get("key"), str):
            raise OtlpError("an attribute has no key")
        found[item["key"]] = _any_value(item.get("value"))
    return found


def _list(data: Mapping[str, Any], *names: str) -> list[Any]:
    for name in names:
        value = data.get(name)
        if value is not None:
            if not isinstance(value, list):
                raise OtlpError(f"{name} must be a list")
            return value
    return []


def spans_of_request(
    request: Any, prompt_attribute: str | None = None
) -> Iterator[SpanCall | UsageError]:
    """Every usage-carrying span of one ExportTraceServiceRequest (camelCase or snake_case),
    or the error of a span whose usage is impossible."""
    if not isinstance(request, Mapping):
        raise OtlpError("not an OTLP trace request: expected a JSON object with resourceSpans")
    resource_spans = _list(request, "resourceSpans", "resource_spans")
    if not resource_spans and not any(k in request for k in ("resourceSpans", "resource_spans")):
        raise OtlpError("not an OTLP trace request: no resourceSpans")
    for resource_span in resource_spans:
        if not isinstance(resource_span, Mapping):
            raise OtlpError("a resourceSpans entry is not an object")
        resource = resource_span.get("resource") or {}
        base = attributes_of(resource.get("attributes") if isinstance(resource, Mapping) else None)
        for scope_span in _list(resource_span, "scopeSpans", "scope_spans"):
            if not isinstance(scope_span, Mapping):
                raise OtlpError("a scopeSpans entry is not an object")
            for span in _list(scope_span, "spans"):
                if not isinstance(span, Mapping):
                    raise OtlpError("a span is not an object")
                attributes = {**base, **attributes_of(span.get("attributes"))}
                trace = span.get("traceId") or span.get("trace_id") or ""
                span_id = span.get("spanId") or span.get("span_id") or ""
                end = span.get("endTimeUnixNano") or span.get("end_time_unix_nano")
                try:
                    call = span_call(
                        attributes,
                        end_ns=int(end) if end is not None else None,
                        span_key=f"span:{trace}:{span_id}",
                        prompt_attribute=prompt_attribute,
                    )
                except (UsageError, ValueError) as error:
                    yield error if isinstance(error, UsageError) else OtlpError(str(error))
                    continue
                if call is not None:
                    yield call


@dataclass
class ImportResult:
    spans: int = 0
    inserted: int = 0
    duplicates: int = 0
    rejected: int = 0
    first_problem: str | None = None


def import_otlp_file(
    path: Path,
    store: SqlStore,
    pricer: Pricer,
    *,
    prompt_attribute: str | None = None,
    batch: int = 2000,
    project: str | None = None,
) -> ImportResult:
    """Import an OTLP JSON file: one request, or one request per line (the Collector's file
    exporter). A line that is not OTLP JSON raises a located error before anything is written
    for it; spans with impossible usage are counted in `rejected`. `project` is the project of
    spans that name none (`llm_cost.project`)."""
    result = ImportResult()
    pending: list[CallRow] = []

    def flush() -> None:
        written = store.write(pending)
        result.inserted += written.inserted
        result.duplicates += written.duplicates
        pending.clear()

    for line_number, request in _requests(path):
        try:
            spans = list(spans_of_request(request, prompt_attribute))
        except OtlpError as error:
            raise OtlpError(error.message, location=Location(str(path), line_number)) from None
        for item in spans:
            if isinstance(item, UsageError):
                result.rejected += 1
                result.first_problem = result.first_problem or f"line {line_number}: {item.message}"
                continue
            result.spans += 1
            if project and not item.project:
                item = replace(item, project=project)
            pending.append(call_row(item, pricer, "otlp-file"))
            if len(pending) >= batch:
                flush()
    flush()
    return result


def _requests(path: Path) -> Iterator[tuple[int, Any]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise OtlpError(f"cannot read {path}: {error}", location=Location(str(path))) from None
    try:
        yield 1, json.loads(text)
        return
    except json.JSONDecodeError:
        pass
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as error:
            raise OtlpError(
                f"not OTLP JSON: {error.msg}", location=Location(str(path), number, error.colno)
            ) from None
