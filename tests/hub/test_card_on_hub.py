"""The card as a dataset user meets it: huggingface_hub's own card classes read its YAML, its
sections follow huggingface_hub's dataset-card template, its BibTeX parses, and the load
snippets it shows, copied as they are, load this version from the Hub and from a download.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import bibtexparser
import huggingface_hub
import pytest
from huggingface_hub import DatasetCard, DatasetCardData

from dermforge.cards import SIZE_CATEGORIES, size_category
from hub.helpers import REPO, TOKEN, LocalRelease, clean_env, publish_cli, run_python
from servers.hub_server import HubServer

TEMPLATE = Path(huggingface_hub.__file__).parent / "templates" / "datasetcard_template.md"
#: DatasetCardData's documented options
ANNOTATION_CREATORS = {"found", "crowdsourced", "expert-generated", "machine-generated",
                       "no-annotation", "other"}

VALIDATE = """
import sys
from huggingface_hub import DatasetCard
DatasetCard.load(sys.argv[1]).validate(repo_type="dataset")
print("VALID")
"""

GROUPING = {"Dataset Details", "Uses", "Dataset Creation", "Source Data", "Annotations"}
COUNT = "\nprint('ROWS', {names})\n"


def _blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```$", text, re.MULTILINE | re.DOTALL)


def _headings(text: str) -> list[str]:
    return [re.sub(r"\s*\[optional\]$", "", m) for m in
            re.findall(r"^#{2,4} (.+?)\s*$", text, re.MULTILINE)]


@pytest.fixture
def release(make_release: object) -> LocalRelease:
    return make_release(shards=1)  # type: ignore[operator, no-any-return]


def test_yaml_is_read_by_huggingface_hub_card_classes(release: LocalRelease) -> None:
    card = DatasetCard.load(release.root / "README.md")
    data = card.data
    assert isinstance(data, DatasetCardData)
    assert DatasetCardData(**data.to_dict()).to_dict() == data.to_dict()
    rows = {i["config_name"]: i["splits"][0]["num_examples"] for i in data.dataset_info}
    assert rows == {"synthetic": 16, "candidates": 24, "seeds": 8, "experiments": 96,
                    "splits": 96}  # the deprecated alias of experiments
    assert data.size_categories == [size_category(max(rows.values()))]
    assert set(data.size_categories) <= set(SIZE_CATEGORIES)
    assert data.source_datasets == ["extended|other-fitzpatrick17k"]
    assert set(data.annotations_creators) <= ANNOTATION_CREATORS
    assert data.license == "cc-by-nc-sa-3.0" and data.pretty_name
    assert [c["config_name"] for c in data.configs] == ["synthetic", "candidates", "seeds",
                                                        "experiments", "splits"]
    assert data.configs[0]["default"] is True


@pytest.mark.parametrize(("rows", "label"), [
    (0, "n<1K"), (999, "n<1K"), (1000, "1K<n<10K"), (99_999, "10K<n<100K"),
    (10**8, "100M<n<1B"), (10**12 - 1, "100B<n<1T"), (10**12, "n>1T")])
def test_size_category_covers_every_hub_value(rows: int, label: str) -> None:
    assert size_category(rows) == label


def test_validate_yaml_through_the_local_hub(release: LocalRelease, hub: HubServer,
                                            tmp_path: Path) -> None:
    proc = run_python(["-c", VALIDATE, str(release.root / "README.md")],
                      clean_env(tmp_path / "home", HF_ENDPOINT=hub.url), tmp_path)
    assert proc.returncode == 0 and "VALID" in proc.stdout, proc.stderr
    calls = [r for r in hub.requests if r.path == "/api/validate-yaml"]
    assert len(calls) == 1
    body = json.loads(calls[0].body)
    assert body["repoType"] == "dataset"
    assert body["content"].startswith("---\n")


def test_sections_follow_the_hub_template_and_are_filled(release: LocalRelease) -> None:
    text = (release.root / "README.md").read_text()
    wanted = _headings(TEMPLATE.read_text())
    shown = _headings(text)
    assert [h for h in shown if h in wanted] == wanted, shown
    for placeholder in ("[More Information Needed]", "PATH_OR_REPO_ID", "{{ ", " }}", "{%", "%}"):
        assert placeholder not in text, placeholder
    # every template section but the ones that only group others has text of its own
    body = text.split("\n---\n", 1)[1]
    heads = list(re.finditer(r"^#{1,4} (.+?)\s*$", body, re.MULTILINE))
    for head, following in zip(heads, [*heads[1:], None], strict=True):
        content = body[head.end():following.start() if following else len(body)]
        if head.group(1) in set(wanted) - GROUPING:
            assert content.strip(), head.group(1)


def test_bibtex_parses_with_three_entries(release: LocalRelease) -> None:
    text = (release.root / "README.md").read_text()
    [block] = _blocks(text, "bibtex")
    library = bibtexparser.parse_string(block)
    assert library.failed_blocks == []
    entries = {e.key: e for e in library.entries}
    assert list(entries) == ["sagers2022improving", "groh2021evaluating",
                             "fitz17k-dalle-aug-v1.0.0"]
    assert entries["sagers2022improving"]["eprint"] == "2211.13352"
    assert "Synthetic Data for Empowering ML Research" in \
        entries["sagers2022improving"]["booktitle"]
    assert entries["groh2021evaluating"]["eprint"] == "2104.09957"
    own = entries["fitz17k-dalle-aug-v1.0.0"]
    assert own.entry_type == "misc" and own["version"] == "1.0.0"
    assert own["url"] == f"https://huggingface.co/datasets/{REPO}/tree/v1.0.0"
    assert own["year"] == str(json.loads((release.root / "release.json").read_text())
                              ["created"][:4])


def test_the_cards_snippets_load_this_version_from_the_hub_and_a_download(
        release: LocalRelease, hub: HubServer, tmp_path: Path) -> None:
    """Publish with the CLI, then run the card's own code blocks, unedited, in fresh
    processes: the Hub snippet (repo id + revision), `hf download`, the local snippet."""
    env = clean_env(tmp_path / "home-publisher", HF_ENDPOINT=hub.url, HF_TOKEN=TOKEN)
    proc = publish_cli(release.root, REPO, "v1.0.0", env, tmp_path)
    assert proc.returncode == 0, proc.stderr
    text = (release.root / "README.md").read_text()
    online, local = _blocks(text, "python")
    [download] = _blocks(text, "bash")
    names = re.findall(r"^(\w+) = load_dataset", online, re.MULTILINE)
    assert names == ["synthetic", "candidates", "seeds", "experiments"]
    assert online.count(f'load_dataset("{REPO}"') == 4 and online.count('revision="v1.0.0"') == 4
    count = COUNT.format(names="[" + ", ".join(f"{n}.num_rows" for n in names) + "]")
    user = clean_env(tmp_path / "home-user", HF_ENDPOINT=hub.url)
    expected = "ROWS [16, 24, 8, 96]"

    loaded = run_python(["-c", online + count], user, tmp_path)
    assert loaded.returncode == 0, loaded.stderr
    assert expected in loaded.stdout

    work = tmp_path / "user"
    work.mkdir()
    hf = Path(sys.executable).with_name("hf")
    args = shlex.split(download.strip())
    assert args[0] == "hf" and "--local-dir" in args
    got = subprocess.run([str(hf), *args[1:]], env=user, cwd=work, capture_output=True,
                         text=True, timeout=120, check=False)
    assert got.returncode == 0, got.stderr
    assert (work / args[args.index("--local-dir") + 1] / "MANIFEST.json").is_file()
    loaded = run_python(["-c", local + count], clean_env(tmp_path / "home-local"), work)
    assert loaded.returncode == 0, loaded.stderr
    assert expected in loaded.stdout
