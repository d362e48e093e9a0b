"""Miroir under a real Prometheus, on loopback.

One module-wide set-up: three test nodes and one Miroir (embedded SQLite
store, metrics listener) started with the e2e harness, and Debian's
`prometheus` scraping it every second with the alerting rules loaded
(charts/miroir/files/miroir-rules.yaml, job "miroir": RF 1, one instance).
Everything listens on 127.0.0.1 and is stopped, and its directory removed,
when the module ends.

The tests run in order: while the cluster is whole, a scrape is lint-clean
(`promtool check metrics`), Prometheus stores series and answers queries
about them, every rule loads and evaluates, every dashboard query is valid
PromQL that returns data, and the chart's readiness probe passes; then one
node is killed, and the alert expressions name it, MiroirNodeDown and
MiroirShardNotCovered go pending, the degraded search is counted, and the
readiness probe fails.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import requests
import yaml

import miroir_metrics as mm

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
RULES = REPO / "charts/miroir/files/miroir-rules.yaml"
DASHBOARD = REPO / "deploy/grafana/miroir-dashboard.json"
JOB = "miroir"
UID = "books"

# Missing pieces fail, with what to run, rather than skip: a deploy check
# that silently did not run would read as a pass.
if mm.binaries(REPO) is None:
    pytest.fail("miroir and miroir-testnode are not built: run scripts/build.sh release",
                pytrace=False)
if shutil.which("prometheus") is None or shutil.which("promtool") is None:
    pytest.fail("Debian's prometheus package is not installed: run scripts/setup.sh",
                pytrace=False)

from harness import DEGRADED_HEADER, MiroirCluster, TopologySpec, free_port  # noqa: E402


def wait_until(what: str, check, timeout: float = 20.0, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = check()
            if last:
                return last
        except requests.RequestException as exc:
            last = exc
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


class Prometheus:
    """Debian's prometheus on 127.0.0.1 scraping one target every second."""

    def __init__(self, workdir: Path, target: str, rule_files: list[Path]) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": [str(p) for p in rule_files],
            "scrape_configs": [{"job_name": JOB, "static_configs": [{"targets": [target]}]}],
        }
        self.config_path = workdir / "prometheus.yml"
        self.config_path.write_text(yaml.safe_dump(config))
        self.log_path = workdir / "prometheus.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                ["prometheus", f"--config.file={self.config_path}",
                 f"--storage.tsdb.path={self.workdir / 'data'}",
                 f"--web.listen-address=127.0.0.1:{self.port}",
                 "--storage.tsdb.retention.time=1h", "--log.level=warn"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)
        wait_until("prometheus ready", lambda: self.proc.poll() is None and
                   requests.get(f"{self.url}/-/ready", timeout=1).status_code == 200)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)

    def api(self, path: str, **params) -> dict:
        resp = requests.get(f"{self.url}/api/v1/{path}", params=params, timeout=10)
        body = resp.json()
        assert body.get("status") == "success", f"{path} {params}: {resp.status_code} {body}"
        return body["data"]

    def query(self, expr: str) -> list[dict]:
        return self.api("query", query=expr)["result"]

    def log_tail(self) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-20:])


@pytest.fixture(scope="module")
def env():
    with tempfile.TemporaryDirectory(prefix="miroir-deploy-live-") as tmp:
        work = Path(tmp)
        metrics_port = free_port()
        # Anti-entropy on (no pass due), so its dashboard panels have series.
        cluster = MiroirCluster(work / "cluster", TopologySpec(groups=(3,), replication_factor=1, shards=16),
                                miroir_overrides={"listen": {"metrics_port": metrics_port},
                                                  "anti_entropy": {"enabled": True,
                                                                   "schedule": "1h"}})
        prom = Prometheus(work, f"127.0.0.1:{metrics_port}", [RULES])
        try:
            cluster.start()
            client = cluster.client()
            client.create_index(UID, {"primaryKey": "id"})
            task = client.index(UID).add_documents(
                [{"id": i, "title": f"book {i}", "genre": ["a", "b"][i % 2]} for i in range(200)])
            client.wait_for_task(task.task_uid, timeout_in_ms=20000)
            for q in ("book", "1", ""):
                client.index(UID).search(q)
            prom.start()
            yield {"cluster": cluster, "prom": prom, "metrics_url": f"http://127.0.0.1:{metrics_port}/metrics",
                   "work": work}
        finally:
            prom.stop()
            cluster.stop()


def scrape(env) -> str:
    resp = requests.get(env["metrics_url"], timeout=10)
    assert resp.status_code == 200
    return resp.text


# ------------------------------------------------------------ whole cluster

