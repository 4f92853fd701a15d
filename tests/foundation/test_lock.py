"""The environment is locked: every distribution dermforge needs (runtime, eval, dev, ui,
transitively) is pinned in constraints.txt, and the installed version is the pinned one."""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

CONSTRAINTS = Path(__file__).resolve().parents[2] / "constraints.txt"


def pins() -> dict[str, str]:
    found = {}
    for line in CONSTRAINTS.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            match = re.fullmatch(r"([A-Za-z0-9_.\-]+)==([^\s;]+)", line)
            assert match, f"constraints.txt: {line!r} is not an exact pin NAME==VERSION"
            found[canonicalize_name(match.group(1))] = match.group(2)
    return found


def needed(root: str, extras: set[str]) -> set[str]:
    """Every distribution ``root[extras]`` requires, transitively, on this machine."""
    seen: set[str] = set()
    todo = [(root, frozenset(extras))]
    while todo:
        name, wanted = todo.pop()
        for text in metadata.requires(name) or []:
            req = Requirement(text)
            env = default_environment()
            if req.marker is not None and not any(
                    req.marker.evaluate({**env, "extra": e}) for e in (wanted or {""})):
                continue
            dist = canonicalize_name(req.name)
            if dist == canonicalize_name(root):
                todo.append((name, frozenset(req.extras) | wanted))
                continue
            if dist not in seen:
                seen.add(dist)
                todo.append((req.name, frozenset(req.extras)))
    return seen


def test_every_needed_distribution_is_pinned_at_its_installed_version() -> None:
    pinned = pins()
    wanted = needed("dermforge", {"dev", "eval", "ui"})
    assert {"pillow", "numpy", "pyarrow", "scikit-image", "datasets", "huggingface-hub",
            "torch", "torchvision", "pytest"} <= wanted
    unpinned = sorted(wanted - set(pinned))
    assert not unpinned, f"not pinned in constraints.txt: {unpinned}"
    drift = {d: (pinned[d], metadata.version(d)) for d in wanted
             if metadata.version(d) != pinned[d]}
    assert not drift, f"installed versions differ from constraints.txt: {drift}"
