"""Start, signal and stop server processes for the e2e suites.

`ServerProcess` is what every server the suites start shares (Miroir's
`MiroirProcess` in miroir.py builds on it too). A `NodeProcess` runs either `miroir-testnode` (the default) or, when the
environment variable MEILISEARCH_BIN points at a binary, a real Meilisearch with
the equivalent flags, so every suite can be replayed against the real thing.
Everything listens on 127.0.0.1. Output goes to a log file (one per node,
appended across restarts). Every started process is killed at interpreter exit
even if a test forgot to stop it.
"""

from __future__ import annotations

import atexit
import os
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Any, Iterable

import requests

from .ports import free_port

REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_MASTER_KEY = "miroir-e2e-master-key-0123456789abcdef"
DEFAULT_STARTUP_TIMEOUT = 30.0


def _thread_states(pid: int) -> list[str]:
    """The scheduler state letter of every thread of `pid` (from /proc)."""
    states = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            stat = (task / "stat").read_text()
        except OSError:
            continue  # the thread exited meanwhile
        # The command name is in parentheses and may hold spaces; the state follows it.
        states.append(stat[stat.rindex(")") + 2])
    return states


def _wait_thread_states(pid: int, *, stopped: bool, timeout: float = 5.0) -> None:
    """Wait until every thread of `pid` is stopped (state T), or none is."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        states = _thread_states(pid)
        if all((s == "T") == stopped for s in states):
            return
        time.sleep(0.005)
    raise NodeError(f"pid {pid}: threads did not become {'stopped' if stopped else 'running'}")


class NodeError(RuntimeError):
    """A node could not be started, or died while it was expected to run."""


class UnsupportedByBackend(RuntimeError):
    """The requested option exists only on miroir-testnode (e.g. --task-delay-ms)."""


def meilisearch_bin() -> str | None:
    """Path of the real Meilisearch binary to test against, or None."""
    value = os.environ.get("MEILISEARCH_BIN", "").strip()
    return value or None


def using_real_meilisearch() -> bool:
    return meilisearch_bin() is not None


def testnode_bin() -> Path:
    """Path of miroir-testnode: $MIROIR_TESTNODE_BIN or the default build dir."""
    value = os.environ.get("MIROIR_TESTNODE_BIN", "").strip()
    if value:
        return Path(value)
    return REPO_ROOT / "build" / "tools" / "testnode" / "miroir-testnode"


def backend_name() -> str:
    return "meilisearch" if using_real_meilisearch() else "testnode"


# --------------------------------------------------------------------------
# Process registry: a backstop so nothing outlives the test session.

_live_lock = threading.Lock()
_live: set["ServerProcess"] = set()


def _register(proc: "ServerProcess") -> None:
    with _live_lock:
        _live.add(proc)


def _unregister(proc: "ServerProcess") -> None:
    with _live_lock:
        _live.discard(proc)


def kill_all_servers() -> None:
    """SIGKILL every server (node or Miroir) this interpreter started and has not stopped."""
    with _live_lock:
        procs = list(_live)
    for proc in procs:
        try:
            proc.kill9()
        except Exception:  # noqa: BLE001 - best effort at exit
            pass


atexit.register(kill_all_servers)


class _MasterKey:
    """Sentinel: 'authenticate with the node's master key'."""

    def __repr__(self) -> str:
        return "MASTER"


MASTER = _MasterKey()


