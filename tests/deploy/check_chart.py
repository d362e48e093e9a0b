#!/usr/bin/env python3
"""Checks of the Helm chart charts/miroir, with the tools its users run.

    python3 tests/deploy/check_chart.py --helm HELM --kubecheck KUBECHECK [--miroir MIROIR]

For each values file in tests/deploy/values/*.yaml:
  - `helm lint --strict` passes and `helm template` renders;
  - kubecheck decodes every rendered object strictly into its Kubernetes API
    type and checks references between them (the Secrets named in the values
    are the only objects allowed to be missing);
  - the rendered Miroir configuration says what the values say (cluster,
    store backend, ports), and `miroir --check-config` accepts it with the
    environment the Deployment gives it (when the binary is built);
  - the Deployment probes /health (liveness) and /_miroir/ready through the
    ConfigMap's ready.sh (readiness), and replaces pods as its store allows;
  - the PrometheusRule, when rendered, passes `promtool check rules`, carries
    the rules file's groups unchanged (but for runbook_url's base) and
    records the values' instance count for the ServiceMonitor's job.
For each file in tests/deploy/values/invalid/: `helm template` fails with the
message its `# expect:` line names.
And: the chart knows exactly the configuration keys config/miroir.example.yaml
documents (passed through by `config:`, or set by the chart itself).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
CHART = REPO / "charts/miroir"
RULES_FILE = CHART / "files/miroir-rules.yaml"
EXAMPLE_CONFIG = REPO / "config/miroir.example.yaml"
RELEASE, NAMESPACE = "miroir", "search"

# Configuration keys the chart sets itself (from other values, or Secrets).
CHART_MANAGED = {
    "listen.address", "listen.port", "listen.metrics_port",
    "auth.master_key", "auth.admin_key", "auth.node_key",
    "cluster.shards", "cluster.replication_factor", "cluster.unavailable_shard_policy",
    "cluster.groups",
    "task_store.backend", "task_store.sqlite.path",
    "task_store.redis.url", "task_store.redis.password", "task_store.redis.key_prefix",
}

problems: list[str] = []


def fail(msg: str) -> None:
    problems.append(msg)
    print(f"error: {msg}")


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, **kw)


def deep_merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for k, v in over.items():
        if v is None:
            out.pop(k, None)
        elif isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = v
    return out


def secrets_named(values: dict) -> set[str]:
    names = {values["auth"][k].get("secretName", "") for k in ("masterKey", "adminKey", "nodeKey")}
    names.add(values["redis"]["passwordSecret"].get("name", ""))
    return {n for n in names if n}


def objects(text: str) -> dict[tuple[str, str], dict]:
    out = {}
    for doc in yaml.safe_load_all(text):
        if doc:
            out[(doc["kind"], doc["metadata"]["name"])] = doc
    return out


def only(objs: dict, kind: str) -> dict | None:
    found = [o for (k, _), o in objs.items() if k == kind]
    return found[0] if len(found) == 1 else None


def check_config(name: str, values: dict, objs: dict, miroir: str | None) -> None:
    cm = only(objs, "ConfigMap")
    dep = only(objs, "Deployment")
    if cm is None or dep is None:
        fail(f"{name}: want one ConfigMap and one Deployment of Miroir")
        return
    config = yaml.safe_load(cm["data"]["miroir.yaml"])
    shared = bool(values["redis"]["enabled"] or values["redis"]["external"]["url"])
    want_cluster = {
        "shards": values["cluster"]["shards"],
        "replication_factor": values["cluster"]["replicationFactor"],
        "unavailable_shard_policy": values["cluster"]["unavailableShardPolicy"],
        "groups": [{"id": g["id"], "nodes": [{"id": n["id"], "address": n["address"]} for n in g["nodes"]]}
                   for g in values["cluster"]["groups"]],
    }
    if config.get("cluster") != want_cluster:
        fail(f"{name}: rendered cluster {config.get('cluster')} != values {want_cluster}")
    store = config.get("task_store", {})
    if store.get("backend") != ("redis" if shared else "sqlite"):
        fail(f"{name}: task_store.backend {store.get('backend')!r} with shared store {shared}")
    if shared and values["redis"]["external"]["url"] and store["redis"]["url"] != values["redis"]["external"]["url"]:
        fail(f"{name}: task_store.redis.url {store['redis']['url']!r} is not the external URL")
    listen = config.get("listen", {})
    want_metrics = values["listen"]["metricsPort"] if values["metrics"]["enabled"] else 0
    if (listen.get("port"), listen.get("metrics_port")) != (values["listen"]["port"], want_metrics):
        fail(f"{name}: listen ports {listen.get('port')}/{listen.get('metrics_port')} differ from the values")
    for section, keys in values.get("config", {}).items():
        for key, value in keys.items():
            if section == "task_store" and key == "redis":
                for k, v in value.items():
                    if store.get("redis", {}).get(k) != v:
                        fail(f"{name}: config.task_store.redis.{k} not rendered")
            elif config.get(section, {}).get(key) != value:
                fail(f"{name}: config.{section}.{key} = {value!r} rendered as {config.get(section, {}).get(key)!r}")

    container = dep["spec"]["template"]["spec"]["containers"][0]
    env_names = [e["name"] for e in container.get("env", [])]
    if miroir:
        # The Deployment's environment, with made-up keys for its Secrets.
        env = {k: v for k, v in os.environ.items() if not k.startswith("MIROIR_")}
        for i, e in enumerate(env_names):
            env[e] = f"secret-value-{i:02d}-0123456789abcdef"
        with tempfile.TemporaryDirectory(prefix="miroir-chart-config-") as tmp:
            path = Path(tmp) / "miroir.yaml"
            text = cm["data"]["miroir.yaml"]
            # The pod's data directory, moved here for the check.
            path.write_text(text.replace("/var/lib/miroir/", f"{tmp}/"))
            result = run([miroir, "--config", str(path), "--check-config"], env=env, cwd=tmp)
            if result.returncode != 0:
                fail(f"{name}: miroir --check-config refuses the rendered configuration: "
                     f"{(result.stdout + result.stderr).strip()}")
    for required in ("MIROIR_MASTER_KEY", "MIROIR_ADMIN_KEY"):
        if required not in env_names:
            fail(f"{name}: the Deployment does not pass {required}")


def check_deployment(name: str, values: dict, objs: dict) -> None:
    dep = only(objs, "Deployment")
    cm = only(objs, "ConfigMap")
    if dep is None or cm is None:
        return
    shared = bool(values["redis"]["enabled"] or values["redis"]["external"]["url"])
    spec = dep["spec"]
    container = spec["template"]["spec"]["containers"][0]
    live = container.get("livenessProbe", {}).get("httpGet", {})
    if live.get("path") != "/health":
        fail(f"{name}: liveness probe is not GET /health: {container.get('livenessProbe')}")
    ready = container.get("readinessProbe", {})
    if values["readinessProbe"]["checkCluster"]:
        cmd = ready.get("exec", {}).get("command", [])
        if cmd[:2] != ["bash", "/etc/miroir/ready.sh"] or "/_miroir/ready" not in cm["data"].get("ready.sh", ""):
            fail(f"{name}: readiness probe does not run ready.sh against /_miroir/ready: {ready}")
    elif ready.get("httpGet", {}).get("path") != "/health":
        fail(f"{name}: readiness probe with checkCluster false is not GET /health: {ready}")
    want = "RollingUpdate" if shared else "Recreate"
    if spec["strategy"]["type"] != want:
        fail(f"{name}: strategy {spec['strategy']['type']}, want {want}")
    if values["autoscaling"]["enabled"]:
        if "replicas" in spec or only(objs, "HorizontalPodAutoscaler") is None:
            fail(f"{name}: autoscaling wants an HPA and no fixed replicas")
    elif spec.get("replicas") != values["replicaCount"]:
        fail(f"{name}: replicas {spec.get('replicas')} != replicaCount {values['replicaCount']}")
    several = values["autoscaling"]["enabled"] or values["replicaCount"] > 1
    if (only(objs, "PodDisruptionBudget") is not None) != (several and values["podDisruptionBudget"]["enabled"]):
        fail(f"{name}: a PodDisruptionBudget belongs with several instances only")
    if (only(objs, "StatefulSet") is not None) != bool(values["redis"]["enabled"]):
        fail(f"{name}: a Redis StatefulSet iff redis.enabled")
    sc = spec["template"]["spec"].get("securityContext", {})
    if not sc.get("runAsNonRoot") or sc.get("runAsUser", 0) == 0:
        fail(f"{name}: Miroir's pod is not forced to run as a non-root user")


def check_rules(name: str, values: dict, objs: dict, tmp: Path) -> None:
    rule = only(objs, "PrometheusRule")
    if (rule is not None) != bool(values["metrics"]["prometheusRule"]["enabled"]):
        fail(f"{name}: PrometheusRule rendered: {rule is not None}, enabled: "
             f"{values['metrics']['prometheusRule']['enabled']}")
    if rule is None:
        return
    groups = rule["spec"]["groups"]
    path = tmp / f"{name}-rules.yaml"
    path.write_text(yaml.safe_dump({"groups": groups}, sort_keys=False))
    result = run(["promtool", "check", "rules", str(path)])
    if result.returncode != 0:
        fail(f"{name}: promtool check rules on the rendered PrometheusRule: {result.stdout}{result.stderr}")
    base = values["metrics"]["prometheusRule"].get("runbookBaseUrl") or ""
    want = [g for g in yaml.safe_load(RULES_FILE.read_text())["groups"] if g["name"] != "miroir-config"]
    if base:
        for g in want:
            for r in g["rules"]:
                if "annotations" in r:
                    r["annotations"]["runbook_url"] = r["annotations"]["runbook_url"].replace(
                        "docs/operations.md", base.rstrip("/"))
    got = [g for g in groups if not g["name"].startswith("miroir-config")]
    if json.dumps(got, sort_keys=True) != json.dumps(want, sort_keys=True):
        fail(f"{name}: the PrometheusRule's alert groups differ from {RULES_FILE.relative_to(REPO)}")
    config = [g for g in groups if g["name"].startswith("miroir-config")]
    records = {r["record"]: r for g in config for r in g["rules"]}
    expected = (values["autoscaling"]["minReplicas"] if values["autoscaling"]["enabled"]
                else values["replicaCount"])
    # The job label the ServiceMonitor gives the series.
    monitor = only(objs, "ServiceMonitor")
    job = None
    if monitor is not None:
        label = monitor["spec"]["jobLabel"]
        for (kind, _), o in objs.items():
            sel = monitor["spec"]["selector"]["matchLabels"]
            if kind == "Service" and all(o["metadata"].get("labels", {}).get(k) == v for k, v in sel.items()):
                job = o["metadata"]["labels"][label]
    for record, value in (("miroir:config_expected_instances", expected),):
        r = records.get(record)
        if r is None or r["expr"] != f"vector({value})":
            fail(f"{name}: {record} should be vector({value}), got {r and r['expr']}")
            continue
        if r["labels"].get("namespace") != NAMESPACE:
            fail(f"{name}: {record} has namespace {r['labels'].get('namespace')!r}, want {NAMESPACE!r}")
        if job is not None and r["labels"].get("job") != job:
            fail(f"{name}: {record} has job {r['labels'].get('job')!r}; the ServiceMonitor gives job {job!r}")


def flatten(d: dict, prefix: str = "") -> set[str]:
    keys = set()
    for k, v in d.items():
        path = f"{prefix}{k}"
        if isinstance(v, dict):
            keys |= flatten(v, path + ".")
        else:
            keys.add(path)
    return keys


def schema_config_keys(schema: dict) -> set[str]:
    def walk(node: dict, prefix: str) -> set[str]:
        out = set()
        for k, v in node.get("properties", {}).items():
            if v.get("type") == "object" and "properties" in v:
                out |= walk(v, f"{prefix}{k}.")
            else:
                out.add(f"{prefix}{k}")
        return out
    return walk(schema["properties"]["config"], "")


def check_config_keys() -> None:
    documented = flatten(yaml.safe_load(EXAMPLE_CONFIG.read_text()))
    schema = json.loads((CHART / "values.schema.json").read_text())
    passed = schema_config_keys(schema)
    known = passed | CHART_MANAGED
    for key in sorted(documented - known):
        fail(f"config key {key} (config/miroir.example.yaml) is unknown to the chart: "
             "add it to values.schema.json's config, or to the keys the chart sets")
    for key in sorted(known - documented):
        fail(f"the chart knows config key {key}, which config/miroir.example.yaml does not document")
    for key in sorted(passed & CHART_MANAGED):
        fail(f"config key {key} is both passed through and set by the chart")
    print(f"config keys: {len(documented)} documented, {len(passed)} passed through, "
          f"{len(CHART_MANAGED)} set by the chart")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--helm", required=True)
    ap.add_argument("--kubecheck", required=True)
    ap.add_argument("--miroir", help="a built miroir, for --check-config")
    args = ap.parse_args()
    if args.miroir:
        args.miroir = str(Path(args.miroir).resolve())
    defaults = yaml.safe_load((CHART / "values.yaml").read_text())

    check_config_keys()
    with tempfile.TemporaryDirectory(prefix="miroir-chart-") as tmpdir:
        tmp = Path(tmpdir)
        positives = sorted((HERE / "values").glob("*.yaml"))
        if not positives:
            fail("no values files in tests/deploy/values")
        for vf in positives:
            name = vf.stem
            before = len(problems)
            values = deep_merge(defaults, yaml.safe_load(vf.read_text()) or {})
            lint = run([args.helm, "lint", "--strict", str(CHART), "-f", str(vf)])
            if lint.returncode != 0:
                fail(f"{name}: helm lint --strict: {lint.stdout}{lint.stderr}")
            tpl = run([args.helm, "template", RELEASE, str(CHART), "-n", NAMESPACE, "-f", str(vf)])
            if tpl.returncode != 0:
                fail(f"{name}: helm template: {tpl.stderr}")
                continue
            rendered = tmp / f"{name}.yaml"
            rendered.write_text(tpl.stdout)
            cmd = [args.kubecheck]
            for secret in sorted(secrets_named(values)):
                cmd += ["-external-secret", secret]
            kc = run(cmd + [str(rendered)])
            if kc.returncode != 0:
                fail(f"{name}: kubecheck:\n{kc.stderr}")
            objs = objects(tpl.stdout)
            check_config(name, values, objs, args.miroir)
            check_deployment(name, values, objs)
            check_rules(name, values, objs, tmp)
            kinds = sorted({k for k, _ in objs})
            status = "ok" if len(problems) == before else "FAILED"
            print(f"values/{vf.name}: {status}: lint, template, kubecheck and content checks over "
                  f"{len(objs)} objects ({', '.join(kinds)})")

        negatives = sorted((HERE / "values" / "invalid").glob("*.yaml"))
        for vf in negatives:
            m = re.search(r"^# expect: (.+)$", vf.read_text(), re.M)
            if not m:
                fail(f"invalid/{vf.name}: no '# expect:' line")
                continue
            tpl = run([args.helm, "template", RELEASE, str(CHART), "-n", NAMESPACE, "-f", str(vf)])
            if tpl.returncode == 0:
                fail(f"invalid/{vf.name}: helm template accepted it")
            elif m.group(1).strip() not in tpl.stderr:
                fail(f"invalid/{vf.name}: refused, but not with {m.group(1).strip()!r}:\n{tpl.stderr.strip()}")
        print(f"values/invalid: {len(negatives)} files, each refused with its expected message")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
