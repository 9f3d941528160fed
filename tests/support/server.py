"""A real ``onestory serve`` process on a free port, for crash and scale-out tests; and a look
at its processes through ``/proc`` (Linux), to find and kill its batch-preparation workers."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ONESTORY = str(Path(sys.executable).parent / "onestory")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def process_state(pid: int) -> str | None:
    """The state letter of ``pid`` (R running, S sleeping, Z exited…), None when it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # "pid (comm) S ppid ...": comm may hold spaces and parentheses, so split at the last ")".
    return stat.rsplit(")", 1)[1].split()[0]


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid``."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(entry.name))
    return out


def prepare_workers(pid: int) -> list[int]:
    """The batch-preparation worker processes of the server ``pid`` (multiprocessing spawn
    children; the resource tracker it also starts is not one)."""
    out = []
    for child in children(pid):
        try:
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
        except OSError:
            continue
        if b"--multiprocessing-fork" in cmdline and process_state(child) not in (None, "Z"):
            out.append(child)
    return out


def wait_busy(pid: int, timeout: float) -> bool:
    """Wait until ``pid`` is on a CPU (state R: a worker running a task, not waiting for
    one); False when it exits or the time runs out first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = process_state(pid)
        if state in (None, "Z"):
            return False
        if state == "R":
            return True
        time.sleep(0.001)
    return False


def wait_gone(pid: int, timeout: float) -> bool:
    """Wait until ``pid`` has exited (gone, or a zombie nobody reaped yet)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process_state(pid) in (None, "Z"):
            return True
        time.sleep(0.05)
    return False


def cli(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [ONESTORY, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def base_env(data_dir: Path, database_url: str, **more: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONESTORY_")}
    env.update(
        ONESTORY_DATA_DIR=str(data_dir),
        ONESTORY_DATABASE_URL=database_url,
        ONESTORY_LOG_LEVEL="WARNING",
        ONESTORY_ENV="test",
    )
    env.update(more)
    return env


class Server:
    """``onestory serve`` in a subprocess; ``kill()`` is SIGKILL (no shutdown code runs)."""

    def __init__(self, env: dict[str, str], log: Path, command: str = "serve") -> None:
        self.env = env
        self.log = log
        self.command = command
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> None:
        args = [ONESTORY, self.command]
        if self.command == "serve":
            args += ["--port", str(self.port)]
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(args, env=self.env, stdout=out, stderr=subprocess.STDOUT)
        if self.command != "serve":
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise TimeoutError(f"server did not answer: {self.log.read_text()[-3000:]}")

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def kill(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def health(self) -> dict[str, object]:
        health: dict[str, object] = httpx.get(f"{self.url}/health", timeout=10).json()
        return health

    def wait_pending_below(self, jobs: int, timeout: float = 120) -> int:
        """Wait until the pipeline has fewer than ``jobs`` jobs pending; return how many."""
        deadline = time.monotonic() + timeout
        while True:
            pending = int(str(self.health()["pipeline_pending"]))
            if pending < jobs:
                return pending
            if time.monotonic() > deadline:
                raise TimeoutError(f"pipeline still has {pending} jobs")
            time.sleep(0.05)

    def wait_drained(self, timeout: float = 120) -> dict[str, object]:
        deadline = time.monotonic() + timeout
        while True:
            health: dict[str, object] = httpx.get(f"{self.url}/health", timeout=10).json()
            if health["pipeline_pending"] == 0:
                return health
            if time.monotonic() > deadline:
                raise TimeoutError(f"pipeline still has {health['pipeline_pending']} jobs")
            time.sleep(0.2)
