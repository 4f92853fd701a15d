"""The public API is listed once in dermforge.__all__; this pins it."""

from __future__ import annotations

import subprocess
import sys

import dermforge

EXPECTED = {
    "AUGMENTED_CONDITIONS", "PAPER_CONDITIONS", "PAPER_TABLE1", "BlobStore", "Candidate",
    "Catalog", "Crop", "CropBox", "CurationVerdict", "DermforgeError", "DownloadFailure",
    "GenerationFailure", "GenerationRequest", "InputError", "IntegrityError", "Manifest", "Mask",
    "MissingExtraError", "MissingInputError", "Prompt", "PromptSlots", "RecordError", "Release",
    "ReleaseError", "ReleaseRow", "SamplingSpec", "Seed", "ServiceError", "SourceImage",
    "SplitMembership", "Workspace", "__version__", "import_folder", "load_catalog", "table1",
    "ImageError", "NotAReleaseError", "RefusedFileError", "StorageError",
}
PIPELINE = {
    "DownloadRun", "EvaluateRun", "GenerateRun", "ImportRun", "PrepareRun", "Progress",
    "SeedsRun", "SignalsStageRun", "SplitsRun", "StageRun", "default_cache_dir",
    "make_backend", "run_attach", "run_build", "run_curate", "run_download", "run_evaluate",
    "run_generate", "run_import", "run_prepare", "run_seeds", "run_signals", "run_splits",
    "run_sign", "default_signed_cache", "default_demo_keys", "run_demo_keys",
}

SIGNING = {
    "IPTC_NEWSCODES", "PROVENANCE_LABEL", "SOURCE_TYPES", "Credentials", "ImageProvenance",
    "ImageSigner", "SignedImageCache", "SourceType", "embed_source_type", "has_manifest",
    "mark_image", "read_credentials", "read_source_type", "signing_key", "source_type_for",
    "source_type_uri", "SIGNATURE_NAME", "FolderSignatureReport", "public_key_fingerprint",
    "sign_folder", "verify_folder", "SignResult", "sign_release", "DEMO_ORGANIZATION",
    "DemoKeys", "create_demo_keys", "is_demo_certificate", "ingredient_problems",
    "SIGNATURE_METHODS", "SignatureMethod", "signature_method",
}


def test_all_is_pinned() -> None:
    assert set(dermforge.__all__) == EXPECTED
    assert len(dermforge.__all__) == len(set(dermforge.__all__))


def test_the_pipeline_api_is_pinned() -> None:
    from dermforge import pipeline

    assert set(pipeline.__all__) == PIPELINE
    assert all(hasattr(pipeline, name) for name in pipeline.__all__)


def test_the_signing_api_is_pinned_and_its_extras_are_imported_only_when_used() -> None:
    from dermforge import signing

    assert set(signing.__all__) == SIGNING
    assert all(hasattr(signing, name) for name in signing.__all__)
    code = ("import sys, dermforge.signing; "
            "print('c2pa' in sys.modules, 'model_signing' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False False"


def test_every_name_in_all_exists() -> None:
    for name in dermforge.__all__:
        assert hasattr(dermforge, name), name


def test_import_does_not_pull_heavy_optional_modules() -> None:
    code = ("import sys, dermforge, dermforge.cli; "
            "print(sorted(m for m in ('torch', 'torchvision', 'playwright', 'fastapi') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
