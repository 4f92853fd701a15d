"""The Hub token (environment only) and Hub failures turned into dermforge errors, token-free."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

from ..errors import DermforgeError, InputError, ServiceError

__all__ = ["TOKEN_ENV", "hub_step", "hub_token", "scrub"]

TOKEN_ENV = "HF_TOKEN"  # noqa: S105 - the variable name, not a secret
_REDACTED = "<HF_TOKEN redacted>"


def hub_token(token: str | None = None) -> str:
    """The write token: ``token`` when given, else ``$HF_TOKEN``; refuses when neither is set."""
    value = token if token is not None else os.environ.get(TOKEN_ENV)
    if not value or not value.strip():
        raise InputError(
            f"no Hugging Face token: the environment variable {TOKEN_ENV} is not set",
            fix=f"export {TOKEN_ENV}=<a write token for the target organisation> "
                "(https://huggingface.co/settings/tokens); dermforge reads it from the "
                "environment only and never writes it anywhere")
    return value.strip()


def scrub(text: str, token: str) -> str:
    """``text`` with every occurrence of ``token`` replaced."""
    return text.replace(token, _REDACTED) if token else text


_STATUS_FIX = {
    400: "the Hub rejected the request as malformed; check the repository id and the card's "
         "YAML header (`dermforge verify DIR`)",
    401: f"the Hub rejected the token: check that {TOKEN_ENV} holds a valid token",
    402: "the organisation's plan does not allow this (private repositories need a paid plan)",
    403: f"the token in {TOKEN_ENV} has no write access to this organisation; use a write "
         "token from an account that is a member with write rights",
    404: f"the repository does not exist or the token in {TOKEN_ENV} cannot see it; check "
         "--repo ORG/NAME and the token's permissions",
    409: "the repository is in a conflicting state; check the repository on the Hub and retry",
    412: "someone else pushed to the repository during the upload; publish again",
    413: "a file is too large for the Hub's limits; rebuild with smaller shards",
    429: "the Hub is rate limiting this token; wait a few minutes and publish again",
}


@contextlib.contextmanager
def hub_step(what: str, *, token: str, endpoint: str) -> Iterator[None]:
    """Run one Hub operation; any failure becomes a ServiceError naming ``what``, token-free."""
    from huggingface_hub.errors import HfHubHTTPError, OfflineModeIsEnabled

    try:
        yield
    except DermforgeError:
        raise
    except OfflineModeIsEnabled:
        raise ServiceError(f"{what} failed: HF_HUB_OFFLINE=1 is set, so no request may reach "
                           f"{endpoint}", fix="unset HF_HUB_OFFLINE to publish") from None
    except HfHubHTTPError as exc:
        status = exc.response.status_code if exc.response is not None else None
        detail = scrub(str(exc), token)
        fix = _STATUS_FIX.get(status or 0, "the Hub is failing; wait and publish again "
                              "(publishing an unchanged release is safe to retry)")
        raise ServiceError(f"{what} failed with HTTP {status} from {endpoint}: {detail}",
                           fix=fix) from None
    except ValueError as exc:  # the client's own refusals, e.g. the Hub rejecting README.md
        raise ServiceError(f"{what} failed: the Hub client refused: {scrub(str(exc), token)}",
                           fix="fix what it names (for README.md: the card's YAML header), "
                               "rebuild the release and publish again") from None
    except Exception as exc:  # the client's transport and protocol errors
        detail = scrub(f"{type(exc).__name__}: {exc}", token)
        raise ServiceError(
            f"{what} failed talking to {endpoint}: {detail}",
            fix="check the endpoint (--endpoint or HF_ENDPOINT), the network and proxy "
                "settings (NO_PROXY for local endpoints), then publish again") from None
