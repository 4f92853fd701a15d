"""`dermforge --help` against a minimal one-command typer app's `--help`, run alongside.

    python -m bench.bench_cli_help [--runs 9] [--against OTHER/src]

Each run is a fresh interpreter (this one, ``sys.executable``) in a subprocess, as a user's
shell starts the console script: ``python -m dermforge --help`` with the dermforge source
this process imports, and ``python APP.py --help`` for a typer app of one command and one
option (the floor any typer CLI pays: Python, typer, rich). The runs are interleaved, so both
see the same machine load; the medians and their ratio are reported (goal: at most 2x).
``--against OTHER/src`` also times another checkout's `dermforge --help` in the same loop
(e.g. the code before a change), for a before/after figure.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import dermforge

MINIMAL_APP = '''\
import typer

app = typer.Typer()


@app.command()
def hello(name: str = "world") -> None:
    """Say hello."""
    print(f"hello {name}")


app()
'''


def timed(args: list[str], src: Path | None = None) -> float:
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = str(src)
    start = time.perf_counter()
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, env=env)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--against", type=Path, default=None,
                        help="another checkout's src/ folder to time alongside")
    args = parser.parse_args()
    here = Path(dermforge.__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as tmp:
        app = Path(tmp) / "minimal_app.py"
        app.write_text(MINIMAL_APP)
        commands = {"minimal typer app --help": ([sys.executable, str(app), "--help"], None),
                    "dermforge --help": ([sys.executable, "-m", "dermforge", "--help"], here)}
        if args.against is not None:
            commands[f"dermforge --help ({args.against})"] = (
                [sys.executable, "-m", "dermforge", "--help"], args.against.resolve())
        for argv, src in commands.values():  # warm the OS file cache and .pyc files
            timed(argv, src)
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, (argv, src) in commands.items():
                times[name].append(timed(argv, src))
    floor = statistics.median(times["minimal typer app --help"])
    print(f"dermforge from {here}; Python {sys.version.split()[0]}; {args.runs} runs each, "
          "interleaved")
    print("| command | median s | × minimal app | runs (s) |")
    print("|---|---|---|---|")
    for name, runs in times.items():
        median = statistics.median(runs)
        print(f"| {name} | {median:.3f} | {median / floor:.2f} | "
              f"{', '.join(f'{r:.2f}' for r in runs)} |", flush=True)


if __name__ == "__main__":
    main()