def test_promtool_check_metrics_is_clean_on_a_real_scrape(env):
    text = scrape(env)
    assert "miroir_http_request_duration_seconds_bucket" in text  # histograms with samples
    result = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True,
                            text=True, timeout=30)
    assert result.returncode == 0 and not (result.stdout + result.stderr).strip(), \
        f"promtool check metrics:\n{result.stdout}{result.stderr}"


def test_dashboard_and_rules_name_only_exported_metrics(env, tmp_path):
    saved = tmp_path / "scrape.txt"
    saved.write_text(scrape(env))
    result = subprocess.run(["python3", str(HERE / "check_metric_names.py"), "--scrape", str(saved)],
                            capture_output=True, text=True, timeout=60)
    print(result.stdout)
    assert result.returncode == 0, result.stdout + result.stderr


def test_prometheus_scrapes_miroir_and_answers_queries(env):
    prom = env["prom"]
    up = wait_until("up{job=miroir} == 1",
                    lambda: [r for r in prom.query(f'up{{job="{JOB}"}}') if r["value"][1] == "1"])
    assert len(up) == 1
    nodes = wait_until("node health series", lambda: prom.query(f'miroir_node_healthy{{job="{JOB}"}}'))
    assert {(r["metric"]["group"], r["metric"]["node"], r["value"][1]) for r in nodes} == \
        {("g1", "n1", "1"), ("g1", "n2", "1"), ("g1", "n3", "1")}
    # The searches of the set-up, read back through Prometheus.
    searches = wait_until("search requests counted", lambda: prom.query(
        f'sum(miroir_http_requests_total{{job="{JOB}", route="/indexes/{{index}}/search", status="200"}})'))
    assert float(searches[0]["value"][1]) >= 3
    # A label set queried back exactly as Miroir exported it.
    series = prom.api("series", **{"match[]": f'miroir_http_requests_total{{job="{JOB}", method="POST"}}'})
    routes = {s["route"] for s in series}
    assert {"/indexes", "/indexes/{index}/documents", "/indexes/{index}/search"} <= routes


def test_every_rule_loads_and_evaluates(env):
    prom = env["prom"]
    file_rules = yaml.safe_load(RULES.read_text())
    want = {r.get("alert") or r.get("record") for g in file_rules["groups"] for r in g["rules"]}

    def evaluated():
        groups = prom.api("rules")["groups"]
        rules = [r for g in groups for r in g["rules"]]
        return rules if all(r.get("lastEvaluation", "").startswith("20") and
                            not r["lastEvaluation"].startswith("0001") for r in rules) else None
    rules = wait_until("every rule evaluated once", evaluated)
    assert {r["name"] for r in rules} == want
    bad = [(r["name"], r.get("health"), r.get("lastError")) for r in rules if r.get("health") != "ok"]
    assert not bad, bad
    # The whole cluster is healthy: nothing fires or is pending but the
    # alerts that read metrics Miroir does not export (they are silent).
    active = prom.api("alerts")["alerts"]
    assert active == [], active


def dashboard_exprs() -> list[tuple[str, str]]:
    dash = json.loads(DASHBOARD.read_text())
    out = []
    for p in dash["panels"]:
        for t in p.get("targets", []):
            out.append((p["title"], t["expr"]))
    return out


def grafana_to_promql(expr: str) -> str:
    return (expr.replace("$__rate_interval", "30s").replace('"$job"', f'"{JOB}"')
            .replace('"$instance"', '".*"'))


# Panels that show series only after an event: a degraded answer, a node error.
EVENT_PANELS = {"Degraded responses by route", "Node errors by kind"}


def empty_dashboard_panels(prom) -> list[str]:
    """Titles of the panels none of whose queries returns a series; every
    query must be valid PromQL (prom.query asserts the API's success)."""
    by_panel: dict[str, int] = {}
    for title, expr in dashboard_exprs():
        by_panel[title] = by_panel.get(title, 0) + len(prom.query(grafana_to_promql(expr)))
    return sorted(t for t, n in by_panel.items() if n == 0)


def test_dashboard_queries_are_valid_and_show_data(env):
    prom = env["prom"]
    # A few scrapes, so rate() over 30s has points.
    wait_until("3 samples scraped", lambda: prom.query(f'count_over_time(up{{job="{JOB}"}}[30s]) >= 3'))
    client = env["cluster"].client()
    for q in ("book", "2", ""):
        client.index(UID).search(q)
    time.sleep(2.5)
    assert empty_dashboard_panels(prom) == sorted(EVENT_PANELS)


