"""What every command shares: the ``--json`` envelope, and one mapping from hegui errors to exit codes.

Exit codes (docs/cli.md): 0 nothing found, 1 findings, 2 usage error, 3 input error (unreadable, missing extra,
database unreachable). A command body runs inside :func:`errors_to_exit`; its JSON goes through :func:`emit_json`.
typer, rich and hegui.results are imported where they are used: the start-up fast path (:mod:`hegui.cli._fast`)
imports this module and none of them.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator, Mapping
from functools import cache
from typing import TYPE_CHECKING, Any

from hegui.errors import EXIT_FINDINGS, EXIT_OK, HeguiError

if TYPE_CHECKING:
    import typer
    from rich.console import Console
    from rich.progress import Progress

    from hegui.results import ToDict


@cache
def err_console() -> Console:
    """The stderr console (errors, progress bars), made on first use: a command that succeeds without a progress
    bar never imports rich."""
    from rich.console import Console

    return Console(stderr=True)


def progress_bar(
    *,
    enabled: bool = True,
    console: Console | None = None,
    description: str = "[progress.description]{task.description}",
) -> Progress:
    """The transient progress bar every long command shows on stderr (description, bar, n/total, elapsed)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn(description),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console or err_console(),
        transient=True,
        disable=not enabled,
    )


def emit_json(payload: Mapping[str, Any] | ToDict, **identity: Any) -> None:
    """Print the one JSON object of a command: ``hegui_version``, identity (lexicon, catalogue), payload."""
    from hegui.results import envelope

    sys.stdout.write(json.dumps(envelope(payload, **identity), ensure_ascii=False, indent=1) + "\n")


def one_line(message: str) -> str:
    """The first line of a message (libraries such as lxml and YAML put context on further lines)."""
    lines = [line for line in message.strip().splitlines() if line.strip()]
    if len(lines) <= 1:
        return message.strip()
    return lines[0] + f" (+{len(lines) - 1} more lines)"


def fail(exc: HeguiError) -> typer.Exit:
    """Print ``error: ...`` on stderr and return the exit that matches the error's class."""
    import typer
    from rich.markup import escape

    err_console().print(f"[red]error:[/red] {escape(one_line(str(exc)))}")
    return typer.Exit(exc.exit_code)


@contextlib.contextmanager
def errors_to_exit() -> Iterator[None]:
    """Turn a hegui error raised inside the block into its message and exit code."""
    try:
        yield
    except HeguiError as exc:
        raise fail(exc) from None


def exit_for(found: bool) -> typer.Exit:
    import typer

    return typer.Exit(EXIT_FINDINGS if found else EXIT_OK)
