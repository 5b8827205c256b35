from __future__ import annotations

import itertools
import json
from decimal import Decimal
from pathlib import Path

import pytest

from llmcost_lsp.core.errors import ManifestError
from llmcost_lsp.core.manifest import (
    DEFAULT_INCLUDE,
    ManifestSchemaError,
    analyze_manifest,
    load_manifest,
    parse_manifest,
)

REPO = Path(__file__).resolve().parents[3]


def errors_of(text: str) -> list[str]:
    return [f"{i.location}: {i.message}" for i in analyze_manifest(text).errors]


def test_example_manifest_is_valid_and_typed() -> None:
    manifest = load_manifest(REPO / "examples/llm-cost.toml", display_path="llm-cost.toml")
    search = manifest.prompts["search/answer"]
    assert search.budget_monthly_usd == Decimal("2500")
    assert search.variables["passages"].tokens == 1800
    assert manifest.prompts["support/triage"].variables["history"].sample == (
        "fixtures/ticket_history.txt"
    )
    assert manifest.scenarios["launch"].calls_multiplier == Decimal(3)
    assert manifest.scenarios["launch"].cache_hit_ratio is None  # never a default ratio
    assert manifest.scenarios["nightly"].effective_mode == "batch"
    assert manifest.budgets.tags == {"team": {"search": Decimal(3000), "support": Decimal(450)}}
    assert manifest.pricing.overrides["gpt-4o"].input == Decimal("2.00")
    assert manifest.rules[0].suggest == ("gpt-4o-mini", "claude-haiku-4-5")


def test_empty_manifest_uses_documented_defaults() -> None:
    manifest = parse_manifest("")
    assert manifest.discovery.include == DEFAULT_INCLUDE
    assert manifest.defaults.calls_per_month is None
    assert manifest.defaults.output_tokens is None


def test_money_float_goes_through_its_repr_not_binary_math() -> None:
    manifest = parse_manifest("[budgets]\nmonthly_usd = 0.1\nmax_cost_per_call_usd = '0.30'\n")
    assert manifest.budgets.monthly_usd == Decimal("0.1")
    assert manifest.budgets.max_cost_per_call_usd == Decimal("0.30")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("true", "must be a number or a decimal string, not true/false"),
        ('"ten"', "'ten' is not a decimal number"),
        ('"-5"', "must be ≥ 0"),
        ("nan", "must be a finite number"),
    ],
)
def test_bad_money_is_located(value: str, message: str) -> None:
    [error] = errors_of(f"[budgets]\n\nmonthly_usd = {value}\n")
    assert error.startswith("llm-cost.toml:3:1: budgets.monthly_usd ")
    assert message in error


def test_schema_error_points_at_the_key_line_and_column() -> None:
    text = (
        "[defaults]\nmodel = 'gpt-4o'\n\n"
        "[prompts.search]\npath = 'src/prompts/search.txt'\ncalls_per_month = -1\n"
    )
    assert errors_of(text) == ["llm-cost.toml:6:1: prompts.search.calls_per_month must be ≥ 0"]


def test_errors_inside_inline_tables_dotted_keys_and_arrays_of_tables() -> None:
    text = (
        "[prompts.a]\n"
        "variables = { q = 40, ctx = { tokens = -2 } }\n"
        "tags.team = 5\n"
        "[[rules]]\nwhen_over_budget = '*'\nsuggest = ['x']\n"
        "[[rules]]\nwhen_over_budget = 'a'\nsuggest = []\n"
        '[pricing.overrides."gpt-4.1"]\n'
        "input = 'cheap'\n"
    )
    assert errors_of(text) == [
        "llm-cost.toml:2:31: prompts.a.variables.ctx.tokens must be ≥ 0",
        "llm-cost.toml:3:1: prompts.a.tags.team must be a string",
        "llm-cost.toml:9:1: rules[1].suggest must not be empty",
        "llm-cost.toml:11:1: pricing.overrides.\"gpt-4.1\".input 'cheap' is not a decimal number "
        'such as "12.50"',
    ]


def test_typo_in_a_key_is_an_error_with_did_you_mean() -> None:
    analysis = analyze_manifest("[prompts.search]\npath = 'a.txt'\ncalls_per_mnth = 100\n")
    [issue] = analysis.errors
    assert issue.code == "unknown-key"
    assert str(issue.location) == "llm-cost.toml:3:1"
    assert issue.message == "unknown key 'calls_per_mnth' in [prompts.search]"
    assert issue.hint == "did you mean 'calls_per_month'?"


def test_unknown_top_level_table_lists_known_keys() -> None:
    [issue] = analyze_manifest("[budget]\nmonthly_usd = '1'\n").errors
    assert issue.hint == "did you mean 'budgets'?"


def test_toml_syntax_error_has_line_and_column() -> None:
    [issue] = analyze_manifest("[defaults]\nmodel = = 'gpt-4o'\n").errors
    assert issue.code == "toml-syntax"
    assert (issue.location.line, issue.location.column) == (2, 9)
    assert issue.message == "TOML syntax error: Invalid value"