def render_ready_script(tmp_path: Path) -> Path | None:
    helm = os.environ.get("HELM_BIN")
    if not helm or not Path(helm).exists():
        return None
    out = subprocess.run([helm, "template", "r", str(REPO / "charts/miroir"),
                          "-f", str(HERE / "values/single.yaml")],
                         capture_output=True, text=True, timeout=60, check=True).stdout
    for doc in yaml.safe_load_all(out):
        if doc and doc["kind"] == "ConfigMap":
            path = tmp_path / "ready.sh"
            path.write_text(doc["data"]["ready.sh"])
            return path
    raise AssertionError("no ConfigMap rendered")


def run_probe(script: Path, port: int, key: str) -> int:
    env = {"PATH": os.environ["PATH"], "MIROIR_ADMIN_KEY": key}
    return subprocess.run(["bash", str(script), str(port)], env=env, timeout=20,
                          capture_output=True).returncode


def test_chart_probes_pass_on_a_whole_cluster(env, tmp_path):
    proxy = env["cluster"].proxy
    assert requests.get(f"{proxy.url}/health", timeout=5).status_code == 200  # liveness
    script = render_ready_script(tmp_path)
    if script is None:
        pytest.fail("HELM_BIN not set: the readiness script is rendered by helm; run "
                    "tests/deploy/run.sh, which builds helm and sets it")
    assert run_probe(script, proxy.port, proxy.admin_key) == 0
    assert run_probe(script, proxy.port, "not-the-admin-key-0123456789") != 0
    assert run_probe(script, free_port(), proxy.admin_key) != 0  # nothing listening


# ------------------------------------------------------- one node killed

def test_node_down_shows_in_prometheus_and_alerts(env, tmp_path):
    cluster, prom = env["cluster"], env["prom"]
    cluster.kill_node("n3")
    rules = {r["alert"]: r for g in yaml.safe_load(RULES.read_text())["groups"]
             for r in g["rules"] if "alert" in r}

    down = wait_until("MiroirNodeDown's expression to name n3",
                      lambda: prom.query(rules["MiroirNodeDown"]["expr"]))
    assert [(r["metric"].get("job"), r["metric"]["group"], r["metric"]["node"]) for r in down] == \
        [(JOB, "g1", "n3")]
    uncovered = wait_until("MiroirShardNotCovered's expression",
                           lambda: prom.query(rules["MiroirShardNotCovered"]["expr"]))
    assert [r["metric"].get("job") for r in uncovered] == [JOB]

    # Searches now miss n3's shards: answered degraded, and counted. (Two,
    # a scrape apart: the counter's series appears with the first, at 1, so
    # rate() sees an increase only from the second on.)
    for _ in range(2):
        resp = cluster.http("POST", f"/indexes/{UID}/search", json={"q": "book"})
        assert resp.status_code == 200 and resp.headers.get(DEGRADED_HEADER) == "true"
        time.sleep(1.5)
    degraded = wait_until("MiroirDegradedResponses' expression",
                          lambda: prom.query(rules["MiroirDegradedResponses"]["expr"]))
    assert [r["metric"]["route"] for r in degraded] == ["/indexes/{index}/search"]

    def pending():
        alerts = prom.api("alerts")["alerts"]
        names = {a["labels"]["alertname"]: a for a in alerts}
        return names if {"MiroirNodeDown", "MiroirShardNotCovered", "MiroirDegradedResponses"} <= set(names) \
            else None
    alerts = wait_until("alerts pending in Prometheus", pending)
    assert alerts["MiroirNodeDown"]["state"] == "pending"  # for: 2m
    assert alerts["MiroirNodeDown"]["labels"]["node"] == "n3"
    assert alerts["MiroirShardNotCovered"]["labels"]["severity"] == "critical"

    # n1 answers searches with 500 from now on: node errors, counted by kind.
    # (Twice, a scrape apart, for rate() as above.)
    fault = {"route": "/indexes/*/search", "error_rate": 1.0, "error_status": 500}
    assert cluster.node("n1").http("POST", "/_testnode/faults", json=fault).status_code in (200, 201, 204)
    for _ in range(2):
        cluster.http("POST", f"/indexes/{UID}/search", json={"q": "book"})
        time.sleep(1.5)
    # Every panel of the dashboard has something to show now.
    seen: list = []

    def all_panels_show_data():
        seen[:] = empty_dashboard_panels(prom)
        return not seen
    try:
        wait_until("every dashboard panel to show data", all_panels_show_data, timeout=10)
    except AssertionError:
        raise AssertionError(f"dashboard panels without data after a node failure: {seen}") from None

    script = render_ready_script(tmp_path)
    if script is not None:
        proxy = cluster.proxy
        assert run_probe(script, proxy.port, proxy.admin_key) != 0  # 503: shards not covered
