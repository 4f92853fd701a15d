"""What `publish` refuses, before anything leaves the machine or when the Hub says no."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from dermforge.builder import write_manifest
from dermforge.errors import InputError, NotAReleaseError, ReleaseError
from dermforge.hub import check_publishable, publish_release, scrub
from hub.helpers import REPO, TOKEN, LocalRelease, clean_env, files_containing, publish_cli
from servers.hub_server import HubServer

MakeRelease = Callable[..., LocalRelease]


def _publish(release: LocalRelease, hub: HubServer, tag: str = "v1.0.0") -> None:
    publish_release(release.root, REPO, tag, endpoint=hub.url, unvalidated=True, unsigned=True)


def test_missing_token_is_a_clear_error(make_release: MakeRelease, hub: HubServer,
                                        tmp_path: Path) -> None:
    release = make_release()
    with pytest.raises(InputError, match="HF_TOKEN is not set"):
        _publish(release, hub)
    proc = publish_cli(release.root, REPO, "v1.0.0", clean_env(tmp_path / "home",
                                                                HF_ENDPOINT=hub.url), tmp_path)
    assert proc.returncode == 2
    assert "HF_TOKEN" in proc.stderr and "export HF_TOKEN" in proc.stderr
    assert hub.requests == []


def test_tampered_file_is_refused_naming_it(make_release: MakeRelease, hub: HubServer,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    release = make_release()
    shard = release.root / "data" / "synthetic" / "train-00001-of-00002.parquet"
    data = bytearray(shard.read_bytes())
    data[len(data) // 2] ^= 0x01
    shard.write_bytes(bytes(data))
    with pytest.raises(ReleaseError, match="fails `dermforge verify`") as info:
        _publish(release, hub)
    assert "data/synthetic/train-00001-of-00002.parquet: changed" in str(info.value)
    assert "MANIFEST.json records" in str(info.value)
    assert hub.requests == []


def test_missing_and_unlisted_files_are_refused(make_release: MakeRelease) -> None:
    release = make_release()
    (release.root / "notes.txt").write_text("scratch")
    with pytest.raises(ReleaseError, match=r"notes\.txt: not listed in MANIFEST\.json"):
        check_publishable(release.root, "v1.0.0")
    write_manifest(release.root)  # listing it in MANIFEST.json is not enough
    with pytest.raises(ReleaseError, match=r"notes\.txt: not listed in release\.json"):
        check_publishable(release.root, "v1.0.0")
    (release.root / "notes.txt").unlink()
    write_manifest(release.root)
    (release.root / "data" / "synthetic" / "train-00000-of-00002.parquet").unlink()
    with pytest.raises(ReleaseError, match=r"train-00000-of-00002\.parquet: missing: listed "
                       r"in MANIFEST\.json and release\.json"):
        check_publishable(release.root, "v1.0.0")


def test_not_a_release_folder(tmp_path: Path) -> None:
    """A hand-made folder (card and MANIFEST.json, no release.json) is not a dermforge release:
    publishing needs one that `dermforge build` wrote."""
    (tmp_path / "README.md").write_text("# hi\n")
    with pytest.raises(NotAReleaseError, match=r"is not a release: it has neither release\.json"):
        check_publishable(tmp_path, "v1.0.0")
    write_manifest(tmp_path)
    with pytest.raises(ReleaseError, match=r"release\.json: missing"):
        check_publishable(tmp_path, "v1.0.0")
    with pytest.raises(NotAReleaseError, match="does not exist"):
        check_publishable(tmp_path / "nope", "v1.0.0")


@pytest.mark.parametrize("tag", ["1.0.0", "v1.0", "v1.0.0-rc1", "latest"])
def test_tag_must_be_vX_Y_Z(make_release: MakeRelease, tag: str) -> None:
    with pytest.raises(InputError, match=r"vX\.Y\.Z"):
        check_publishable(make_release().root, tag)


def test_tag_must_match_the_stated_version(make_release: MakeRelease) -> None:
    release = make_release("1.2.0", shards=1)
    with pytest.raises(ReleaseError, match=r"release version '1\.2\.0'") as info:
        check_publishable(release.root, "v1.0.0")
    assert "--tag v1.2.0" in str(info.value)
    assert check_publishable(release.root, "v1.2.0", unvalidated=True,
                             unsigned=True).version == "1.2.0"


def test_repo_other_than_the_cards_is_refused(make_release: MakeRelease, hub: HubServer,
                                              tmp_path: Path) -> None:
    """The card tells users to load REPO at v1.0.0; uploading it elsewhere would make it lie."""
    release = make_release(shards=1)
    env = clean_env(tmp_path / "home", HF_ENDPOINT=hub.url, HF_TOKEN=TOKEN)
    proc = publish_cli(release.root, "other-org/elsewhere", "v1.0.0", env, tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert "--repo 'other-org/elsewhere' differs from the repository " \
        f"'{REPO}'" in proc.stderr
    assert f"publish with --repo {REPO}" in proc.stderr
    assert "build.repo_id: other-org/elsewhere" in proc.stderr
    assert hub.requests == []


def test_a_version_edited_in_release_json_is_refused(make_release: MakeRelease) -> None:
    """Edit release.json's version and re-hash MANIFEST.json: croissant.json (whose sha256
    release.json records) still states the built version."""
    release = make_release(shards=1)
    path = release.root / "release.json"
    data = json.loads(path.read_text())
    data["version"] = "2.0.0"
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    write_manifest(release.root)
    with pytest.raises(ReleaseError, match=r"croissant\.json: version is '1\.0\.0'; "
                       r"release\.json states '2\.0\.0'"):
        check_publishable(release.root, "v2.0.0")


@pytest.mark.parametrize("repo_id", ["noslash", "a/b/c", "org/", "/name", "org/na me"])
def test_repo_id_must_be_org_name(make_release: MakeRelease, hub: HubServer, repo_id: str,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    with pytest.raises(InputError, match="ORG/NAME"):
        publish_release(make_release().root, repo_id, "v1.0.0", endpoint=hub.url,
                        unvalidated=True, unsigned=True)


def test_offline_mode_refuses_to_publish(make_release: MakeRelease, hub: HubServer,
                                         tmp_path: Path) -> None:
    env = clean_env(tmp_path / "home", HF_ENDPOINT=hub.url, HF_TOKEN=TOKEN, HF_HUB_OFFLINE="1")
    proc = publish_cli(make_release().root, REPO, "v1.0.0", env, tmp_path)
    assert proc.returncode == 2
    assert "HF_HUB_OFFLINE" in proc.stderr and "unset HF_HUB_OFFLINE" in proc.stderr
    assert hub.requests == []


def test_hub_error_becomes_service_error_without_the_token(
        make_release: MakeRelease, hub: HubServer, tmp_path: Path) -> None:
    # a (buggy) server that echoes the credentials back in its error message
    hub.fail("POST", r"/preupload/", 403, f"token {TOKEN} cannot write to derm-lab")
    env = clean_env(tmp_path / "home", HF_ENDPOINT=hub.url, HF_TOKEN=TOKEN)
    proc = publish_cli(make_release().root, REPO, "v1.0.0", env, tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert "HTTP 403" in proc.stderr and "uploading" in proc.stderr
    assert "no write access" in proc.stderr  # the fix
    assert "<HF_TOKEN redacted>" in proc.stderr
    assert TOKEN not in proc.stdout + proc.stderr
    assert files_containing(tmp_path, TOKEN) == []
    repo = hub.repo(REPO)
    assert repo.tags == {} and len(repo.commits) == 1  # only the repo's initial commit


def test_wrong_token_is_rejected_by_the_hub(make_release: MakeRelease, hub: HubServer,
                                            tmp_path: Path) -> None:
    env = clean_env(tmp_path / "home", HF_ENDPOINT=hub.url, HF_TOKEN="hf_wrong_token_123")
    proc = publish_cli(make_release().root, REPO, "v1.0.0", env, tmp_path)
    assert proc.returncode == 1
    assert "HTTP 401" in proc.stderr and "creating dataset repository" in proc.stderr
    assert "hf_wrong_token_123" not in proc.stderr + proc.stdout


def test_lfs_upload_path(make_release: MakeRelease, tmp_path: Path) -> None:
    """With HF_HUB_DISABLE_XET=1 and a Hub that wants parquet in LFS, shards go batch/PUT/verify."""
    release = make_release()
    with HubServer(token=TOKEN, lfs_suffixes=(".parquet",)) as hub:
        env = clean_env(tmp_path / "home", HF_ENDPOINT=hub.url, HF_TOKEN=TOKEN,
                        HF_HUB_DISABLE_XET="1")
        proc = publish_cli(release.root, REPO, "v1.0.0", env, tmp_path)
        assert proc.returncode == 0, proc.stderr
        commit = hub.repo(REPO).resolve("v1.0.0")
        assert commit is not None
        shards = {p: f for p, f in commit.files.items() if p.endswith(".parquet")}
        local = sorted(p.relative_to(release.root).as_posix()
                       for p in release.root.glob("data/*/*.parquet"))
        assert sorted(shards) == local and len(local) == 7  # 2 synthetic, 3 candidates, …
        assert all(f.lfs for f in shards.values())
        for path, stored in shards.items():
            assert stored.content == (release.root / path).read_bytes()
        puts = [r for r in hub.requests if r.method == "PUT"]
        assert len(puts) == len(local) and all("authorization" not in r.headers for r in puts)
        assert TOKEN not in proc.stdout + proc.stderr


def test_scrub_replaces_every_occurrence() -> None:
    assert scrub(f"a {TOKEN} b {TOKEN}", TOKEN) == "a <HF_TOKEN redacted> b <HF_TOKEN redacted>"
    assert scrub("nothing here", TOKEN) == "nothing here"


def test_tag_created_concurrently_is_reported(make_release: MakeRelease, hub: HubServer,
                                              tmp_path: Path) -> None:
    """Someone tags v1.0.0 between our check and our tag: a ReleaseError, not a silent pass."""
    hub.fail("POST", r"/tag/", 409, "Tag v1.0.0 already exists")
    env = clean_env(tmp_path / "home", HF_ENDPOINT=hub.url, HF_TOKEN=TOKEN)
    proc = publish_cli(make_release().root, REPO, "v1.0.0", env, tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert f"created on {REPO} by someone else" in proc.stderr
    assert "--tag v1.0.1" in proc.stderr
    assert hub.repo(REPO).tags == {}


def test_card_rejected_by_the_hub_is_reported(make_release: MakeRelease, hub: HubServer,
                                              tmp_path: Path) -> None:
    hub.fail("POST", r"/api/validate-yaml", 400, "invalid metadata",
             body={"errors": [{"message": "license: must be a known licence id"}],
                   "warnings": []})
    env = clean_env(tmp_path / "home", HF_ENDPOINT=hub.url, HF_TOKEN=TOKEN)
    proc = publish_cli(make_release().root, REPO, "v1.0.0", env, tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert "Invalid metadata in README.md" in proc.stderr
    assert "must be a known licence id" in proc.stderr and "YAML header" in proc.stderr
    assert len(hub.repo(REPO).commits) == 1


def test_an_unvalidated_release_is_refused_unless_asked(make_release: MakeRelease,
                                                       hub: HubServer, tmp_path: Path) -> None:
    release = make_release()
    env = clean_env(tmp_path / "home", HF_ENDPOINT=hub.url, HF_TOKEN=TOKEN)
    proc = publish_cli(release.root, REPO, "v1.0.0", env, tmp_path, unvalidated=False)
    assert proc.returncode == 1, proc.stderr
    assert "is unvalidated: release.json 'evaluation' is null" in proc.stderr
    assert "dermforge attach" in proc.stderr and "--unvalidated" in proc.stderr
    assert hub.requests == []
    proc = publish_cli(release.root, REPO, "v1.0.0", env, tmp_path)
    assert proc.returncode == 0, proc.stderr
    tagged = hub.repo(REPO).resolve("v1.0.0")
    assert tagged is not None
    card = tagged.content()["README.md"].decode()
    assert "**This release is unvalidated**" in card
