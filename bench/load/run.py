#!/usr/bin/env python3
"""Miroir's load benchmarks (issue 4), side by side in one run, on 127.0.0.1 only.

Started by bench/load/run.sh, which builds the binaries first. Scenarios:

  pass-through  one test node, S=1: direct vs nginx proxy_pass (keep-alive
                upstream) vs Miroir. Closed-loop throughput with wrk, latency
                percentiles with miroir-openloop at a fixed rate.
  fan-out       three nodes, S=48: Miroir CPU time per search (20 hits of ~1 KB),
                from /proc/<pid>/stat utime+stime over the run.
  ingest        three nodes, RF=1: 1 KB documents in batches of 1,000, docs/s
                acknowledged through Miroir vs straight to the nodes with each
                batch pre-split by Miroir's own placement (miroir-bench-split).
  memory        Miroir RSS idle and with 1,000 concurrent keep-alive clients.
  antientropy   two nodes, each its own group, RF=1 (two copies of every shard):
                an anti-entropy pass over a clean index (documents verified per
                second, bytes read per document) vs reading the same shards'
                whole documents off both nodes, as a full comparison would.

Every child runs in its own session and is recorded in <workdir>/pids, so
run.sh's EXIT trap can kill whatever this script could not. Every HTTP call
and every child command has a timeout.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
KEY = "miroir-bench-master-key-0123456789"
ADMIN_KEY = "miroir-bench-admin-key-9876543210"
AUTH = {"Authorization": f"Bearer {KEY}"}
HOST = "127.0.0.1"
CLK_TCK = os.sysconf("SC_CLK_TCK")
QUERY_WORD_INDEX = 7  # the query word: in ~17 % of documents (see make_documents)


# --------------------------------------------------------------------------- processes

class Procs:
    """Children of this run; each in its own session, every pid written to a file."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.pidfile = workdir / "pids"
        self.live: list[subprocess.Popen] = []

    def start(self, name: str, cmd: list[str]) -> subprocess.Popen:
        log = open(self.workdir / f"{name}.log", "ab")
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                cwd=self.workdir, start_new_session=True)
        log.close()
        self.live.append(proc)
        with open(self.pidfile, "a") as f:
            f.write(f"{proc.pid}\n")
        return proc

    def run(self, cmd: list[str], timeout: float, env: dict | None = None) -> tuple[str, str]:
        """Runs a short-lived tool (wrk, openloop) to completion, pid recorded too."""
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=env,
                                start_new_session=True)
        with open(self.pidfile, "a") as f:
            f.write(f"{proc.pid}\n")
        try:
            return proc.communicate(timeout=timeout)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=5)

    def stop_all(self) -> None:
        for proc in reversed(self.live):
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + 5
        for proc in self.live:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait(timeout=5)
        self.live.clear()


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def http(method: str, url: str, body: bytes | None = None, timeout: float = 10,
         content_type: str = "application/json", key: str = KEY,
         sizes: list | None = None) -> tuple[int, dict | list | None]:
    """One request; `sizes`, when given, gets the answer's body size appended."""
    req = urllib.request.Request(url, data=body, method=method,
                                 headers={"Authorization": f"Bearer {key}"})
    if body is not None:
        req.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            raw = resp.read()
            if sizes is not None:
                sizes.append(len(raw))
            return resp.status, (json.loads(raw) if raw else None)
    except urllib.error.HTTPError as err:
        raw = err.read()
        try:
            return err.code, json.loads(raw)
        except ValueError:
            return err.code, None


def wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url}: process exited with {proc.returncode}")
        try:
            if http("GET", url + "/health", timeout=1)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{url}: not healthy after {timeout} s")


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (all its threads), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, timeout=5)
    return [int(p) for p in out.stdout.split()]


class CpuMeter:
    """CPU seconds used by some processes between start() and stop()."""

    def __init__(self, pids: list[int]) -> None:
        self.pids = pids

    def __enter__(self) -> "CpuMeter":
        self.wall0 = time.monotonic()
        self.cpu0 = sum(cpu_seconds(p) for p in self.pids)
        return self

    def __exit__(self, *exc: object) -> None:
        self.cpu = sum(cpu_seconds(p) for p in self.pids) - self.cpu0
        self.wall = time.monotonic() - self.wall0


