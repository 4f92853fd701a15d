"""Run every benchmark module in bench/ in turn with its default settings.

    python -m bench                    # all (bench_eval alone takes about an hour on 2 cores)
    python -m bench bench_build ...    # only the named modules

Each module also runs on its own with its own options: `python -m bench.bench_x --help`.
"""

from __future__ import annotations

import pkgutil
import runpy
import sys
from pathlib import Path

if __name__ == "__main__":
    names = sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)])
                   if m.name.startswith("bench_"))
    only = set(sys.argv[1:])
    unknown = only - set(names)
    if unknown:
        sys.exit(f"unknown benchmark(s) {sorted(unknown)}; choose from {names}")
    for name in names:
        if not only or name in only:
            print(f"== bench.{name}", flush=True)
            sys.argv = [f"bench.{name}"]
            runpy.run_module(f"bench.{name}", run_name="__main__")