def test_unterminated_string_points_at_the_end_of_the_file() -> None:
    [issue] = analyze_manifest("[defaults]\nmodel = 'gpt-4o").errors
    assert (issue.location.line, issue.location.column) == (2, 16)
    assert issue.message.endswith("at the end of the file")


def test_duplicate_table_is_a_syntax_error_with_its_line() -> None:
    [issue] = analyze_manifest("[prompts.a]\npath='x'\n[prompts.a]\npath='y'\n").errors
    assert issue.location.line == 3


def test_parse_manifest_raises_with_every_issue_listed() -> None:
    with pytest.raises(ManifestSchemaError) as info:
        parse_manifest(
            "[defaults]\ncalls_per_month = -1\noutput_tokens = 'x'\n", "conf/llm-cost.toml"
        )
    error = info.value
    assert isinstance(error, ManifestError) and error.exit_code == 2
    assert str(error).splitlines() == [
        "conf/llm-cost.toml:2:1: defaults.calls_per_month must be ≥ 0",
        "conf/llm-cost.toml:3:1: defaults.output_tokens must be a whole number",
    ]


def test_variables_take_tokens_or_a_sample_never_both() -> None:
    manifest = parse_manifest(
        "[prompts.a]\nvariables = { n = 5, t = { tokens = 7 }, s = { sample = 'f.txt' } }\n"
    )
    variables = manifest.prompts["a"].variables
    assert (variables["n"].tokens, variables["t"].tokens, variables["s"].sample) == (5, 7, "f.txt")
    [error] = errors_of("[prompts.a]\nvariables = { x = { tokens = 1, sample = 'f' } }\n")
    assert "needs exactly one of `tokens` or `sample`" in error


def test_scenarios() -> None:
    manifest = parse_manifest(
        "[scenarios.a]\ncache_hit_ratio = 0.5\ncache_ttl = '1h'\n[scenarios.b]\nbatch = true\n"
    )
    assert manifest.scenarios["a"].cache_hit_ratio == Decimal("0.5")
    assert manifest.scenarios["a"].effective_mode == "standard"
    assert manifest.scenarios["b"].effective_mode == "batch"
    assert errors_of("[scenarios.a]\ncache_hit_ratio = 1.5\n") == [
        "llm-cost.toml:2:1: scenarios.a.cache_hit_ratio must be ≤ 1"
    ]
    assert "must be one of '5m' or '1h'" in errors_of("[scenarios.a]\ncache_ttl = '10m'\n")[0]
    assert "contradicts" in errors_of("[scenarios.a]\nbatch = true\nmode = 'flex'\n")[0]
    assert errors_of("[scenarios.a]\ncache_hit_ratio = 0.7\ncache_write_ratio = '0.4'\n") == [
        "llm-cost.toml:1:1: scenarios.a cache_hit_ratio + cache_write_ratio is 1.1, more than 1"
    ]


def test_unknown_scenario_reference_suggests_the_close_one() -> None:
    [issue] = analyze_manifest("[defaults]\nscenario = 'lanch'\n[scenarios.launch]\n").errors
    assert issue.location.line == 2
    assert issue.hint == "did you mean 'launch'?"


def test_tag_budgets_accept_both_shapes() -> None:
    nested = parse_manifest("[budgets.tags.team]\nsearch = '800'\n")
    dotted = parse_manifest("[budgets]\ntags = { team.search = '800' }\n")
    quoted = parse_manifest('[budgets]\ntags = { "team.search" = 800 }\n')
    assert nested.budgets.tags == dotted.budgets.tags == quoted.budgets.tags
    assert nested.budgets.tags == {"team": {"search": Decimal(800)}}


def test_location_of_points_at_tables_and_keys() -> None:
    text = "# head\n[defaults]\nmodel = 'x'\n\n[prompts.search]\npath = 'a.txt'\nmodel = 'gpt-4o'\n"
    manifest = parse_manifest(text)
    assert str(manifest.location_of("prompts", "search")) == "llm-cost.toml:5:1"
    assert str(manifest.location_of("prompts", "search", "model")) == "llm-cost.toml:7:1"
    # not written: the nearest written parent
    assert str(manifest.location_of("prompts", "search", "tags")) == "llm-cost.toml:5:1"
    assert str(manifest.location_of("budgets")) == "llm-cost.toml"


def test_blank_prompt_id_is_rejected() -> None:
    assert "must not be blank" in errors_of('[prompts." "]\npath = "a"\n')[0]


def test_json_schema_file_is_current() -> None:
    from llmcost_lsp.core.manifest.json_schema import editor_schema
    from llmcost_lsp.core.pricing.db import load_price_db

    published = json.loads((REPO / "docs/schema/llm-cost.schema.json").read_text())
    assert published == editor_schema(load_price_db()), "run: python docs/schema/generate.py"


def test_issue_locations_carry_the_key_range_for_editors() -> None:
    [issue] = analyze_manifest("[prompts.search]\n  calls_per_month = -3\n").errors
    location = issue.location
    assert (location.line, location.column, location.end_line, location.end_column) == (2, 3, 2, 18)


