"""Reviewer-written text (names, notes, reason codes) made safe to print in a card.

Verdict logs may hold any text — old logs predate the validator — so every such string is
escaped when the card or Croissant file is rendered, never trusted:

- :func:`plain_text`: one line (every control character, line or paragraph separator and
  invisible format character becomes a space, runs of spaces become one) of at most
  ``limit`` characters;
- :func:`md_text`: :func:`plain_text` that Markdown (CommonMark, GitHub's and the Hub's
  renderers) shows as the same text: no heading, list, table cell, emphasis, code, link,
  autolink, image or HTML can come out of it.
"""

from __future__ import annotations

import re

__all__ = ["md_text", "plain_text"]

#: every ASCII punctuation mark that starts or ends Markdown or HTML syntax mid-line
_MARKUP = re.compile(r"([\\`*_{}\[\]()<>#!|~&$])")
_SCHEME = re.compile(r"(?<=[A-Za-z0-9]):(?=//)")  # http://, ftp://… (GFM autolinks)
_WWW = re.compile(r"(?i)(?<![A-Za-z0-9])(www)\.")


def plain_text(value: str, limit: int = 100) -> str:
    text = " ".join("".join(c if c.isprintable() else " " for c in value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def md_text(value: str, limit: int = 100) -> str:
    text = _MARKUP.sub(r"\\\1", plain_text(value, limit))
    text = _SCHEME.sub(r"\\:", text)
    text = _WWW.sub(r"\1\\.", text)
    text = text.replace("@", "\\@")
    if text[:1] in ("-", "+", "="):  # a list item or setext line, were it to start a line
        text = "\\" + text
    return text
