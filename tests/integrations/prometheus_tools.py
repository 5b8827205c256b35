"""Real Prometheus for the tests: find Debian's prometheus/promtool (extracted by
install_prometheus.sh), run a server scraping an exporter, and feed promtool the exporter's
own output to see which alerts fire.

`promtool_alerts(scrapes, eval_at=..., expect=...)` is the helper an end-to-end test uses:
`scrapes` are exposition texts taken one `interval_s` apart (e.g. `Exporter.render(now)` after
each step), `expect` maps an alert name to the label sets that must be firing at `eval_at`
(an index into `scrapes`); it runs `promtool test rules` with deploy/prometheus's rules and
returns the finished process (returncode 0: promtool agreed). Annotations are left out of the
comparison (their text depends on exact values); the expressions, `for` and labels are the
shipped ones.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from .conftest import _missing, require
from .processes import spawn, stop

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy" / "prometheus" / "llm-cost-rules.yml"
INSTALLER = Path(__file__).with_name("install_prometheus.sh")


def prometheus_bin() -> Path:
    """The folder with prometheus and promtool: LLMCOST_PROMETHEUS_BIN, the installer's cache,
    else PATH. Skips without them (fails under CI=true: .ci/run installs them)."""
    named = os.environ.get("LLMCOST_PROMETHEUS_BIN")
    if named:
        return Path(named)
    found = subprocess.run(["bash", str(INSTALLER), "--check"], capture_output=True, text=True)
    if found.returncode == 0:
        return Path(found.stdout.strip().splitlines()[-1])
    from shutil import which

    on_path = which("promtool")
    if on_path and which("prometheus"):
        return Path(on_path).parent
    _missing(f"Prometheus is not installed ({found.stderr.strip()})")
    raise AssertionError  # unreachable: _missing skips or fails


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _series_name(name: str, labels: Mapping[str, str]) -> str:
    if not labels:
        return name
    pairs = ",".join(
        '{}="{}"'.format(key, value.replace("\\", "\\\\").replace('"', '\\"'))
        for key, value in sorted(labels.items())
    )
    return f"{name}{{{pairs}}}"


def input_series(scrapes: Sequence[str]) -> list[dict[str, str]]:
    """promtool input_series from exposition texts, one sample per scrape ('_' when absent);
    read with prometheus_client's parser, the real client's reading of our format."""
    require("prometheus_client")
    from prometheus_client.parser import text_string_to_metric_families

    values: dict[str, list[str]] = {}
    for index, text in enumerate(scrapes):
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                key = _series_name(sample.name, sample.labels)
                values.setdefault(key, ["_"] * len(scrapes))[index] = repr(float(sample.value))
    return [{"series": key, "values": " ".join(found)} for key, found in sorted(values.items())]


def promtool_alerts(
    scrapes: Sequence[str],
    *,
    eval_at: int,
    expect: Mapping[str, Sequence[Mapping[str, str]]],
    interval_s: int = 60,
    rules: Path = RULES,
    folder: Path,
) -> subprocess.CompletedProcess[str]:
    """Run promtool on the rules with `scrapes` as the input series; `expect[alert]` lists
    the label sets firing at scrape index `eval_at` ([] = must not fire)."""
    loaded = yaml.safe_load(rules.read_text())
    for group in loaded["groups"]:
        for rule in group["rules"]:
            rule.pop("annotations", None)
    rules_file = folder / "rules.yml"
    rules_file.write_text(yaml.safe_dump(loaded))
    test = {
        "rule_files": [str(rules_file)],
        "evaluation_interval": f"{interval_s}s",
        "tests": [
            {
                "interval": f"{interval_s}s",
                "input_series": input_series(scrapes),
                "alert_rule_test": [
                    {
                        "eval_time": f"{eval_at * interval_s}s",
                        "alertname": name,
                        "exp_alerts": [{"exp_labels": dict(labels)} for labels in fired],
                    }
                    for name, fired in expect.items()
                ],
            }
        ],
    }
    test_file = folder / "test.yml"
    test_file.write_text(yaml.safe_dump(test))
    return subprocess.run(
        [str(prometheus_bin() / "promtool"), "test", "rules", str(test_file)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


@contextmanager
def running_prometheus(target: str, folder: Path, *, rules: Path = RULES) -> Iterator[str]:
    """A Prometheus on 127.0.0.1 scraping `target` (host:port) every second and evaluating
    the rules every second; yields its base URL."""
    port = free_port()
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "prometheus.yml"
    config.write_text(
        yaml.safe_dump(
            {
                "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
                "rule_files": [str(rules)],
                "scrape_configs": [
                    {"job_name": "llm-cost", "static_configs": [{"targets": [target]}]}
                ],
            }
        )
    )
    log = (folder / "prometheus.log").open("w")
    process = spawn(
        [str(prometheus_bin() / "prometheus"), f"--config.file={config}",
         f"--storage.tsdb.path={folder / 'data'}", f"--web.listen-address=127.0.0.1:{port}"],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{url}/-/ready", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                time.sleep(0.2)
        else:
            raise AssertionError(
                f"Prometheus did not start: {(folder / 'prometheus.log').read_text()}"
            )
        yield url
    finally:
        try:
            stop(process)
        finally:
            log.close()


def query(url: str, promql: str) -> list[dict[str, Any]]:
    """An instant query through the HTTP API; raises with Prometheus's error."""
    address = f"{url}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
    try:
        with urllib.request.urlopen(address, timeout=10) as answer:
            body = json.loads(answer.read())
    except urllib.error.HTTPError as error:
        raise AssertionError(f"{promql}: {error.read().decode()}") from None
    assert body["status"] == "success", body
    return list(body["data"]["result"])
