"""A workspace with budgets for the guard tests, and a worker process racing for one budget.

`python tests/guard_race.py ROOT LEDGER OUT` runs one racer: it guards calls of `answer` until
it is refused `--refusals` times in a row, settles each allowed call with usage that costs
exactly its estimate (after holding the reservation a moment, as a real call would), and
writes how many calls it made to OUT. Many of them run at once against one ledger.
"""

from __future__ import annotations

import json
import random
import sys
import time
from pathlib import Path

MANIFEST = """\
[defaults]
calls_per_month = 1000
output_tokens = 200

[prompts.answer]
path = "prompts/answer.txt"
model = "gpt-4o"
budget_monthly_usd = "{budget}"
tags = {{ team = "search" }}

[prompts.other]
path = "prompts/other.txt"
model = "gpt-4o"
tags = {{ team = "search" }}

[budgets]
monthly_usd = "{workspace}"
tags.team.search = "{team}"

[[rules]]
when_over_budget = "answer"
suggest = ["claude-opus-4-1", "gpt-4o-mini"]
{actuals}"""


def write_workspace(
    root: Path,
    *,
    budget: str = "0.05",
    workspace: str = "100",
    team: str = "50",
    actuals: str = "",
) -> Path:
    (root / "prompts").mkdir(parents=True, exist_ok=True)
    (root / "prompts" / "answer.txt").write_text(
        "Answer the question using the passages. " * 50, encoding="utf-8"
    )
    (root / "prompts" / "other.txt").write_text("Say hello. " * 20, encoding="utf-8")
    set_budget(root, budget=budget, workspace=workspace, team=team, actuals=actuals)
    return root


def set_budget(
    root: Path, *, budget: str, workspace: str = "100", team: str = "50", actuals: str = ""
) -> None:
    """Write the manifest (an edit changes its size or time, which a guard notices)."""
    text = MANIFEST.format(budget=budget, workspace=workspace, team=team, actuals=actuals)
    (root / "llm-cost.toml").write_text(text, encoding="utf-8")


def exact_usage(root: Path, prompt_id: str = "answer") -> dict[str, int]:
    """OpenAI-shaped usage whose cost is exactly the prompt's per-call estimate on gpt-4o."""
    from llmcost_lsp.core.workspace import Workspace

    workspace = Workspace(root)
    workspace.load()
    estimate = workspace.result(prompt_id).estimate
    assert estimate is not None and estimate.output_tokens is not None
    output = estimate.output_tokens.value
    return {"prompt_tokens": estimate.input_tokens.tokens, "completion_tokens": output}


def race(root: Path, ledger: str, out: Path, refusals: int) -> None:
    from llmcost_lsp.core.ledger.api import make_guard

    guard = make_guard(root, ledger)
    usage = exact_usage(root)
    made = refused = 0
    rng = random.Random()
    while refused < refusals:
        decision = guard.check("answer")
        if not decision.allowed:
            refused += 1
            time.sleep(0.001)
            continue
        assert decision.checked, decision.reason
        refused = 0
        time.sleep(rng.random() * 0.002)  # the call is in flight, holding its reservation
        assert decision.settle(usage, model="gpt-4o"), guard.last_error
        made += 1
    guard.close()
    out.write_text(json.dumps({"made": made}), encoding="utf-8")


if __name__ == "__main__":
    race(Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3]), int(sys.argv[4]))
