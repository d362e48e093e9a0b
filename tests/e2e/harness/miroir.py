"""Start Miroir proxies, and whole clusters (test nodes + one Miroir), for the e2e suites.

`MiroirProcess` writes its YAML configuration into its work directory, starts
`miroir --config <yaml>` ($MIROIR_BIN or build/src/miroir), waits until
GET /health answers 200, logs to `<workdir>/<name>.log` and can be stopped,
SIGKILLed and restarted on the same port with the same task store.

`MiroirCluster` builds a topology — replica groups of test nodes (or real
Meilisearch nodes when MEILISEARCH_BIN is set), a replication factor, a shard
count and an unavailable-shard policy — and puts one Miroir in front of it.
It also reads the nodes directly (document ids and counts per node), which is
how the suites check where documents really are.

Everything listens on 127.0.0.1; every process is killed at interpreter exit.
"""

from __future__ import annotations

import json
import os
import struct
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

import requests

from .process import (DEFAULT_MASTER_KEY, DEFAULT_STARTUP_TIMEOUT, MASTER, REPO_ROOT, NodeProcess,
                      ServerProcess)

DEFAULT_ADMIN_KEY = "miroir-e2e-admin-key-fedcba9876543210"
DEGRADED_HEADER = "X-Miroir-Degraded"
RESERVED_FIELDS = ("_miroir_shard", "_miroir_updated_at", "_miroir_digest")


# How much slower than a release build the processes under test run (scripts/test.sh
# sets 5 for the ASan+UBSan pass). Health-check periods scale with it, so a node
# that is merely slow under the sanitizers is not taken for a dead one.
SLOWDOWN = float(os.environ.get("MIROIR_E2E_SLOWDOWN", "1"))


class MiroirError(RuntimeError):
    """Miroir could not be started, or died while it was expected to run."""


class _AdminKey:
    """Sentinel: 'authenticate with Miroir's admin key'."""

    def __repr__(self) -> str:
        return "ADMIN"


ADMIN = _AdminKey()


def miroir_bin() -> Path:
    """Path of the proxy: $MIROIR_BIN or build/src/miroir."""
    value = os.environ.get("MIROIR_BIN", "").strip()
    if value:
        path = Path(value)
        return path if path.is_absolute() else (Path.cwd() / path)
    return REPO_ROOT / "build" / "src" / "miroir"


# --------------------------------------------------------------------------
# Placement (ARCHITECTURE §1): shard = xxh64(pk_utf8, seed 0) % S; a shard
# lives on the RF nodes of a group with the highest xxh64(le32(shard) || node_id).

_P1 = 0x9E3779B185EBCA87
_P2 = 0xC2B2AE3D27D4EB4F
_P3 = 0x165667B19E3779F9
_P4 = 0x85EBCA77C2B2AE63
_P5 = 0x27D4EB2F165667C5
_M64 = 0xFFFFFFFFFFFFFFFF


def _rotl(x: int, r: int) -> int:
    return ((x << r) | (x >> (64 - r))) & _M64


def _round(acc: int, lane: int) -> int:
    acc = (acc + lane * _P2) & _M64
    return (_rotl(acc, 31) * _P1) & _M64


def _merge(acc: int, val: int) -> int:
    acc ^= _round(0, val)
    return (acc * _P1 + _P4) & _M64


def _xxh64_py(data: bytes, seed: int = 0) -> int:
    n = len(data)
    i = 0
    if n >= 32:
        v1 = (seed + _P1 + _P2) & _M64
        v2 = (seed + _P2) & _M64
        v3 = seed & _M64
        v4 = (seed - _P1) & _M64
        while i + 32 <= n:
            a, b, c, d = struct.unpack_from("<4Q", data, i)
            v1, v2, v3, v4 = _round(v1, a), _round(v2, b), _round(v3, c), _round(v4, d)
            i += 32
        h = (_rotl(v1, 1) + _rotl(v2, 7) + _rotl(v3, 12) + _rotl(v4, 18)) & _M64
        for v in (v1, v2, v3, v4):
            h = _merge(h, v)
    else:
        h = (seed + _P5) & _M64
    h = (h + n) & _M64
    while i + 8 <= n:
        (k,) = struct.unpack_from("<Q", data, i)
        h ^= _round(0, k)
        h = (_rotl(h, 27) * _P1 + _P4) & _M64
        i += 8
    if i + 4 <= n:
        (k,) = struct.unpack_from("<I", data, i)
        h ^= (k * _P1) & _M64
        h = (_rotl(h, 23) * _P2 + _P3) & _M64
        i += 4
    while i < n:
        h ^= (data[i] * _P5) & _M64
        h = (_rotl(h, 11) * _P1) & _M64
        i += 1
    h ^= h >> 33
    h = (h * _P2) & _M64
    h ^= h >> 29
    h = (h * _P3) & _M64
    h ^= h >> 32
    return h


