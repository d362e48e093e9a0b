"""Fixtures shared by every e2e suite.

Backend: miroir-testnode by default ($MIROIR_TESTNODE_BIN or
build/tools/testnode/miroir-testnode); the real Meilisearch when MEILISEARCH_BIN
is set. Tests marked `testnode_only` are skipped, with a reason, on real
Meilisearch.
"""

from __future__ import annotations

import itertools
import re
import sys
from pathlib import Path

import pytest

E2E_DIR = Path(__file__).resolve().parent
if str(E2E_DIR) not in sys.path:
    sys.path.insert(0, str(E2E_DIR))

from harness import (  # noqa: E402
    DEFAULT_MASTER_KEY,
    NodeProcess,
    backend_name,
    meilisearch_bin,
    testnode_bin,
    using_real_meilisearch,
)

TESTNODE_ONLY_REASON = (
    "testnode_only: uses a miroir-testnode feature (fault injection or --task-delay-ms) "
    "that real Meilisearch does not have; MEILISEARCH_BIN is set"
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "testnode_only: needs a miroir-testnode-only feature (fault injection, "
        "--task-delay-ms); skipped when MEILISEARCH_BIN is set",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not using_real_meilisearch():
        return
    skip = pytest.mark.skip(reason=TESTNODE_ONLY_REASON)
    for item in items:
        if item.get_closest_marker("testnode_only") is not None:
            item.add_marker(skip)


def pytest_report_header(config: pytest.Config) -> str:
    binary = meilisearch_bin() if using_real_meilisearch() else testnode_bin()
    return f"e2e backend: {backend_name()} ({binary})"


# ----------------------------------------------------------------- nodes


@pytest.fixture(scope="session")
def backend() -> str:
    """'testnode' or 'meilisearch'."""
    return backend_name()


@pytest.fixture(scope="session")
def master_key() -> str:
    return DEFAULT_MASTER_KEY


@pytest.fixture(scope="module")
def node(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """One node per test module (tests use unique index uids so they don't interfere)."""
    module = request.module.__name__.rsplit(".", 1)[-1]
    workdir = tmp_path_factory.mktemp(f"{module}-node")
    proc = NodeProcess(workdir, name="node")
    proc.start()
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture(scope="module")
def client(node: NodeProcess):
    """Official meilisearch.Client on the module's node, with the master key."""
    return node.client()


@pytest.fixture
def node_factory(tmp_path: Path):
    """Start extra nodes with custom flags; all of them are stopped after the test.

    make(name=None, start=True, **NodeProcess kwargs) -> NodeProcess
    """
    nodes: list[NodeProcess] = []

    def make(name: str | None = None, *, start: bool = True, **kwargs) -> NodeProcess:
        name = name or f"node{len(nodes)}"
        proc = NodeProcess(tmp_path / name, name=name, **kwargs)
        nodes.append(proc)
        if start:
            proc.start()
        return proc

    try:
        yield make
    finally:
        for proc in nodes:
            try:
                proc.stop(timeout=5)
            except Exception:  # noqa: BLE001 - keep stopping the others
                proc.kill9()


# ----------------------------------------------------------- unique names

_uid_counter = itertools.count()


def _sanitize(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", name).strip("_")[:80] or "idx"


@pytest.fixture
def uid_factory(request: pytest.FixtureRequest):
    """uid_factory(suffix='') -> an index uid unique in the session, named after the test."""
    base = _sanitize(request.node.name)

    def make(suffix: str = "") -> str:
        parts = [base, _sanitize(suffix)] if suffix else [base]
        return "_".join(parts + [str(next(_uid_counter))])

    return make


@pytest.fixture
def index_uid(uid_factory) -> str:
    """An index uid unique to this test."""
    return uid_factory()
