"""Reviewer profiles: who may review, what they stated about themselves, and their token.

``records/reviewers.jsonl`` is append-only: ``add`` creates a profile (name, qualification,
role, the sha256 of a new random token, the date), ``revoke`` ends its token. The token
itself is returned once, by :func:`add_reviewer`, and stored nowhere. The workbench compares
the sha256 of a presented token with the profiles' (:meth:`ReviewerBook.by_token`) and
attributes the request's verdicts to that profile.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from filelock import FileLock

from ..errors import InputError
from ..schemas import QUALIFICATIONS, Qualification, ReviewerEvent, ReviewerRole
from ..store import Workspace
from ._human import check_qualification, check_reviewer

__all__ = ["Reviewer", "ReviewerBook", "add_reviewer", "book_from_events", "read_reviewers",
           "revoke_reviewer", "token_sha256"]


def token_sha256(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Reviewer:
    """A profile as it stands now (the latest ``add`` of the name, and whether revoked)."""

    name: str
    qualification: Qualification
    role: ReviewerRole
    token_sha256: str
    added_at: datetime
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    @property
    def adjudicator(self) -> bool:
        return self.role == "adjudicator"

    def as_dict(self) -> dict[str, object]:
        return {"name": self.name, "qualification": self.qualification, "role": self.role,
                "added_at": self.added_at.isoformat(),
                "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None}


@dataclass(frozen=True)
class ReviewerBook:
    """Every profile of a workspace, by name."""

    reviewers: dict[str, Reviewer]

    def __bool__(self) -> bool:
        return bool(self.reviewers)

    def active(self) -> list[Reviewer]:
        return [r for r in self.reviewers.values() if r.active]

    def get(self, name: str) -> Reviewer | None:
        return self.reviewers.get(name)

    def by_token(self, token: str) -> Reviewer | None:
        """The profile (active or revoked) whose token this is; None for no profile."""
        digest = token_sha256(token)
        found = None
        for reviewer in self.reviewers.values():
            if hmac.compare_digest(digest, reviewer.token_sha256):
                found = reviewer
        return found


def book_from_events(events: Iterable[ReviewerEvent]) -> ReviewerBook:
    """The profiles as the events (oldest first) leave them."""
    reviewers: dict[str, Reviewer] = {}
    for e in events:
        if e.event == "add":
            reviewers[e.name] = Reviewer(e.name, e.qualification, e.role, e.token_sha256, e.at)
        elif e.name in reviewers:
            reviewers[e.name] = replace(reviewers[e.name], revoked_at=e.at)
    return ReviewerBook(reviewers)


def read_reviewers(workspace: Workspace) -> ReviewerBook:
    """The workspace's profiles (an empty book when it has none)."""
    return book_from_events(workspace.manifest(ReviewerEvent).read())


def _lock(workspace: Workspace) -> FileLock:
    path = workspace.manifest(ReviewerEvent).path
    path.parent.mkdir(parents=True, exist_ok=True)
    return FileLock(str(path.parent / f".{path.name}.append.lock"))


def add_reviewer(workspace: Workspace, name: str, qualification: str, *,
                 adjudicator: bool = False, now: datetime | None = None
                 ) -> tuple[Reviewer, str]:
    """Add a profile; return it and its new token (shown once, stored only as its sha256).

    A name that already has an active profile, a name no person may use, or a qualification
    outside :data:`~dermforge.schemas.QUALIFICATIONS` is an InputError naming the value.
    A revoked name may be added again (a new token; the old one stays revoked)."""
    try:
        clean = check_reviewer(name)
    except ValueError as exc:
        raise InputError(f"reviewer name {name!r}: {exc}", fix="pick a printable pseudonym "
                         "of at most 64 characters that does not start with 'auto:'") from None
    try:
        stated = check_qualification(qualification)
    except ValueError:
        stated = None
    if stated is None:
        raise InputError(f"qualification {qualification!r} is not one of the vocabulary",
                         fix="pass --qualification with one of: "
                         + ", ".join(repr(q) for q in QUALIFICATIONS))
    token = secrets.token_urlsafe(24)
    when = now or datetime.now(UTC)
    with _lock(workspace):
        existing = read_reviewers(workspace).get(clean)
        if existing is not None and existing.active:
            raise InputError(f"reviewer {clean!r} already has a profile (added "
                             f"{existing.added_at.isoformat(timespec='seconds')})",
                             fix=f"pick another name, or `dermforge curate reviewers revoke "
                             f"{clean}` first to issue a new token")
        event = ReviewerEvent(event="add", name=clean, qualification=stated,
                              role="adjudicator" if adjudicator else "reviewer",
                              token_sha256=token_sha256(token), at=when)
        workspace.manifest(ReviewerEvent).append([event])
    return book_from_events([event]).reviewers[clean], token


def revoke_reviewer(workspace: Workspace, name: str, *, now: datetime | None = None
                    ) -> Reviewer:
    """End a profile's token (its verdicts stay); InputError for an unknown or revoked name."""
    with _lock(workspace):
        book = read_reviewers(workspace)
        existing = book.get(name)
        if existing is None or not existing.active:
            known = ", ".join(sorted(r.name for r in book.active())) or "none"
            state = "has no profile" if existing is None else "is already revoked"
            raise InputError(f"reviewer {name!r} {state} (active profiles: {known})",
                             fix="check the name with `dermforge curate reviewers list`")
        event = ReviewerEvent(event="revoke", name=name, qualification=existing.qualification,
                              role=existing.role, token_sha256=existing.token_sha256,
                              at=now or datetime.now(UTC))
        workspace.manifest(ReviewerEvent).append([event])
    return replace(existing, revoked_at=event.at)