# --------------------------------------------------------------------------- data

def make_vocabulary(rng: random.Random) -> list[str]:
    syllables = ["ka", "to", "ri", "mo", "ne", "sa", "lu", "pi", "de", "vo", "ga", "shi",
                 "ber", "lin", "tor", "mar", "quo", "zen", "fu", "el"]
    words: list[str] = []
    seen: set[str] = set()
    while len(words) < 600:
        w = "".join(rng.choice(syllables) for _ in range(rng.randint(2, 3)))
        if w not in seen:
            seen.add(w)
            words.append(w)
    return words


def make_documents(first_id: int, count: int, vocab: list[str], seed: int) -> list[dict]:
    """Documents of about 1 KB; each vocabulary word is in ~17 % of descriptions."""
    rng = random.Random(seed)
    docs = []
    for i in range(first_id, first_id + count):
        description = " ".join(rng.choice(vocab) for _ in range(110))
        docs.append({
            "id": i,
            "title": " ".join(rng.choice(vocab) for _ in range(5)),
            "description": description,
            "price": round(rng.uniform(1, 500), 2),
            "stock": rng.randint(0, 500),
            "available": rng.random() < 0.8,
            "tags": [rng.choice(vocab) for _ in range(5)],
            "meta": {"author": " ".join(rng.choice(vocab) for _ in range(2)),
                     "year": rng.randint(1900, 2025)},
        })
    return docs


def wait_miroir_task(base: str, answer: dict | None, timeout: float = 120) -> None:
    if not answer or "taskUid" not in answer:
        raise RuntimeError(f"no task in answer: {answer}")
    uid = answer["taskUid"]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, task = http("GET", f"{base}/tasks/{uid}", timeout=5)
        if status == 200 and task["status"] in ("succeeded", "failed", "canceled"):
            if task["status"] != "succeeded":
                raise RuntimeError(f"task {uid}: {task}")
            return
        time.sleep(0.05)
    raise RuntimeError(f"task {uid} not done after {timeout} s")


def wait_nodes_idle(nodes: list[str], timeout: float = 300) -> None:
    """Until no node has an enqueued or processing task (indexing is asynchronous)."""
    deadline = time.monotonic() + timeout
    for node in nodes:
        while True:
            status, page = http("GET", f"{node}/tasks?statuses=enqueued,processing&limit=1",
                                timeout=10)
            if status == 200 and page["total"] == 0:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{node}: tasks still pending after {timeout} s")
            time.sleep(0.1)


# --------------------------------------------------------------------------- generators

WRK_SCRIPT = """
wrk.method = os.getenv("BENCH_METHOD") or "GET"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_KEY")
local path = os.getenv("BENCH_BODY")
if path and path ~= "" then
  local f = assert(io.open(path, "rb"))
  wrk.body = f:read("*a")
  f:close()
  wrk.headers["Content-Type"] = "application/json"
end
"""


class Tools:
    def __init__(self, build: Path, workdir: Path, procs: Procs) -> None:
        self.build = build
        self.workdir = workdir
        self.procs = procs
        self.openloop_bin = build / "bench" / "miroir-openloop"
        self.split_bin = build / "bench" / "miroir-bench-split"
        self.wrk_lua = workdir / "bench.lua"
        self.wrk_lua.write_text(WRK_SCRIPT)

    def wrk(self, url: str, seconds: float, connections: int, body: Path | None = None,
            method: str = "POST") -> dict:
        env = dict(os.environ, BENCH_KEY=KEY, BENCH_METHOD=method,
                   BENCH_BODY=str(body) if body else "")
        cmd = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "5s",
               "-s", str(self.wrk_lua), url]
        out, _ = self.procs.run(cmd, timeout=seconds + 30, env=env)
        m = re.search(r"(\d+) requests in ([\d.]+)(m?s)", out)
        if not m:
            raise RuntimeError(f"wrk output not understood:\n{out}")
        seconds_run = float(m.group(2)) / (1000 if m.group(3) == "ms" else 1)
        bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        errors = re.search(r"Socket errors: (.*)", out)
        return {"requests": int(m.group(1)), "seconds": seconds_run,
                "rps": int(m.group(1)) / seconds_run,
                "non_2xx": int(bad.group(1)) if bad else 0,
                "socket_errors": errors.group(1) if errors else ""}

    def openloop(self, url: str, rate: float, seconds: float, connections: int,
                 body: Path | None = None, warmup: float = 2) -> dict:
        cmd = [str(self.openloop_bin), "--url", url, "--rate", str(rate),
               "--duration", str(seconds), "--warmup", str(warmup),
               "--connections", str(connections), "--timeout-ms", "5000", "--json",
               "--header", f"Authorization: Bearer {KEY}"]
        if body:
            cmd += ["--method", "POST", "--body-file", str(body),
                    "--header", "Content-Type: application/json"]
        out, err = self.procs.run(cmd, timeout=seconds + warmup + 60)
        if not out.strip():
            raise RuntimeError(f"openloop failed: {err}")
        return json.loads(out)


