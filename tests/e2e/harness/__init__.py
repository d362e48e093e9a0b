"""Shared helpers of the e2e suites: ports, node and Miroir processes, clusters, tasks,
error checks.

Import from here (`from harness import NodeProcess, wait_for_task`); the
suites' conftest puts tests/e2e on sys.path.
"""

from . import api
from .errors import (
    ERROR_LINK,
    assert_api_error,
    assert_error_response,
    assert_task_error,
    check_error_body,
)
from .miroir import (
    ADMIN,
    DEFAULT_ADMIN_KEY,
    DEGRADED_HEADER,
    RESERVED_FIELDS,
    MiroirCluster,
    MiroirError,
    MiroirProcess,
    TopologySpec,
    miroir_bin,
    shard_of,
    shard_owners,
    start_cluster,
    xxh64,
)
from .ports import free_port, port_is_free
from .process import (
    DEFAULT_MASTER_KEY,
    MASTER,
    REPO_ROOT,
    NodeError,
    NodeProcess,
    ServerProcess,
    UnsupportedByBackend,
    backend_name,
    kill_all_servers,
    meilisearch_bin,
    testnode_bin,
    using_real_meilisearch,
)
from .tasks import (
    FINISHED_STATUSES,
    TaskTimeout,
    get_task,
    parse_timestamp_ns,
    task_uid_of,
    wait_for_task,
    wait_for_tasks,
)

__all__ = [
    "api",
    "ADMIN",
    "DEFAULT_ADMIN_KEY",
    "DEGRADED_HEADER",
    "RESERVED_FIELDS",
    "MiroirCluster",
    "MiroirError",
    "MiroirProcess",
    "TopologySpec",
    "miroir_bin",
    "shard_of",
    "shard_owners",
    "start_cluster",
    "xxh64",
    "DEFAULT_MASTER_KEY",
    "ERROR_LINK",
    "FINISHED_STATUSES",
    "MASTER",
    "REPO_ROOT",
    "NodeError",
    "NodeProcess",
    "ServerProcess",
    "TaskTimeout",
    "UnsupportedByBackend",
    "assert_api_error",
    "assert_error_response",
    "assert_task_error",
    "backend_name",
    "check_error_body",
    "free_port",
    "get_task",
    "kill_all_servers",
    "meilisearch_bin",
    "parse_timestamp_ns",
    "port_is_free",
    "task_uid_of",
    "testnode_bin",
    "using_real_meilisearch",
    "wait_for_task",
    "wait_for_tasks",
]