class ServerProcess:
    """What every server the suites start has in common: a binary serving HTTP on
    a 127.0.0.1 port, its output appended to `<workdir>/<name>.log` across
    restarts, a start that returns once GET /health answers 200, SIGTERM/SIGKILL/
    SIGSTOP, and raw HTTP calls. Subclasses give the command line, the
    environment and the errors they raise.

    Not thread-safe; owned by one test or fixture. The port is kept across
    `restart()`.
    """

    Error: type[Exception] = RuntimeError
    STOP_TIMEOUT = 10.0
    BUILD_HINT = ""

    def __init__(self, workdir: Path | str, *, name: str, port: int | None,
                 master_key: str | None, binary: Path, startup_timeout: float) -> None:
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.master_key = master_key
        self.port = port if port is not None else free_port()
        self.binary = binary
        self.startup_timeout = startup_timeout
        self.log_path = self.workdir / f"{name}.log"
        self._proc: subprocess.Popen[bytes] | None = None
        self._paused = False
        self._session = requests.Session()

    # ------------------------------------------------------------------ info

    @property
    def host(self) -> str:
        return "127.0.0.1"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def is_running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def returncode(self) -> int | None:
        return self._proc.poll() if self._proc is not None else None

    def crashed(self) -> bool:
        """Started, not stopped by us, and no longer running."""
        with _live_lock:
            registered = self in _live
        return registered and not self.is_running()

    def command(self) -> list[str]:
        raise NotImplementedError

    def environment(self) -> dict[str, str] | None:
        """The process's environment; None inherits this one."""
        return None

    def read_log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.read_log().splitlines()[-lines:])

    def describe(self) -> str:
        return f"{self.name} {self.url}"

    def __repr__(self) -> str:
        state = "running" if self.is_running() else "stopped"
        return f"<{type(self).__name__} {self.describe()} pid={self.pid} {state}>"

    # ------------------------------------------------------------- lifecycle

    def start(self, timeout: float | None = None):
        if self.is_running():
            raise self.Error(f"{self!r} is already running")
        if not self.binary.exists():
            raise self.Error(f"{self.name}: binary not found: {self.binary} ({self.BUILD_HINT})")
        cmd = self.command()
        with open(self.log_path, "ab") as log:
            log.write(f"\n=== {time.strftime('%H:%M:%S')} start: {' '.join(cmd)}\n".encode())
            log.flush()
            self._proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=str(self.workdir),
                env=self.environment(),
                start_new_session=True,  # a ^C to pytest is not delivered to the process
            )
        self._paused = False
        _register(self)
        try:
            self.wait_healthy(timeout if timeout is not None else self.startup_timeout)
        except BaseException:
            self.kill9()
            raise
        return self

    def wait_healthy(self, timeout: float = DEFAULT_STARTUP_TIMEOUT) -> None:
        """Block until GET /health answers 200; self.Error if the process dies or time runs out."""
        deadline = time.monotonic() + timeout
        last_error: str = "no answer yet"
        while True:
            if self._proc is None:
                raise self.Error(f"{self.name}: not started")
            rc = self._proc.poll()
            if rc is not None:
                raise self.Error(
                    f"{self.name} exited with status {rc} before becoming healthy; "
                    f"log {self.log_path}:\n{self.log_tail()}"
                )
            try:
                resp = self._session.get(f"{self.url}/health", timeout=1.0)
                if resp.status_code == 200:
                    return
                last_error = f"GET /health -> {resp.status_code}"
            except requests.RequestException as exc:
                last_error = f"{type(exc).__name__}: {exc}"
            if time.monotonic() >= deadline:
                raise self.Error(
                    f"{self.name} not healthy after {timeout}s ({last_error}); "
                    f"log {self.log_path}:\n{self.log_tail()}"
                )
            time.sleep(0.05)

    def stop(self, timeout: float | None = None) -> int | None:
        """SIGTERM, then SIGKILL after `timeout` seconds. Returns the exit status."""
        proc = self._proc
        if proc is None:
            return None
        if proc.poll() is None:
            if self._paused:
                self.sigcont()
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=timeout if timeout is not None else self.STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        self._finish()
        return proc.returncode

    def kill9(self) -> int | None:
        """SIGKILL the process (no chance to flush anything) and reap it."""
        proc = self._proc
        if proc is None:
            return None
        if proc.poll() is None:
            proc.kill()  # SIGKILL works on a SIGSTOPped process too
            proc.wait(timeout=10)
        self._finish()
        return proc.returncode

    def sigstop(self) -> None:
        """Freeze the process: the socket stays open but nothing is answered."""
        self._require_running()
        assert self._proc is not None
        self._proc.send_signal(signal.SIGSTOP)
        # kill(2) returns before the process is stopped: a thread running on
        # another core may still answer a request or two. Return only once
        # every thread is seen stopped, so callers can rely on the freeze.
        _wait_thread_states(self._proc.pid, stopped=True)
        self._paused = True

    def sigcont(self) -> None:
        self._require_running()
        assert self._proc is not None
        self._proc.send_signal(signal.SIGCONT)
        _wait_thread_states(self._proc.pid, stopped=False)
        self._paused = False

    def restart(self, timeout: float | None = None, *, kill: bool = False):
        """Stop (gracefully, or with SIGKILL when kill=True) and start again, same port and flags."""
        if kill:
            self.kill9()
        else:
            self.stop()
        return self.start(timeout=timeout)

    def _require_running(self) -> None:
        if not self.is_running():
            raise self.Error(f"{self!r} is not running")

    def _finish(self) -> None:
        self._paused = False
        _unregister(self)

    def __enter__(self):
        if not self.is_running():
            self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # ------------------------------------------------------------ talking to it

    def auth_headers(self, key: Any = MASTER) -> dict[str, str]:
        if key is MASTER:
            key = self.master_key
        return {"Authorization": f"Bearer {key}"} if key is not None else {}

    def http(self, method: str, path: str, *, key: Any = MASTER, timeout: float = 30.0,
             headers: dict[str, str] | None = None, **kwargs: Any) -> requests.Response:
        """Raw HTTP call; `key=None` sends no Authorization header at all."""
        all_headers = self.auth_headers(key)
        if headers:
            all_headers.update(headers)
        if not path.startswith("/"):
            path = "/" + path
        return requests.request(method, self.url + path, headers=all_headers,
                                timeout=timeout, **kwargs)

    def client(self, api_key: Any = MASTER, timeout: int = 30):
        """An official `meilisearch.Client` for this server (master key by default)."""
        import meilisearch  # imported lazily: the harness works without the SDK

        if api_key is MASTER:
            api_key = self.master_key
        return meilisearch.Client(self.url, api_key, timeout=timeout)


