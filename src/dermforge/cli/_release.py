"""`dermforge build | verify | audit`: versioned release folders and their integrity."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ._common import (
    JsonOption,
    ReleaseArgument,
    WorkspaceOption,
    err,
    out,
    print_json,
    progress_bars,
)
from ._stageopts import ParamsOption

if TYPE_CHECKING:
    from rich.progress import Progress

    from ..errors import DermforgeError

__all__ = ["audit", "build", "register", "verify"]


def _progress(label: str) -> Progress:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    return Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=err, transient=True)


def build(
    workspace: WorkspaceOption,
    out_dir: Annotated[Path, typer.Option("--out", help="release folder to create (must not "
                                          "exist)")],
    release_version: Annotated[str | None, typer.Option(
        "--release-version", metavar="X.Y.Z", help="the DATASET's version, X.Y.Z (not "
        "dermforge's; default: params build.version)")] = None,
    previous: Annotated[Path | None, typer.Option(
        "--previous", metavar="RELEASE", help="the previous release folder, to diff "
        "against")] = None,
    created: Annotated[str | None, typer.Option(
        "--created", help="release time, ISO 8601 with zone (default: $SOURCE_DATE_EPOCH, "
        "else the newest verdict)")] = None,
    git_revision: Annotated[str | None, typer.Option(
        "--git-revision", help="code revision to record in release.json (default: the "
        "last commit of the dermforge source, +dirty when it has uncommitted changes)")] = None,
    params: ParamsOption = None,
    as_json: JsonOption = False,
    old_version: Annotated[str | None, typer.Option(
        "--version", hidden=True, help="deprecated: --release-version")] = None,
) -> None:
    """Build a versioned dataset folder that `datasets.load_dataset` loads."""
    from .._params import load_section
    from ..builder import BuildParams
    from ..curation import CurateParams
    from ..pipeline import run_build

    version = _release_version(release_version, old_version)
    when = _created(created)
    build_params = load_section(params, "build", BuildParams)
    curate_params = load_section(params, "curate", CurateParams)
    with progress_bars() as progress:
        result = run_build(workspace, build_params, curate_params, out=out_dir,
                           version=version, previous=previous, created=when,
                           git_revision=git_revision, progress=progress)
    for path in result.cleaned:
        (err if as_json else out).print(f"removed {path}, left by a killed build")
    release = result.release
    if as_json:
        print_json({"path": result.path, "name": release.name, "version": release.version,
                    "counts": release.counts, "changelog": release.changelog})
        return
    counts = ", ".join(f"{release.counts[k]} {k}" for k in
                       ("synthetic", "candidates", "seeds", "experiments"))
    out.print(f"{release.name} {release.version}: {counts}")
    for line in release.changelog[:10]:
        out.print(f"  {line}")
    out.print(f"release: {result.path}")


def _release_version(release_version: str | None, old_version: str | None) -> str | None:
    """--release-version, or the deprecated ``build --version`` (kept for one version)."""
    from ..errors import InputError

    if old_version is None:
        return release_version
    if release_version is not None:
        raise InputError(f"both --release-version {release_version!r} and the deprecated "
                         f"--version {old_version!r} given", fix="give --release-version only")
    err.print("warning: `dermforge build --version` is deprecated and will be removed in the "
              "next version; use --release-version (the dataset's version; `dermforge "
              "--version` prints dermforge's)")
    return old_version


def _created(created: str | None) -> datetime | None:
    from ..errors import InputError

    if created is None:
        return None
    try:
        return datetime.fromisoformat(created)
    except ValueError:
        raise InputError(f"--created {created!r} is not an ISO 8601 time",
                         fix="e.g. --created 2026-01-31T12:00:00+00:00") from None


_SHOWN = 100


def verify(
    release_dir: ReleaseArgument,
    public_key: Annotated[Path | None, typer.Option(
        "--public-key", metavar="PUB.pem", help="also check the release's detached signature "
        "(release.sig) against this PEM public key")] = None,
    trust_anchor: Annotated[Path | None, typer.Option(
        "--trust-anchor", metavar="CA.pem", help="in a signed release, validate every "
        "image's Content Credentials certificate chain against these PEM CA certificates "
        "(without it the manifests are checked but their chain is not), and a release.sig "
        "signed with a certificate")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object (see "
                                          "above) for scripts")] = False,
) -> None:
    """Check a release: files ⇄ MANIFEST.json ⇄ release.json, rows and images.

    Every file is checked against both records (listed, size, sha256; the card
    too), the rows in the shards against release.json's counts, every row is
    re-validated and every image re-hashed. Each disagreement names its file,
    config, row and field. With --public-key, the detached signature
    release.sig must be by that key and cover every file as it is now (each
    changed, missing or added file is named); a release.sig signed with a
    certificate (`dermforge sign --signature-method certificate`) is checked
    against --trust-anchor instead. Otherwise the signature is not checked and
    the output says so.

    Exit codes: 0 verified; 1 problems found; 2 RELEASE is not a release, bad usage.

    --json prints one JSON object on stdout (null where a key does not apply):
    {"ok", "root", "release": {"name", "version"},
     "checked": {"files", "rows", "images", "configs": {CONFIG: rows}},
     "signature": {"checked", "present", "signature", and when checked: "ok",
       "method": "key"|"certificate", "key_fingerprint", "error", "files",
       "changed", "missing", "added", "not_covered"},
     "marks": null for an unsigned release, else {"images", "labelled",
       "manifests", "chain": "checked"|"unchecked", "trust_anchor"},
     "problems": [{"file", "config", "row", "field", "problem"}],
     "error": {"message", "fix", "exit_code"}}
    """
    from ..builder import verify_release
    from ..errors import ReleaseError

    if as_json:
        _verify_json(release_dir, public_key, trust_anchor)
        return
    with _progress("verifying") as bar:
        task = bar.add_task("verify", total=None)
        report = verify_release(release_dir, on_file=lambda _f: bar.advance(task),
                                public_key=public_key, trust_anchor=trust_anchor)
    if report.ok:
        configs = ", ".join(f"{n} {c}" for c, n in report.counts.items())
        out.print(f"OK: {report.files} files match MANIFEST.json and release.json; "
                  f"{report.rows} rows ({configs}) match release.json's counts; "
                  f"{report.images} images match their sha256")
        out.print(_signature_line(report.signature))
        if report.marks is not None:
            out.print(_marks_line(report.marks))
        return
    for problem in report.problems[:_SHOWN]:
        err.print(f"problem: {problem}")
    if len(report.problems) > _SHOWN:
        err.print(f"… and {len(report.problems) - _SHOWN} more (`--json` lists them all)")
    raise ReleaseError(f"{release_dir} fails verification: {len(report.problems)} problem(s), "
                       "listed above", fix="do not use or publish it: restore the release "
                       "from its published copy, or rebuild it with `dermforge build`")


def _signature_line(block: dict[str, Any]) -> str:
    name = block.get("signature")
    if not block.get("checked"):
        state = "present" if block.get("present") else "absent (an unsigned release)"
        return (f"signature: {name} {state}; not checked (pass --public-key PUB.pem, or "
                "--trust-anchor CA.pem for one signed with a certificate)")
    uncovered: list[str] = block.get("not_covered") or []
    extra = f"; not covered by design: {', '.join(uncovered)}" if uncovered else ""
    how = "certificate chaining to the trust anchor, key" if block.get("method") == \
        "certificate" else "key"
    return (f"signature: {name} by {how} {block.get('key_fingerprint')} covers all "
            f"{block.get('files')} files{extra}")


def _marks_line(marks: dict[str, Any]) -> str:
    chain = (f"certificate chains validated against {marks['trust_anchor']}"
             if marks["chain"] == "checked" else
             "certificate chains not checked (pass --trust-anchor CA.pem)")
    return (f"images: {marks['labelled']} of {marks['images']} carry the AI-generated label "
            f"and {marks['manifests']} valid Content Credentials matching their rows; {chain}")


def _verify_json(release_dir: Path, public_key: Path | None,
                 trust_anchor: Path | None = None) -> None:
    from ..builder import verify_release
    from ..errors import DermforgeError

    try:
        report = verify_release(release_dir, public_key=public_key,
                                trust_anchor=trust_anchor)
    except DermforgeError as exc:
        typer.echo(json.dumps({"ok": False, "root": str(release_dir), "release": None,
                               "checked": {"files": 0, "rows": 0, "images": 0, "configs": {}},
                               "signature": None, "marks": None, "problems": [],
                               "error": _error_json(exc)},
                              indent=2, ensure_ascii=False))
        raise
    typer.echo(json.dumps(report.as_json(), indent=2, ensure_ascii=False))
    if not report.ok:
        raise typer.Exit(code=1)


def _error_json(exc: DermforgeError) -> dict[str, object]:
    return {"message": exc.message, "fix": exc.fix, "exit_code": exc.exit_code}


def audit(
    release_dir: ReleaseArgument,
    image_id: Annotated[str, typer.Argument(metavar="IMAGE_ID", help="an image_id (candidate "
                                            "id)")],
    as_json: Annotated[bool, typer.Option("--json", help="print JSON; an error prints "
                                          "{\"error\": {\"message\", \"fix\", "
                                          "\"exit_code\"}}")] = False,
    trust_anchor: Annotated[Path | None, typer.Option(
        "--trust-anchor", metavar="CA.pem", help="signed release: the PEM CA certificate(s) "
        "the image's Content Credentials must chain to (unchecked without it)")] = None,
) -> None:
    """Print an image's whole lineage, from the release folder alone.

    A signed release (`dermforge sign`) also shows the image's marks: its XMP
    digital source type and its C2PA manifest's assertions, beside the record.

    Exit codes: 0 printed, and the image's bytes match its sha256 (and, signed,
    its marks agree with its row);
    1 the release is bad (the image's bytes do not match its sha256, its marks
    disagree with its row, its seeds row is missing, a shard or release.json is
    unreadable);
    2 RELEASE is not a release, or IMAGE_ID is not in it (a usage error: check
    the id; `dermforge verify` tells whether images were removed).
    """
    from ..builder import audit_image, render_audit
    from ..errors import DermforgeError, IntegrityError

    try:
        lineage = audit_image(release_dir, image_id, trust_anchor=trust_anchor)
    except DermforgeError as exc:
        if as_json:
            typer.echo(json.dumps({"error": _error_json(exc)}, indent=2, ensure_ascii=False))
        raise
    if as_json:
        typer.echo(json.dumps(lineage, indent=2, ensure_ascii=False, default=str))
    else:
        typer.echo(render_audit(lineage), nl=False)
    image = lineage["image"]
    if not image["sha256_verified"]:
        raise IntegrityError(f"image {image_id} in {release_dir}: its bytes do not hash to the "
                             f"sha256 its row records ({image['sha256']})",
                             fix="run `dermforge verify` on the release; restore it from its "
                                 "published copy, or rebuild it")
    differ = lineage.get("marks", {}).get("disagreements", [])
    if differ:
        raise IntegrityError(f"image {image_id} in {release_dir}: its marks disagree with its "
                             f"row ({len(differ)}): " + "; ".join(differ),
                             fix="run `dermforge verify` on the release; restore it from its "
                                 "published copy, or sign the unsigned release again")


def register(app: typer.Typer) -> None:
    app.command("build")(build)
    app.command("verify")(verify)
    app.command("audit")(audit)
