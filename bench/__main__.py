"""Run every benchmark module in bench/ in turn (`python -m bench`)."""

from __future__ import annotations

import pkgutil
import runpy
import sys
from pathlib import Path

if __name__ == "__main__":
    names = sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)])
                   if m.name.startswith("bench_"))
    only = set(sys.argv[1:])
    for name in names:
        if not only or name in only:
            print(f"== bench.{name}", flush=True)
            runpy.run_module(f"bench.{name}", run_name="__main__")