# --------------------------------------------------------------------------- cluster

class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.build = Path(args.build_dir).resolve()
        self.workdir = Path(args.workdir)
        self.procs = Procs(self.workdir)
        self.tools = Tools(self.build, self.workdir, self.procs)
        self.results: dict = {"machine": machine(), "args": vars(args), "load": {}}
        rng = random.Random(42)
        self.vocab = make_vocabulary(rng)
        self.query = self.workdir / "search.json"
        self.query.write_text(json.dumps({"q": self.vocab[QUERY_WORD_INDEX], "limit": 20}))

    def note_load(self, label: str) -> None:
        self.results["load"][label] = os.getloadavg()[0]

    def start_node(self, name: str) -> tuple[str, subprocess.Popen]:
        port = free_port()
        proc = self.procs.start(name, [str(self.build / "tools/testnode/miroir-testnode"),
                                       "--http-addr", f"{HOST}:{port}", "--master-key", KEY])
        url = f"http://{HOST}:{port}"
        wait_healthy(url, proc)
        return url, proc

    def start_miroir(self, name: str, nodes: list[tuple[str, str]], shards: int,
                     group_per_node: bool = False, extra: str = ""
                     ) -> tuple[str, subprocess.Popen]:
        """Miroir over `nodes`: one group g1 holding them all, or (group_per_node)
        a group per node; `extra` is appended to its YAML configuration."""
        port = free_port()
        groups = [[n] for n in nodes] if group_per_node else [nodes]
        node_list = "\n".join(
            f"    - id: g{g + 1}\n      nodes:\n" + "\n".join(
                f'        - id: {nid}\n          address: "{addr[len("http://"):]}"'
                for nid, addr in members)
            for g, members in enumerate(groups))
        config = f"""listen:
  address: "{HOST}"
  port: {port}
  metrics_port: 0
  threads: {self.args.proxy_threads}
auth:
  master_key: "{KEY}"
  admin_key: "{ADMIN_KEY}"
cluster:
  shards: {shards}
  replication_factor: 1
  groups:
{node_list}
task_store:
  backend: sqlite
  sqlite:
    path: "{self.workdir / (name + '.db')}"
log:
  level: warn
{extra}"""
        path = self.workdir / f"{name}.yaml"
        path.write_text(config)
        proc = self.procs.start(name, [str(self.build / "src/miroir"), "--config", str(path)])
        url = f"http://{HOST}:{port}"
        wait_healthy(url, proc)
        return url, proc

    def start_nginx(self, upstream: str) -> tuple[str, subprocess.Popen]:
        port = free_port()
        tmp = self.workdir / "nginx-tmp"
        tmp.mkdir(exist_ok=True)
        temp_paths = "\n".join(f"  {kind}_temp_path {tmp / kind};"
                               for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        config = f"""# Generated by bench/load/run.py: proxy_pass with a keep-alive upstream.
user root;
daemon off;
master_process on;
worker_processes {self.args.proxy_threads};
pid {self.workdir / 'nginx.pid'};
error_log {self.workdir / 'nginx-error.log'} warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
{temp_paths}
  upstream node {{
    server {upstream[len('http://'):]};
    keepalive 64;
  }}
  server {{
    listen {HOST}:{port};
    client_max_body_size 100m;
    location / {{
      proxy_pass http://node;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }}
  }}
}}
"""
        path = self.workdir / "nginx.conf"
        path.write_text(config)
        proc = self.procs.start("nginx", ["nginx", "-p", str(self.workdir), "-c", str(path),
                                          "-e", str(self.workdir / "nginx-error.log")])
        url = f"http://{HOST}:{port}"
        wait_healthy(url, proc)
        return url, proc

    def load_documents(self, miroir: str, uid: str, count: int) -> None:
        status, answer = http("POST", f"{miroir}/indexes",
                              json.dumps({"uid": uid, "primaryKey": "id"}).encode())
        if status != 202:
            raise RuntimeError(f"create index {uid}: {status} {answer}")
        wait_miroir_task(miroir, answer)
        for first in range(0, count, 1000):
            docs = make_documents(first, min(1000, count - first), self.vocab, seed=first + 1)
            status, answer = http("POST", f"{miroir}/indexes/{uid}/documents",
                                  json.dumps(docs).encode(), timeout=60)
            if status != 202:
                raise RuntimeError(f"add documents to {uid}: {status} {answer}")
            wait_miroir_task(miroir, answer)

    # ----------------------------------------------------------------------- scenarios

    def antientropy(self) -> None:
        """A pass over a clean index vs reading whole documents, per round."""
        self.note_load("antientropy")
        nodes = [(f"n{i}", self.start_node(f"ae-n{i}")[0]) for i in (1, 2)]
        shards = 8
        miroir, _ = self.start_miroir(
            "ae-miroir", nodes, shards, group_per_node=True,
            extra="anti_entropy:\n  enabled: true\n  schedule: 24h\n  read_concurrency: 2\n")
        count = self.args.antientropy_documents
        self.load_documents(miroir, "ae", count)
        wait_nodes_idle([url for _, url in nodes])
        out: dict = {"documents": count, "copies": len(nodes), "verify": [], "full_read": []}
        for _ in range(self.args.rounds):
            status, started = http("POST", f"{miroir}/_miroir/verify",
                                   json.dumps({"indexUid": "ae", "repair": False}).encode(),
                                   key=ADMIN_KEY)
            if status != 202:
                raise RuntimeError(f"verify: {status} {started}")
            while True:
                time.sleep(0.05)
                _, state = http("GET", f"{miroir}/_miroir/verify", key=ADMIN_KEY)
                last = state["last"]
                if last and last["uid"] == started["uid"]:
                    break
            if last["status"] != "succeeded" or last["mismatches"] != 0:
                raise RuntimeError(f"verify pass: {last}")
            seconds = last["durationMs"] / 1000
            out["verify"].append({"docs_per_s": last["documentsScanned"] / seconds,
                                  "bytes_per_doc": last["bytesRead"] / last["documentsScanned"],
                                  "documents": last["documentsScanned"]})
            # The baseline: the same shards' whole documents off both copies.
            sizes: list[int] = []
            read = 0
            start = time.monotonic()
            for _, url in nodes:
                for shard in range(shards):
                    offset = 0
                    while True:
                        body = {"filter": f"_miroir_shard = {shard}", "limit": 1000,
                                "offset": offset}
                        status, page = http("POST", f"{url}/indexes/ae/documents/fetch",
                                            json.dumps(body).encode(), timeout=60, sizes=sizes)
                        if status != 200:
                            raise RuntimeError(f"fetch: {status} {page}")
                        read += len(page["results"])
                        offset += len(page["results"])
                        if len(page["results"]) < 1000:
                            break
            seconds = time.monotonic() - start
            out["full_read"].append({"docs_per_s": read / seconds,
                                     "bytes_per_doc": sum(sizes) / read, "documents": read})
        self.results["antientropy"] = out

    def pass_through(self) -> None:
        a = self.args
        node, node_proc = self.start_node("pass-node")
        miroir, miroir_proc = self.start_miroir("pass-miroir", [("p1", node)], shards=1)
        nginx, nginx_proc = self.start_nginx(node)
        nginx_workers = children(nginx_proc.pid)
        self.load_documents(miroir, "pass", 1000)
        path = "/indexes/pass/search"
        targets = {"direct": (node, []), "nginx": (nginx, nginx_workers),
                   "miroir": (miroir, [miroir_proc.pid])}
        for url, _ in targets.values():  # warm every path and check it answers 200
            self.tools.openloop(url + path, 200, 1, 4, body=self.query, warmup=0.5)
        self.note_load("pass-through")

        wrk: dict[str, list] = {k: [] for k in targets}
        for _ in range(a.rounds):  # interleaved, so drift in machine load hits all three
            for name, (url, pids) in targets.items():
                with CpuMeter(pids + [node_proc.pid]) as cpu_all, CpuMeter(pids) as cpu_proxy:
                    run = self.tools.wrk(url + path, a.wrk_seconds, a.wrk_connections,
                                         body=self.query)
                run["proxy_cpu_us_per_req"] = cpu_proxy.cpu / run["requests"] * 1e6 if pids else 0
                run["node_cpu_util"] = (cpu_all.cpu - cpu_proxy.cpu) / cpu_all.wall
                wrk[name].append(run)
        rate = a.rate or max(100, round(0.3 * min(
            statistics.median(r["rps"] for r in runs) for runs in wrk.values()), -2))
        lat: dict[str, list] = {k: [] for k in targets}
        for _ in range(a.rounds):
            for name, (url, _) in targets.items():
                lat[name].append(self.tools.openloop(url + path, rate, a.openloop_seconds,
                                                     a.openloop_connections, body=self.query))
        self.results["pass_through"] = {"rate": rate, "wrk": wrk, "openloop": lat}
        self.procs.stop_all()

    def cluster3(self) -> None:
        """Fan-out search, ingest and memory share one three-node, S=48 cluster."""
        a = self.args
        nodes = []
        node_procs = []
        for i in range(1, 4):
            url, proc = self.start_node(f"node{i}")
            nodes.append((f"n{i}", url))
            node_procs.append(proc)
        miroir, miroir_proc = self.start_miroir("miroir", nodes, shards=48)
        pid = miroir_proc.pid
        time.sleep(1)
        memory = {"idle_start_mb": rss_mb(pid)}

        # Fan-out search.
        self.load_documents(miroir, "fan", a.fanout_documents)
        url = miroir + "/indexes/fan/search"
        status, answer = http("POST", url, self.query.read_bytes())
        hits = answer.get("hits", []) if isinstance(answer, dict) else []
        hit_bytes = sum(len(json.dumps(h)) for h in hits) / max(1, len(hits))
        self.tools.openloop(url, 200, 1, 4, body=self.query, warmup=0.5)  # warm
        self.note_load("fan-out")
        fan = {"hits": len(hits), "hit_bytes": round(hit_bytes), "status": status,
               "estimated_total_hits": answer.get("estimatedTotalHits") if hits else None,
               "fixed_rate": [], "saturated": []}
        node_pids = [p.pid for p in node_procs]
        for _ in range(a.rounds):
            with CpuMeter([pid]) as cpu, CpuMeter(node_pids) as node_cpu:
                run = self.tools.openloop(url, a.fanout_rate, a.fanout_seconds, 16,
                                          body=self.query, warmup=0)
            run["miroir_cpu_us_per_search"] = cpu.cpu / run["requests"] * 1e6
            run["nodes_cpu_us_per_search"] = node_cpu.cpu / run["requests"] * 1e6
            fan["fixed_rate"].append(run)
            with CpuMeter([pid]) as cpu, CpuMeter(node_pids) as node_cpu:
                run = self.tools.wrk(url, a.wrk_seconds, a.wrk_connections, body=self.query)
            run["miroir_cpu_us_per_search"] = cpu.cpu / run["requests"] * 1e6
            run["nodes_cpu_util"] = node_cpu.cpu / node_cpu.wall
            fan["saturated"].append(run)
        self.results["fan_out"] = fan

        # Ingest.
        self.ingest(miroir, pid, nodes, node_procs)

        # Memory with 1,000 concurrent keep-alive clients.
        memory["idle_after_load_mb"] = rss_mb(pid)
        memory["connections"] = a.memory_connections
        samples: list[float] = []
        stop = threading.Event()

        def sample() -> None:
            while not stop.is_set():
                samples.append(rss_mb(pid))
                time.sleep(0.1)

        sampler = threading.Thread(target=sample)
        sampler.start()
        try:
            # Connection k opens for request k, at k / rate, and stays open until
            # the schedule ends: run twice as long as opening them all takes.
            seconds = max(6.0, 2 * a.memory_connections / a.fanout_rate)
            run = self.tools.openloop(url, a.fanout_rate, seconds, a.memory_connections,
                                      body=self.query, warmup=0)
        finally:
            stop.set()
            sampler.join()
        memory["openloop"] = run
        memory["loaded_max_mb"] = max(samples)
        memory["peak_hwm_mb"] = rss_mb(pid, "VmHWM")
        self.results["memory"] = memory
        self.procs.stop_all()

    def ingest(self, miroir: str, pid: int, nodes: list[tuple[str, str]],
               node_procs: list[subprocess.Popen]) -> None:
        a = self.args
        status, answer = http("POST", f"{miroir}/indexes",
                              json.dumps({"uid": "ingest", "primaryKey": "id"}).encode())
        wait_miroir_task(miroir, answer)
        batch = self.workdir / "batch.json"
        batch.write_text(json.dumps(make_documents(0, 1000, self.vocab, seed=7)))
        status, answer = http("POST", f"{miroir}/indexes/ingest/documents", batch.read_bytes(),
                              timeout=60)
        wait_miroir_task(miroir, answer)  # the index now exists on every node
        split_dir = self.workdir / "split"
        split_dir.mkdir(exist_ok=True)
        out = subprocess.run([str(self.tools.split_bin), "--shards", "48", "--rf", "1",
                              "--nodes", ",".join(n for n, _ in nodes), "--payload", str(batch),
                              "--out", str(split_dir)],
                             capture_output=True, text=True, timeout=60, check=True).stdout
        per_node = {line.split()[0]: int(line.split()[1]) for line in out.splitlines()}
        node_urls = [u for _, u in nodes]
        node_pids = [p.pid for p in node_procs]
        self.note_load("ingest")
        result: dict = {"batch_bytes": batch.stat().st_size, "per_node_docs": per_node,
                        "miroir": [], "direct": []}
        for _ in range(a.rounds):
            wait_nodes_idle(node_urls)
            with CpuMeter([pid]) as cpu, CpuMeter(node_pids) as node_cpu:
                run = self.tools.wrk(f"{miroir}/indexes/ingest/documents", a.ingest_seconds,
                                     a.ingest_connections, body=batch)
            run["docs_per_s"] = run["rps"] * 1000
            run["miroir_cpu_ms_per_1000_docs"] = cpu.cpu / run["requests"] * 1000
            # Node CPU in the run window (it includes indexing earlier batches).
            run["nodes_cpu_util"] = node_cpu.cpu / node_cpu.wall
            result["miroir"].append(run)

            wait_nodes_idle(node_urls)
            runs: list[dict] = []
            threads = []
            for (nid, node), _ in zip(nodes, node_pids):
                def go(nid: str = nid, node: str = node) -> None:
                    r = self.tools.wrk(f"{node}/indexes/ingest/documents?primaryKey=id",
                                       a.ingest_seconds, a.ingest_connections,
                                       body=split_dir / f"{nid}.json")
                    r["node"] = nid
                    runs.append(r)
                threads.append(threading.Thread(target=go, daemon=True))
            with CpuMeter(node_pids) as node_cpu:
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
            docs_per_s = sum(r["rps"] * per_node[r["node"]] for r in runs)
            result["direct"].append({"docs_per_s": docs_per_s, "nodes": runs,
                                     "nodes_cpu_util": node_cpu.cpu / node_cpu.wall})
        wait_nodes_idle(node_urls)
        self.results["ingest"] = result


# --------------------------------------------------------------------------- report

def machine() -> dict:
    model = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    nginx = subprocess.run(["nginx", "-v"], capture_output=True, text=True, timeout=5).stderr.strip()
    wrk = subprocess.run(["wrk", "-v"], capture_output=True, text=True, timeout=5).stdout
    return {"cpu": model, "cores": os.cpu_count(), "mem_gib": round(mem_kb / 2**20, 1),
            "kernel": platform.release(), "nginx": nginx.replace("nginx version: ", ""),
            "wrk": wrk.split()[1] if wrk else "?", "load_at_start": os.getloadavg()[0],
            "date": time.strftime("%Y-%m-%d %H:%M")}


def med(values) -> float:
    return statistics.median(list(values))


def report(r: dict) -> str:
    m = r["machine"]
    lines = [f"Machine: {m['cpu']}, {m['cores']} cores, {m['mem_gib']} GiB, Linux {m['kernel']}, "
             f"{m['nginx']}, wrk {m['wrk']}; load average at start {m['load_at_start']:.2f}; "
             f"1-min load before each scenario: "
             + ", ".join(f"{k} {v:.2f}" for k, v in r["load"].items())]
    verdict = lambda ok: "met" if ok else "MISSED"  # noqa: E731

    if "pass_through" in r:
        p = r["pass_through"]
        rps = {k: med(x["rps"] for x in v) for k, v in p["wrk"].items()}
        lines.append("\npass-through (S=1, one node): wrk throughput, median of "
                     f"{len(p['wrk']['direct'])} interleaved runs")
        for k, v in p["wrk"].items():
            extra = (f", proxy CPU {med(x['proxy_cpu_us_per_req'] for x in v):.0f} us/req"
                     if k != "direct" else "")
            lines.append(f"  {k:7s} {rps[k]:9.0f} req/s  (node CPU "
                         f"{med(x['node_cpu_util'] for x in v) * 100:.0f} %{extra})")
        ratio = rps["miroir"] / rps["nginx"]
        lines.append(f"  Miroir / nginx throughput = {ratio:.2f}  (target >= 1: {verdict(ratio >= 1)})")
        lines.append(f"  Miroir / direct throughput = {rps['miroir'] / rps['direct']:.2f}")
        lines.append(f"open-loop latency at {p['rate']} req/s (us from intended send; median of runs)")
        pct = {}
        for k, v in p["openloop"].items():
            pct[k] = {q: med(x["latency_us"][q] for x in v) for q in ("p50", "p90", "p99", "p99.9", "max")}
            errors = sum(x["errors"] for x in v)
            statuses: dict[str, int] = {}
            for x in v:
                for code, n in x.get("non_2xx_by_status", {}).items():
                    statuses[code] = statuses.get(code, 0) + n
            lines.append(f"  {k:7s} " + "  ".join(f"{q} {pct[k][q]:8.0f}" for q in pct[k])
                         + f"  errors {errors}" + (f" {statuses}" if statuses else ""))
        for k in ("nginx", "miroir"):
            d50 = pct[k]["p50"] - pct["direct"]["p50"]
            d99 = pct[k]["p99"] - pct["direct"]["p99"]
            lines.append(f"  {k} adds p50 {d50:+.0f} us, p99 {d99:+.0f} us over direct")
        d50 = pct["miroir"]["p50"] - pct["direct"]["p50"]
        d99 = pct["miroir"]["p99"] - pct["direct"]["p99"]
        lines.append(f"  targets: added p50 <= 100 us {verdict(d50 <= 100)}, "
                     f"added p99 <= 1 ms {verdict(d99 <= 1000)}")

    if "fan_out" in r:
        f = r["fan_out"]
        cpu = med(x["miroir_cpu_us_per_search"] for x in f["fixed_rate"])
        lines.append(f"\nfan-out search (3 nodes, S=48, {f['hits']} hits of ~{f['hit_bytes']} B)")
        lines.append(f"  at {r['args']['fanout_rate']} req/s: Miroir CPU {cpu:.0f} us/search "
                     f"(target <= 40 us: {verdict(cpu <= 40)}); nodes "
                     f"{med(x['nodes_cpu_us_per_search'] for x in f['fixed_rate']):.0f} us/search; "
                     f"p50 {med(x['latency_us']['p50'] for x in f['fixed_rate']):.0f} us, "
                     f"p99 {med(x['latency_us']['p99'] for x in f['fixed_rate']):.0f} us")
        lines.append(f"  saturated (wrk): {med(x['rps'] for x in f['saturated']):.0f} searches/s, "
                     f"Miroir CPU {med(x['miroir_cpu_us_per_search'] for x in f['saturated']):.0f}"
                     f" us/search, nodes CPU "
                     f"{med(x['nodes_cpu_util'] for x in f['saturated']) * 100:.0f} %")

    if "ingest" in r:
        g = r["ingest"]
        via = med(x["docs_per_s"] for x in g["miroir"])
        direct = med(x["docs_per_s"] for x in g["direct"])
        lines.append(f"\ningest (3 nodes, RF=1, batches of 1,000 x ~{g['batch_bytes'] // 1000} B"
                     f"; split {g['per_node_docs']})")
        lines.append(f"  through Miroir {via:,.0f} docs/s, straight to the nodes {direct:,.0f} docs/s"
                     f", ratio {via / direct:.2f} (target >= 0.9: {verdict(via / direct >= 0.9)})")
        lines.append("  Miroir CPU "
                     f"{med(x['miroir_cpu_ms_per_1000_docs'] for x in g['miroir']):.1f} ms "
                     "per 1,000 docs; nodes' CPU (3 processes) "
                     f"{med(x['nodes_cpu_util'] for x in g['miroir']) * 100:.0f} % through Miroir, "
                     f"{med(x['nodes_cpu_util'] for x in g['direct']) * 100:.0f} % direct")

    if "antientropy" in r:
        a = r["antientropy"]
        v_rate = med(x["docs_per_s"] for x in a["verify"])
        v_bytes = med(x["bytes_per_doc"] for x in a["verify"])
        f_rate = med(x["docs_per_s"] for x in a["full_read"])
        f_bytes = med(x["bytes_per_doc"] for x in a["full_read"])
        lines.append(f"\nanti-entropy scan ({a['documents']:,} documents x {a['copies']} copies, "
                     f"clean; median of {len(a['verify'])} rounds)")
        lines.append(f"  pass: {v_rate:,.0f} documents verified/s, {v_bytes:.0f} bytes read per "
                     "document")
        lines.append(f"  whole documents read off the same shards: {f_rate:,.0f} documents/s, "
                     f"{f_bytes:.0f} bytes per document")
        lines.append(f"  ratios: speed {v_rate / f_rate:.2f}, bytes {v_bytes / f_bytes:.3f}")

    if "memory" in r:
        mm = r["memory"]
        lines.append(f"\nmemory: RSS idle {mm['idle_start_mb']:.1f} MB at start, "
                     f"{mm['idle_after_load_mb']:.1f} MB after the runs (target <= 64 MB: "
                     f"{verdict(mm['idle_after_load_mb'] <= 64)})")
        lines.append(f"  with {mm['connections']} keep-alive clients: max RSS "
                     f"{mm['loaded_max_mb']:.1f} MB, peak HWM {mm['peak_hwm_mb']:.1f} MB "
                     f"(target <= 256 MB: {verdict(mm['peak_hwm_mb'] <= 256)}); "
                     f"{mm['openloop']['requests']} ok, {mm['openloop']['errors']} errors")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build-dir", default=str(REPO / "build"))
    ap.add_argument("--workdir", default="")
    ap.add_argument("--scenarios", default="pass-through,cluster",
                    help="comma list of pass-through, cluster (fan-out, ingest, memory) and "
                         "antientropy")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved repetitions")
    ap.add_argument("--proxy-threads", type=int, default=1,
                    help="Miroir threads and nginx workers (equal, for a fair comparison)")
    ap.add_argument("--wrk-seconds", type=float, default=5)
    ap.add_argument("--wrk-connections", type=int, default=16)
    ap.add_argument("--rate", type=float, default=0,
                    help="open-loop rate of the pass-through; 0 = 30 %% of the slowest wrk")
    ap.add_argument("--openloop-seconds", type=float, default=8)
    ap.add_argument("--openloop-connections", type=int, default=32)
    ap.add_argument("--fanout-documents", type=int, default=3000)
    ap.add_argument("--fanout-rate", type=float, default=500)
    ap.add_argument("--fanout-seconds", type=float, default=10)
    ap.add_argument("--ingest-seconds", type=float, default=5)
    ap.add_argument("--ingest-connections", type=int, default=2)
    ap.add_argument("--memory-connections", type=int, default=1000)
    ap.add_argument("--antientropy-documents", type=int, default=50_000)
    ap.add_argument("--json-out", default="")
    args = ap.parse_args()
    if not args.workdir:
        args.workdir = tempfile.mkdtemp(prefix="miroir-bench-")
    # SIGINT and SIGTERM unwind through the `finally` below, which stops every
    # child (SIGINT may arrive ignored from a non-interactive shell).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    bench = Bench(args)
    scenarios = args.scenarios.split(",")
    try:
        if "pass-through" in scenarios:
            bench.pass_through()
        if "cluster" in scenarios:
            bench.cluster3()
        if "antientropy" in scenarios:
            bench.antientropy()
    finally:
        bench.procs.stop_all()
    text = report(bench.results)
    print(text)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(bench.results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
