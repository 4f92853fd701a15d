"""Options renamed for one CLI vocabulary: using an old name is a usage error (exit 2) that
names the new one, not a bare "no such option"."""

from __future__ import annotations

from typer._click import exceptions as click

__all__ = ["RENAMED", "renamed_hint"]

#: (command path after `dermforge`, or "*" for every command, old option) → what to use now
RENAMED: dict[tuple[str, str], str] = {
    ("generate", "--rate-limit"): "--images-per-minute (the same number: images per minute)",
    ("sources download", "--rate-limit"): "--requests-per-second (the same number: requests "
                                          "per second, all hosts together)",
    ("*", "--conditions"): "-c/--condition (repeat it, or separate labels with commas)",
    ("splits", "--format"): "--json for JSON (markdown is the default)",
    ("splits", "-f"): "--json for JSON (markdown is the default)",
}


def renamed_hint(exc: click.UsageError) -> str | None:
    """The message for a usage error caused by an old option name, or None."""
    path = exc.ctx.command_path.partition(" ")[2] if exc.ctx is not None else ""
    if isinstance(exc, click.NoSuchOption):
        new = RENAMED.get((path, exc.option_name)) or RENAMED.get(("*", exc.option_name))
        return None if new is None else f"option {exc.option_name} was renamed: use {new}"
    if isinstance(exc, click.BadParameter) and exc.param is not None \
            and "--format" in exc.param.opts and "'json'" in exc.format_message():
        return "--format json was replaced by --json (--format takes md or csv)"
    return None
