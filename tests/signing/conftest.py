"""The signing tests share one test PKI (see helpers.py)."""

from signing.helpers import pki

__all__ = ["pki"]