class NodeProcess(ServerProcess):
    """One node process (miroir-testnode or real Meilisearch) on 127.0.0.1."""

    Error = NodeError
    BUILD_HINT = ("build it with `ninja -C build miroir-testnode`, or set "
                  "MIROIR_TESTNODE_BIN / MEILISEARCH_BIN")

    def __init__(
        self,
        workdir: Path | str,
        *,
        name: str = "node",
        master_key: str | None = DEFAULT_MASTER_KEY,
        db_path: Path | str | None = None,
        task_delay_ms: int | None = None,
        port: int | None = None,
        extra_args: Iterable[str] = (),
        startup_timeout: float = DEFAULT_STARTUP_TIMEOUT,
        kind: str | None = None,
        binary: Path | str | None = None,
    ) -> None:
        kind = kind or backend_name()
        if kind not in ("testnode", "meilisearch"):
            raise ValueError(f"unknown node kind {kind!r}")
        if kind == "meilisearch" and task_delay_ms is not None:
            raise UnsupportedByBackend("--task-delay-ms exists only on miroir-testnode")
        if binary is not None:
            binary = Path(binary)
        elif kind == "meilisearch":
            binary = Path(meilisearch_bin() or "meilisearch")
        else:
            binary = testnode_bin()
        super().__init__(workdir, name=name, port=port, master_key=master_key, binary=binary,
                         startup_timeout=startup_timeout)
        self.kind = kind
        self.db_path = Path(db_path) if db_path is not None else None
        if self.kind == "meilisearch" and self.db_path is None:
            # Meilisearch always persists; keep its data inside the test's tmp dir.
            self.db_path = self.workdir / f"{name}.ms"
        self.task_delay_ms = task_delay_ms
        self.extra_args = list(extra_args)

    @property
    def is_testnode(self) -> bool:
        return self.kind == "testnode"

    def describe(self) -> str:
        return f"{self.name} {self.kind} {self.url}"

    def command(self) -> list[str]:
        addr = f"{self.host}:{self.port}"
        cmd = [str(self.binary), "--http-addr", addr]
        if self.master_key is not None:
            cmd += ["--master-key", self.master_key]
        if self.kind == "testnode":
            if self.db_path is not None:
                cmd += ["--db-path", str(self.db_path)]
            if self.task_delay_ms is not None:
                cmd += ["--task-delay-ms", str(int(self.task_delay_ms))]
        else:
            cmd += [
                "--db-path", str(self.db_path),
                "--no-analytics",
                "--env", "development",
                "--dump-dir", str(self.workdir / f"{self.name}-dumps"),
                "--snapshot-dir", str(self.workdir / f"{self.name}-snapshots"),
            ]
        return cmd + self.extra_args
