"""A real local Ray cluster for tests and benchmarks: a head and one more worker node.

Both nodes are ``ray start --block`` processes on 127.0.0.1 with one CPU each and an 80 MB
object store; terminating them stops every Ray process they started, and nothing else
(no ``ray stop``, which would stop every cluster on the machine).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_port(port: int, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"the Ray head did not listen on port {port} in {timeout_s} s")


@contextmanager
def local_ray_cluster(cpus_per_node: int = 1, nodes: int = 2, object_store_mb: int = 80,
                      ) -> Iterator[str]:
    """Start the cluster, connect this process, yield the head's address; stop it all."""
    import ray

    port = _free_port()
    address = f"127.0.0.1:{port}"
    ray_bin = str(Path(sys.executable).with_name("ray"))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (str(REPO / "src"), os.environ.get("PYTHONPATH", "")) if p),
        "RAY_USAGE_STATS_ENABLED": "0"}
    common = ["--node-ip-address=127.0.0.1", f"--num-cpus={cpus_per_node}", "--num-gpus=0",
              f"--object-store-memory={object_store_mb * 1024 * 1024}", "--block",
              "--disable-usage-stats"]
    temp = tempfile.mkdtemp(prefix="rt", dir="/tmp")  # short: Ray's socket paths are long
    logs = Path(temp) / "logs.txt"
    processes: list[subprocess.Popen[bytes]] = []
    try:
        with logs.open("ab") as log:
            processes.append(subprocess.Popen(
                [ray_bin, "start", "--head", f"--port={port}", "--include-dashboard=false",
                 f"--temp-dir={temp}", *common], env=env, stdout=log, stderr=log,
                start_new_session=True))
            _wait_for_port(port, 120)
            for _ in range(nodes - 1):
                processes.append(subprocess.Popen(
                    [ray_bin, "start", f"--address={address}", *common], env=env,
                    stdout=log, stderr=log, start_new_session=True))
        ray.init(address=address, log_to_driver=False, configure_logging=False)
        deadline = time.monotonic() + 120
        while ray.cluster_resources().get("CPU", 0) < cpus_per_node * nodes:
            if time.monotonic() > deadline:
                raise TimeoutError(f"the Ray cluster has not {nodes} nodes after 120 s "
                                   f"(see {logs})")
            time.sleep(0.5)
        yield address
    finally:
        if ray.is_initialized():
            ray.shutdown()
        for process in reversed(processes):
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
