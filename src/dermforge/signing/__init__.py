"""Signing a release: a detached signature over every file of a release folder
(OpenSSF ``model-signing``, key-based), verified by `dermforge verify --public-key` or by
``model_signing verify key`` without dermforge."""

from ._folder_sig import (
    SIGNATURE_NAME,
    FolderSignatureReport,
    public_key_fingerprint,
    sign_folder,
    verify_folder,
)

__all__ = ["SIGNATURE_NAME", "FolderSignatureReport", "public_key_fingerprint", "sign_folder",
           "verify_folder"]
