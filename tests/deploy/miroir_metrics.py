"""Metric names: what Miroir exports, and what PromQL expressions use.

- `exported_from_exposition(text)`: the series names a scrape can carry, from
  its `# TYPE` lines (a histogram `h` exports `h_bucket`, `h_sum`, `h_count`).
- `exported_from_source(repo)`: the same, read from the `Family("miroir_...",
  ..., Type::k...)` registrations in src/ — the fallback when no binary is
  built.
- `scrape_running_miroir(repo)`: starts test nodes and Miroir on 127.0.0.1
  (the e2e harness, embedded SQLite store) and returns one scrape of its
  metrics listener; None when the binaries are not built.
- `metric_names(expr)`: the metric names a PromQL expression selects (Grafana
  variables such as `$job` or `$__rate_interval` allowed).
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

_TYPE_LINE = re.compile(r"^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)\s*$")
_SUFFIXES = {"histogram": ("_bucket", "_sum", "_count"), "summary": ("", "_sum", "_count")}


def _series_names(family: str, kind: str) -> set[str]:
    return {family + s for s in _SUFFIXES.get(kind, ("",))}


def exported_from_exposition(text: str) -> dict[str, str]:
    """{series name: family type} for every family in a text exposition."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        m = _TYPE_LINE.match(line)
        if m:
            for name in _series_names(m.group(1), m.group(2)):
                out[name] = m.group(2)
    return out


_FAMILY_CALL = re.compile(
    r'Family\(\s*"(miroir_[a-z0-9_]+)"\s*,.*?Type::k(Counter|Gauge|Histogram|Summary|Untyped)\s*\)',
    re.S)


def exported_from_source(repo: Path = REPO) -> dict[str, str]:
    """{series name: type} from the metric family registrations under src/."""
    out: dict[str, str] = {}
    for path in sorted((repo / "src").rglob("*.cpp")):
        for m in _FAMILY_CALL.finditer(path.read_text(errors="replace")):
            kind = m.group(2).lower()
            for name in _series_names(m.group(1), kind):
                out[name] = kind
    return out


def binaries(repo: Path = REPO) -> tuple[Path, Path] | None:
    """(miroir, miroir-testnode) of the release build, honouring MIROIR_BIN and
    MIROIR_TESTNODE_BIN as the e2e harness does; None unless both exist."""
    sys.path.insert(0, str(repo / "tests" / "e2e"))
    from harness.miroir import miroir_bin  # noqa: E402
    from harness.process import testnode_bin  # noqa: E402

    pair = (Path(miroir_bin()), Path(testnode_bin()))
    return pair if all(p.exists() for p in pair) else None


def scrape_running_miroir(repo: Path = REPO, nodes: int = 2) -> str | None:
    """Start `nodes` test nodes and one Miroir (embedded store, a metrics
    listener), send a search so request families have samples, scrape
    /metrics once, stop everything. None when the binaries are missing."""
    if binaries(repo) is None:
        return None
    import requests
    from harness import MiroirCluster, TopologySpec, free_port

    with tempfile.TemporaryDirectory(prefix="miroir-metrics-") as tmp:
        port = free_port()
        cluster = MiroirCluster(Path(tmp), TopologySpec(groups=(nodes,), shards=8),
                                miroir_overrides={"listen": {"metrics_port": port}})
        with cluster:
            cluster.http("POST", "/indexes", json={"uid": "probe", "primaryKey": "id"})
            cluster.http("POST", "/indexes/probe/search", json={"q": ""})
            resp = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10)
            resp.raise_for_status()
            return resp.text


# ----------------------------------------------------------------- PromQL

_KEYWORDS = {
    "by", "without", "on", "ignoring", "group_left", "group_right", "bool",
    "and", "or", "unless", "offset", "inf", "nan", "atan2",
}
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_GRAFANA_VAR = re.compile(r"\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*|\[\[[^\]]*\]\]")
_BRACES = re.compile(r"\{[^{}]*\}")
_BRACKETS = re.compile(r"\[[^\[\]]*\]")
_GROUPING = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)")
_IDENT = re.compile(r"(?<![\w:.])([a-zA-Z_:][a-zA-Z0-9_:]*)")


def metric_names(expr: str) -> set[str]:
    """Metric names selected by a PromQL expression (function names, keywords,
    label names, strings and durations excluded)."""
    text = _STRING.sub('""', expr)
    text = re.sub(r"#[^\n]*", "", text)
    text = _GRAFANA_VAR.sub("1", text)
    text = _BRACES.sub("", text)
    while _BRACKETS.search(text):
        text = _BRACKETS.sub("", text)
    text = _GROUPING.sub(" ", text)
    names = set()
    for m in _IDENT.finditer(text):
        word = m.group(1)
        rest = text[m.end():].lstrip()
        if word in _KEYWORDS or rest.startswith("("):
            continue
        names.add(word)
    return names


_LABEL_VALUES = re.compile(r"^\s*label_values\((.*),\s*[a-zA-Z_][a-zA-Z0-9_]*\s*\)\s*$", re.S)
_QUERY_RESULT = re.compile(r"^\s*query_result\((.*)\)\s*$", re.S)


def variable_query_names(query: str) -> set[str]:
    """Metric names of a Grafana Prometheus variable query: label_values(selector,
    label), label_values(label) (none), query_result(expr) or plain PromQL."""
    m = _LABEL_VALUES.match(query)
    if m:
        return metric_names(m.group(1))
    if re.match(r"^\s*label_values\(\s*[a-zA-Z_][a-zA-Z0-9_]*\s*\)\s*$", query):
        return set()
    m = _QUERY_RESULT.match(query)
    return metric_names(m.group(1) if m else query)


def _self_test() -> None:
    cases = {
        'sum by (job) (rate(miroir_a_total{route=~"x|y", status!="5.."}[5m])) '
        '/ on (job) group_left () miroir:b': {"miroir_a_total", "miroir:b"},
        'histogram_quantile(0.99, sum by (le) (rate(miroir_h_bucket{job=~"$job"}[$__rate_interval])))':
            {"miroir_h_bucket"},
        "max(miroir_g) - min(miroir_g offset 5m) > 1e3 and up == 1": {"miroir_g", "up"},
        'count(max by (node) (miroir_n{job="a"}) == 0) or vector(0)': {"miroir_n"},
        "time() - max(miroir_t) > 1800": {"miroir_t"},
        "sum(rate(miroir_c[5m:1m])) by (node)": {"miroir_c"},
    }
    for expr, want in cases.items():
        got = metric_names(expr)
        assert got == want, f"metric_names({expr!r}) = {sorted(got)}, want {sorted(want)}"
    assert variable_query_names('label_values(miroir_x{job=~"$job"}, instance)') == {"miroir_x"}
    assert variable_query_names("label_values(job)") == set()
    assert variable_query_names("query_result(max(miroir_y) by (job))") == {"miroir_y"}


_self_test()