try:  # the C implementation when installed; the pure one gives the same numbers
    import xxhash as _xxhash

    def xxh64(data: bytes, seed: int = 0) -> int:
        return _xxhash.xxh64_intdigest(data, seed=seed)
except ImportError:  # pragma: no cover - depends on the machine
    xxh64 = _xxh64_py


def shard_of(pk: Any, shards: int) -> int:
    """The shard of a primary key value; an integer is hashed as its decimal text."""
    if isinstance(pk, bool):
        raise TypeError("a bool is not a primary key")
    return xxh64(str(pk).encode("utf-8")) % shards


def shard_owners(shard: int, node_ids: Sequence[str], rf: int) -> list[str]:
    """The RF nodes of one group that own `shard` (rendezvous hashing)."""
    scored = sorted(node_ids,
                    key=lambda n: xxh64(struct.pack("<I", shard) + n.encode("utf-8")),
                    reverse=True)
    return sorted(scored[:rf])


def _dump_yaml(config: dict) -> str:
    try:
        import yaml  # PyYAML, when installed

        return yaml.safe_dump(config, sort_keys=False)
    except ImportError:  # pragma: no cover - JSON is valid YAML
        return json.dumps(config, indent=2)


class MiroirProcess(ServerProcess):
    """One Miroir proxy on 127.0.0.1, configured by a YAML file in `workdir`.

    `groups` is a list of `(group_id, [(node_id, "127.0.0.1:port"), ...])`.
    `overrides` is merged (section by section) into the generated configuration,
    e.g. `{"listen": {"max_body_bytes": 1000}}`. The task store is
    `<workdir>/<name>.db` and survives `restart()`.
    """

    Error = MiroirError
    STOP_TIMEOUT = 15.0
    BUILD_HINT = "build it with `ninja -C build miroir`, or set MIROIR_BIN"

    def __init__(
        self,
        workdir: Path | str,
        groups: Sequence[tuple[str, Sequence[tuple[str, str]]]],
        *,
        name: str = "miroir",
        master_key: str | None = DEFAULT_MASTER_KEY,
        admin_key: str | None = DEFAULT_ADMIN_KEY,
        node_key: str | None = None,
        shards: int = 16,
        replication_factor: int = 1,
        unavailable_shard_policy: str = "partial",
        health_interval_ms: int | None = None,
        health_timeout_ms: int | None = None,
        unhealthy_after: int = 2,
        healthy_after: int = 1,
        threads: int = 2,
        port: int | None = None,
        overrides: dict | None = None,
        startup_timeout: float = DEFAULT_STARTUP_TIMEOUT,
        binary: Path | str | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        super().__init__(workdir, name=name, port=port, master_key=master_key,
                         binary=Path(binary) if binary is not None else miroir_bin(),
                         startup_timeout=startup_timeout)
        self.admin_key = admin_key
        self.store_path = self.workdir / f"{name}.db"
        self.config_path = self.workdir / f"{name}.yaml"
        self.env = dict(env or {})
        if health_interval_ms is None:
            health_interval_ms = int(200 * SLOWDOWN)
        if health_timeout_ms is None:
            health_timeout_ms = int(150 * SLOWDOWN)
        self.config: dict[str, Any] = {
            "listen": {"address": "127.0.0.1", "port": self.port, "metrics_port": 0,
                       "threads": threads},
            "cluster": {
                "shards": shards,
                "replication_factor": replication_factor,
                "unavailable_shard_policy": unavailable_shard_policy,
                "groups": [
                    {"id": gid, "nodes": [{"id": nid, "address": addr} for nid, addr in nodes]}
                    for gid, nodes in groups
                ],
            },
            "health": {"interval_ms": health_interval_ms, "timeout_ms": health_timeout_ms,
                       "unhealthy_after": unhealthy_after, "healthy_after": healthy_after},
            "task_store": {"backend": "sqlite", "sqlite": {"path": str(self.store_path)}},
        }
        auth: dict[str, str] = {}
        if master_key is not None:
            auth["master_key"] = master_key
        if admin_key is not None:
            auth["admin_key"] = admin_key
        if node_key is not None:
            auth["node_key"] = node_key
        if auth:
            self.config["auth"] = auth
        for section, values in (overrides or {}).items():
            if isinstance(values, dict) and isinstance(self.config.get(section), dict):
                self.config[section].update(values)
            else:
                self.config[section] = values

    # ------------------------------------------------------------- lifecycle

    def write_config(self) -> Path:
        self.config_path.write_text(_dump_yaml(self.config))
        return self.config_path

    def command(self) -> list[str]:
        return [str(self.binary), "--config", str(self.config_path)]

    def environment(self) -> dict[str, str]:
        # The suites' own MIROIR_* variables (binaries, slowdown) are not
        # configuration overrides for the process under test.
        env = {k: v for k, v in os.environ.items() if not k.startswith("MIROIR_")}
        env.update(self.env)
        return env

    def start(self, timeout: float | None = None) -> "MiroirProcess":
        self.write_config()
        return super().start(timeout)

    # ------------------------------------------------------------ talking to it

    def auth_headers(self, key: Any = MASTER) -> dict[str, str]:
        if key is ADMIN:
            key = self.admin_key
        return super().auth_headers(key)

    def admin(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.http(method, path, key=ADMIN, **kwargs)

    def admin_json(self, path: str) -> Any:
        resp = self.admin("GET", path)
        assert resp.status_code == 200, f"GET {path}: {resp.status_code} {resp.text[:500]}"
        return resp.json()

    def topology(self) -> dict:
        return self.admin_json("/_miroir/topology")

    def node_health(self) -> dict[str, bool]:
        """node id -> `healthy` as GET /_miroir/topology reports it."""
        out: dict[str, bool] = {}
        for group in self.topology()["groups"]:
            for node in group["nodes"]:
                out[node["id"]] = bool(node["healthy"])
        return out

    def wait_node_health(self, node_id: str, healthy: bool, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        seen: Any = None
        while True:
            try:
                seen = self.node_health().get(node_id)
                if seen is healthy:
                    return
            except (requests.RequestException, AssertionError) as exc:
                seen = exc
            if time.monotonic() >= deadline:
                raise AssertionError(f"node {node_id} not healthy={healthy} after {timeout}s "
                                     f"(last seen {seen!r}); log tail:\n{self.log_tail()}")
            time.sleep(0.05)


# --------------------------------------------------------------------------
# Clusters.


@dataclass(frozen=True)
class TopologySpec:
    """`groups` is the node count of each replica group, e.g. (3,) or (2, 1)."""

    groups: tuple[int, ...]
    replication_factor: int = 1
    shards: int = 16
    policy: str = "partial"

    @property
    def label(self) -> str:
        shape = "+".join(str(n) for n in self.groups)
        return (f"RG{len(self.groups)}-RF{self.replication_factor}-S{self.shards}-{shape}"
                f"{'' if self.policy == 'partial' else '-' + self.policy}")


def _node_get(node: NodeProcess, path: str, **params: Any) -> requests.Response:
    return node.http("GET", path, params=params or None)


@dataclass
class MiroirCluster:
    """Test nodes in replica groups plus one Miroir in front of them.

    Groups are named g1, g2, ...; nodes n1, n2, ... across groups, in order.
    Call `start()` (or use it as a context manager) and `stop()`.
    """

    workdir: Path
    spec: TopologySpec
    master_key: str = DEFAULT_MASTER_KEY
    admin_key: str = DEFAULT_ADMIN_KEY
    miroir_overrides: dict | None = None
    nodes: dict[str, NodeProcess] = field(default_factory=dict)
    groups: dict[str, list[str]] = field(default_factory=dict)
    miroir: MiroirProcess | None = None

    def __post_init__(self) -> None:
        self.workdir = Path(self.workdir)
        counter = 0
        for g, count in enumerate(self.spec.groups, start=1):
            gid = f"g{g}"
            self.groups[gid] = []
            for _ in range(count):
                counter += 1
                nid = f"n{counter}"
                self.groups[gid].append(nid)
                self.nodes[nid] = NodeProcess(self.workdir / nid, name=nid,
                                              master_key=self.master_key)
        self.miroir = self.make_proxy("miroir", overrides=self.miroir_overrides)

    def make_proxy(self, name: str, **kwargs: Any) -> MiroirProcess:
        """A (not started) Miroir for this cluster's topology, with its own directory and
        store; `kwargs` override MiroirProcess arguments (e.g. overrides={...})."""
        args: dict[str, Any] = dict(
            master_key=self.master_key,
            admin_key=self.admin_key,
            shards=self.spec.shards,
            replication_factor=self.spec.replication_factor,
            unavailable_shard_policy=self.spec.policy,
        )
        args.update(kwargs)
        return MiroirProcess(
            self.workdir / name,
            [(gid, [(nid, f"127.0.0.1:{self.nodes[nid].port}") for nid in nids])
             for gid, nids in self.groups.items()],
            name=name, **args)

    # ------------------------------------------------------------- lifecycle

    def start(self) -> "MiroirCluster":
        try:
            for node in self.nodes.values():
                node.start()
            self.proxy.start()
            for nid in self.nodes:
                self.proxy.wait_node_health(nid, True, timeout=15.0)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self.miroir is not None:
            try:
                self.miroir.stop(timeout=10)
            except Exception:  # noqa: BLE001 - keep stopping the nodes
                self.miroir.kill9()
        for node in self.nodes.values():
            try:
                node.stop(timeout=5)
            except Exception:  # noqa: BLE001
                node.kill9()

    def __enter__(self) -> "MiroirCluster":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # ------------------------------------------------------------------ parts

    @property
    def proxy(self) -> MiroirProcess:
        assert self.miroir is not None
        return self.miroir

    @property
    def url(self) -> str:
        return self.proxy.url

    def client(self, api_key: Any = MASTER, timeout: int = 30):
        return self.proxy.client(api_key, timeout)

    def http(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.proxy.http(method, path, **kwargs)

    def node(self, node_id: str) -> NodeProcess:
        return self.nodes[node_id]

    def group_of(self, node_id: str) -> str:
        for gid, nids in self.groups.items():
            if node_id in nids:
                return gid
        raise KeyError(node_id)

    def live_nodes(self) -> list[str]:
        return [nid for nid, node in self.nodes.items() if node.is_running()]

    def restart_proxy(self, *, kill: bool = False, timeout: float = 15.0) -> None:
        """Restart Miroir (same port, config and store) and wait until it sees every
        running node healthy again."""
        self.proxy.restart(kill=kill)
        for nid in self.live_nodes():
            self.proxy.wait_node_health(nid, True, timeout=timeout)

    def kill_node(self, node_id: str, *, wait: bool = True, timeout: float = 10.0) -> None:
        """SIGKILL a node and (by default) wait until Miroir reports it unhealthy."""
        self.nodes[node_id].kill9()
        if wait:
            self.wait_node_unhealthy(node_id, timeout)

    def wait_node_unhealthy(self, node_id: str, timeout: float = 10.0) -> None:
        self.proxy.wait_node_health(node_id, False, timeout)

    def wait_node_healthy(self, node_id: str, timeout: float = 10.0) -> None:
        self.proxy.wait_node_health(node_id, True, timeout)

    # ------------------------------------------------------------- placement

    def shard_of(self, pk: Any) -> int:
        return shard_of(pk, self.spec.shards)

    def owners(self, shard: int) -> dict[str, list[str]]:
        """group id -> the nodes owning `shard` (computed with the documented formula)."""
        return {gid: shard_owners(shard, nids, self.spec.replication_factor)
                for gid, nids in self.groups.items()}

    def ids_owned_by(self, node_id: str, candidates: Iterable[Any], count: int) -> list[Any]:
        """The first `count` primary keys of `candidates` whose shard `node_id` owns."""
        gid = self.group_of(node_id)
        out = []
        for pk in candidates:
            if node_id in self.owners(self.shard_of(pk))[gid]:
                out.append(pk)
                if len(out) == count:
                    return out
        raise AssertionError(f"not enough ids owned by {node_id}")

    def ids_not_owned_by(self, node_ids: Iterable[str], candidates: Iterable[Any],
                         count: int) -> list[Any]:
        """Primary keys none of whose owners (in any group) is in `node_ids`."""
        excluded = set(node_ids)
        out = []
        for pk in candidates:
            owners = self.owners(self.shard_of(pk))
            if not any(excluded & set(nids) for nids in owners.values()):
                out.append(pk)
                if len(out) == count:
                    return out
        raise AssertionError(f"not enough ids avoiding {sorted(excluded)}")

    # -------------------------------------------------- reading nodes directly

    def node_document_count(self, node_id: str, uid: str) -> int:
        """numberOfDocuments of `uid` on one node; 0 when the node has no such index."""
        resp = _node_get(self.nodes[node_id], f"/indexes/{uid}/stats")
        if resp.status_code == 404:
            return 0
        assert resp.status_code == 200, resp.text
        return resp.json()["numberOfDocuments"]

    def node_documents(self, node_id: str, uid: str, fields: str | None = None,
                       page: int = 1000) -> list[dict]:
        """Every document of `uid` stored on one node (raw, reserved fields included)."""
        out: list[dict] = []
        offset = 0
        while True:
            params: dict[str, Any] = {"offset": offset, "limit": page}
            if fields is not None:
                params["fields"] = fields
            resp = _node_get(self.nodes[node_id], f"/indexes/{uid}/documents", **params)
            if resp.status_code == 404:
                return []
            assert resp.status_code == 200, resp.text
            body = resp.json()
            out.extend(body["results"])
            offset += len(body["results"])
            if not body["results"] or offset >= body["total"]:
                return out

    def node_ids(self, node_id: str, uid: str, pk: str = "id") -> list[Any]:
        return [d[pk] for d in self.node_documents(node_id, uid, fields=pk)]

    def node_indexes(self, node_id: str) -> list[str]:
        resp = _node_get(self.nodes[node_id], "/indexes", limit=1000)
        assert resp.status_code == 200, resp.text
        return sorted(i["uid"] for i in resp.json()["results"])

    def node_settings(self, node_id: str, uid: str) -> dict | None:
        resp = _node_get(self.nodes[node_id], f"/indexes/{uid}/settings")
        if resp.status_code == 404:
            return None
        assert resp.status_code == 200, resp.text
        return resp.json()

    def snapshot(self, uids: Iterable[str], pk: str = "id", *, documents: bool = False,
                 index_list: bool = True) -> dict:
        """What every live node holds: its index list and, per index in `uids`, the
        document count, the sorted ids (or whole documents) and the settings."""
        out: dict[str, Any] = {}
        for nid in self.live_nodes():
            per_node: dict[str, Any] = {}
            if index_list:
                per_node["indexes"] = self.node_indexes(nid)
            for uid in uids:
                entry: dict[str, Any] = {"count": self.node_document_count(nid, uid),
                                         "settings": self.node_settings(nid, uid)}
                if documents:
                    docs = self.node_documents(nid, uid)
                    entry["documents"] = sorted(docs, key=lambda d: (str(type(d[pk])), d[pk]))
                else:
                    ids = self.node_ids(nid, uid, pk)
                    entry["ids"] = sorted(ids, key=lambda v: (str(type(v)), v))
                per_node[uid] = entry
            out[nid] = per_node
        return out


def start_cluster(workdir: Path | str, spec: TopologySpec, **kwargs: Any) -> MiroirCluster:
    return MiroirCluster(Path(workdir), spec, **kwargs).start()
