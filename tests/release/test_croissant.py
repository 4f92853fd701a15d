"""`mlcroissant validate` accepts croissant.json — offline — and its records load."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from release.factory import Ready

GUARD = '''
import socket
def _refuse(*args, **kwargs):
    raise OSError("network access attempted during an offline test: %r" % (args,))
socket.socket.connect = _refuse
socket.socket.connect_ex = _refuse
socket.create_connection = _refuse
'''

LOAD = '''
import json, sys
import mlcroissant as mlc
ds = mlc.Dataset(jsonld=sys.argv[1])
counts = {}
for name in ("synthetic", "candidates", "seeds", "experiments"):
    counts[name] = sum(1 for _ in ds.records(name))
print(json.dumps(counts))
'''


def offline_env(tmp_path: Path) -> dict[str, str]:
    """sitecustomize makes every socket connection fail in the child process."""
    (tmp_path / "sitecustomize.py").write_text(GUARD)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), env.get("PYTHONPATH", "")])
    return env


def test_mlcroissant_validate_passes_offline(built: tuple[Ready, Path], tmp_path: Path) -> None:
    path = built[1] / "croissant.json"
    cli = Path(sys.executable).with_name("mlcroissant")
    result = subprocess.run([str(cli), "validate", "--jsonld", str(path)], capture_output=True,
                            text=True, env=offline_env(tmp_path), timeout=300)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log
    assert "Done." in log
    problems = [line for line in log.splitlines() if line[:1] in ("W", "E")
                and "network access attempted" not in line]
    assert not problems, problems
    assert "network access attempted" not in log


def test_every_record_set_loads_with_the_right_counts(built: tuple[Ready, Path],
                                                      tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-c", LOAD, str(built[1] / "croissant.json")],
                            capture_output=True, text=True, env=offline_env(tmp_path),
                            timeout=300, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    counts = json.loads(result.stdout.strip().splitlines()[-1])
    assert counts == {"synthetic": 16, "candidates": 24, "seeds": 8, "experiments": 96}


def test_rai_and_core_fields(built: tuple[Ready, Path]) -> None:
    doc = json.loads((built[1] / "croissant.json").read_text())
    assert doc["conformsTo"] == ["http://mlcommons.org/croissant/1.1",
                                 "http://mlcommons.org/croissant/RAI/1.0"]
    assert doc["license"] == "https://creativecommons.org/licenses/by-nc-sa/3.0/"
    assert doc["version"] == "1.0.0" and doc["citeAs"].startswith("@misc{")
    assert "Sagers" in doc["citation"][0] and "Groh" in doc["citation"][1]
    for key in ("rai:dataCollection", "rai:dataLimitations", "rai:dataBiases",
                "rai:dataUseCases", "rai:personalSensitiveInformation",
                "rai:dataAnnotationProtocol", "rai:dataReleaseMaintenancePlan"):
        assert doc[key], key
    assert any("leakage" in text for text in doc["rai:dataLimitations"])