def test_example_manifest_validates_against_the_published_schema() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    import tomllib

    schema = json.loads((REPO / "docs/schema/llm-cost.schema.json").read_text())
    example = tomllib.loads((REPO / "examples/llm-cost.toml").read_text())
    jsonschema.validate(example, schema)  # includes `query = 40` shorthand and tag budgets
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"defaults": {"calls_per_mnth": 1}}, schema)


# -- the schema editors use (core/manifest/json_schema.py) ------------------------------------


def _tables(schema: dict) -> dict[str, dict]:
    from llmcost_lsp.core.manifest.json_schema import _properties

    found = {
        name: _properties(table)
        for name, table in schema["$defs"].items()
        if "properties" in table or "anyOf" in table  # tables, not ModelId
    }
    return {"Manifest": schema["properties"], **found}


def test_every_key_of_the_published_schema_has_a_description() -> None:
    schema = json.loads((REPO / "docs/schema/llm-cost.schema.json").read_text())
    missing = [
        f"{table}.{key}"
        for table, keys in _tables(schema).items()
        for key, spec in keys.items()
        if not spec.get("description")
    ]
    assert missing == []
    assert "null" not in json.dumps(schema), "TOML has no null: optional keys are left out"
    assert schema["$id"].endswith("/docs/schema/llm-cost.schema.json")  # SchemaStore's url


def test_the_schema_offers_the_price_dbs_model_ids_and_bounds_ratios() -> None:
    from llmcost_lsp.core.manifest.json_schema import editor_schema
    from llmcost_lsp.core.pricing.db import load_price_db

    db = load_price_db()
    schema = editor_schema(db)
    tables = _tables(schema)
    examples = schema["$defs"]["ModelId"]["examples"]
    assert "gpt-4o" in examples and set(examples) <= {m.id for m in db.models()}
    for spec in (tables["PromptEntry"]["model"], tables["Defaults"]["model"]):
        assert spec["$ref"] == "#/$defs/ModelId" and spec["description"]
    assert tables["Rule"]["suggest"]["items"] == {"$ref": "#/$defs/ModelId"}
    ratio = tables["Scenario"]["cache_hit_ratio"]
    assert ratio["maximum"] == 1 and ratio["minimum"] == 0


def test_init_writes_the_schema_directive_first() -> None:
    from llmcost_lsp.core.init import HEADER
    from llmcost_lsp.core.manifest.json_schema import SCHEMA_DIRECTIVE, SCHEMA_ID

    assert HEADER.splitlines()[0] == SCHEMA_DIRECTIVE == f"#:schema {SCHEMA_ID}"


def test_the_vscode_extension_associates_the_schema_for_even_better_toml() -> None:
    package = json.loads((REPO / "editors/vscode/package.json").read_text())
    [entry] = package["contributes"]["tomlValidation"]
    assert entry == {"fileMatch": "llm-cost.toml", "url": "./schema/llm-cost.schema.json"}
    build = (REPO / "editors/vscode/esbuild.mjs").read_text()
    assert "docs/schema/llm-cost.schema.json" in build  # copied into the .vsix at build
    assert "!schema/llm-cost.schema.json" in (REPO / "editors/vscode/.vscodeignore").read_text()


PLANTED = """\
#:schema {schema}

[defaults]
calls_per_mnth = 1000

[prompts.answer]
path = "prompts/answer.prompt"
model = "gpt-4o"
output_tokens = -5
calls_per_month = "lots"
budget_monthly_usd = "12,50"

[scenarios.cached]
cache_hit_ratio = 1.5
"""


def test_taplo_finds_five_planted_errors_each_at_its_line(tmp_path: Path) -> None:
    """What Even Better TOML (taplo) shows a user: every planted error, located, and said
    specifically (no "not valid under any of the schemas listed in the 'anyOf' keyword")."""
    import os
    import shutil
    import subprocess

    taplo = shutil.which("taplo")
    if taplo is None:
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail("taplo is not installed (pip install taplo; .ci/run installs it)")
        pytest.skip("taplo is not installed: pip install taplo")
    manifest = tmp_path / "llm-cost.toml"
    schema = REPO / "docs/schema/llm-cost.schema.json"
    manifest.write_text(PLANTED.format(schema=schema))
    done = subprocess.run(
        [taplo, "lint", "--no-auto-config", str(manifest)],
        capture_output=True, text=True, timeout=60, check=False,
        env={**os.environ, "NO_COLOR": "1", "RUST_LOG": "error"},
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    found: dict[int, set[str]] = {}
    lines = done.stderr.splitlines()
    for message, where in itertools.pairwise(lines):
        if message.startswith("error: ") and "llm-cost.toml:" in where:
            line = int(where.rsplit("llm-cost.toml:", 1)[1].split(":")[0])
            found.setdefault(line, set()).add(message.removeprefix("error: "))
    planted = {4: "calls_per_mnth", 9: "minimum of 0", 10: "not of type", 11: "does not match"}
    planted[14] = "greater than the maximum of 1"
    for line, words in planted.items():
        assert any(words in m for m in found.get(line, set())), (line, found)
    assert "anyOf" not in done.stderr
