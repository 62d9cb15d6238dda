"""The start-up fast path of ``hegui label show`` and ``hegui label add``: no typer, click, rich or pydantic.

Importing the typer application costs more than reading a file: typer and its click take about 70 ms on a small
machine, and typer 0.29 adds pydantic (about 50 ms) when it converts the first parameter. So the console entry
point (:mod:`hegui.__main__`) first offers the command line to :func:`run`. A well-formed invocation of the two hot
commands is parsed here by the rules click applies (long options with ``=`` or a separate value, clustered short
flags, ``-j4``, ``--`` and ``-`` as arguments, options between arguments, the last value of a repeated option
wins) into the same arguments, and run by the same bodies (:mod:`hegui.cli._label`) as the typer commands.

Whenever this parser is not sure, :func:`run` returns ``None`` before any file is touched and the typer application
runs instead, which prints its usual help or error: ``--help``, an unknown or malformed option, a missing value or
argument, a value typer would reject (``--jobs`` out of range or not plain digits, an unreadable path), a usage error
found by the plan, a hegui.toml that cannot be read, shell completion. ``tests/cli/test_fast_start.py`` checks that
the tables below match the typer commands and that both paths print the same.
"""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

# option -> (parameter, value): None when the option takes a value, else the flag's value.
Options = dict[str, tuple[str, bool | None]]

# What both commands take: recursion and the output forms.
_COMMON_OPTIONS: Options = {
    "--recursive": ("recursive", True),
    "-r": ("recursive", True),
    "--json": ("as_json", True),
    "--jsonl": ("as_jsonl", True),
    "--quiet": ("quiet", True),
    "-q": ("quiet", True),
}
_COMMON_DEFAULTS: dict[str, Any] = {"recursive": False, "as_json": False, "as_jsonl": False, "quiet": False}

ADD_OPTIONS: Options = {
    **_COMMON_OPTIONS,
    "--producer": ("producer", None),
    "--produce-id": ("produce_id", None),
    "--label": ("label", None),
    "--propagator": ("propagator", None),
    "--propagate-id": ("propagate_id", None),
    "--reserved1": ("reserved1", None),
    "--reserved2": ("reserved2", None),
    "--output": ("output", None),
    "-o": ("output", None),
    "--skip-labeled": ("skip_labeled", True),
    "--no-skip-labeled": ("skip_labeled", False),
    "--replace-foreign": ("replace_foreign", True),
    "--in-place": ("in_place", True),
    "--copy": ("in_place", False),
    "--fsync": ("fsync", True),
    "--no-fsync": ("fsync", False),
}
ADD_DEFAULTS: dict[str, Any] = {
    **_COMMON_DEFAULTS,
    "producer": None,
    "produce_id": "auto",
    "label": "1",
    "propagator": "",
    "propagate_id": "",
    "reserved1": "",
    "reserved2": "",
    "output": None,
    "skip_labeled": None,
    "replace_foreign": False,
    "in_place": True,
    "fsync": True,
}
SHOW_OPTIONS: Options = {**_COMMON_OPTIONS, "--jobs": ("jobs", None), "-j": ("jobs", None)}
SHOW_DEFAULTS: dict[str, Any] = {**_COMMON_DEFAULTS, "jobs": 1}
JOBS_RANGE = (1, 64)
EXIT_INTERRUPTED = 130  # what typer exits with on Ctrl-C


def parse(args: list[str], options: Options) -> tuple[list[str], dict[str, Any]] | None:
    """``(arguments, {parameter: value})`` as click would parse ``args`` against ``options``; None when click
    would report an error (unknown option, a flag given a value, an option missing its value)."""
    values: dict[str, Any] = {}
    arguments: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if arg == "--":
            arguments.extend(args[i:])
            break
        if arg[:1] != "-" or arg == "-":
            arguments.append(arg)
            continue
        if arg.startswith("--"):
            name, eq, explicit = arg.partition("=")
            spec = options.get(name)
            if spec is None:
                return None
            dest, flag = spec
            if flag is not None:
                if eq:
                    return None
                values[dest] = flag
            elif eq:
                values[dest] = explicit
            elif i < len(args):
                values[dest] = args[i]
                i += 1
            else:
                return None
            continue
        for pos in range(1, len(arg)):  # short options: -rq, -j4, -o out.png, -qo out.png
            spec = options.get("-" + arg[pos])
            if spec is None:
                return None
            dest, flag = spec
            if flag is not None:
                values[dest] = flag
                continue
            if pos + 1 < len(arg):
                values[dest] = arg[pos + 1 :]
            elif i < len(args):
                values[dest] = args[i]
                i += 1
            else:
                return None
            break
    return arguments, values


def _path(value: str) -> Path | None:
    """A path argument as typer converts it (readable if it exists); None where typer would refuse it."""
    try:
        os.stat(value)
    except (OSError, ValueError):
        return Path(value)
    return Path(value) if os.access(value, os.R_OK) else None


def _jobs(value: Any) -> int | None:
    if isinstance(value, int):
        return value
    if not (value.isascii() and value.isdigit()):
        return None
    jobs = int(value)
    return jobs if JOBS_RANGE[0] <= jobs <= JOBS_RANGE[1] else None


def _completing() -> bool:
    """A shell asks for completions (typer reads ``_HEGUI_COMPLETE``)."""
    return any(name.startswith("_") and name.endswith("_COMPLETE") for name in os.environ)


def arguments(argv: list[str]) -> tuple[str, list[Path], dict[str, Any]] | None:
    """``(command, paths, {parameter: value})`` for ``hegui ARGV``, converted as the typer command converts them;
    None unless ARGV is a plain ``label show`` / ``label add`` that typer would accept."""
    if len(argv) < 3 or argv[0] != "label" or argv[1] not in ("show", "add") or _completing():
        return None
    options, defaults = (SHOW_OPTIONS, SHOW_DEFAULTS) if argv[1] == "show" else (ADD_OPTIONS, ADD_DEFAULTS)
    parsed = parse(argv[2:], options)
    if parsed is None or not parsed[0]:
        return None
    given, values = parsed[0], {**defaults, **parsed[1]}
    paths = [path for path in map(_path, given) if path is not None]
    if len(paths) != len(given):
        return None
    if values.get("output") is not None:
        output = _path(values["output"])
        if output is None:
            return None
        values["output"] = output
    if "jobs" in values:
        jobs = _jobs(values["jobs"])
        if jobs is None:
            return None
        values["jobs"] = jobs
    return argv[1], paths, values


def run(argv: list[str]) -> int | None:
    """Run ``hegui ARGV`` when it is a plain ``label show`` / ``label add``; return its exit code, or None (nothing
    done) for the typer application to run it."""
    found = arguments(argv)
    if found is None:
        return None
    command, paths, values = found
    from hegui.cli import _label
    from hegui.errors import HeguiError

    plan = _label.plan_show if command == "show" else _label.plan_add
    try:
        work = plan(paths, **values)
    except (_label.Usage, HeguiError):  # typer reports it, in its words
        return None
    return _standalone(work)


class _Pacified:
    """Swallows the broken-pipe error of the final flush (click's PacifyFlushWrapper)."""

    def __init__(self, wrapped: IO[Any]) -> None:
        self.wrapped = wrapped

    def flush(self) -> None:
        try:
            self.wrapped.flush()
        except OSError as exc:
            if exc.errno != errno.EPIPE:
                raise

    def __getattr__(self, name: str) -> Any:
        return getattr(self.wrapped, name)


def _standalone(work: Callable[[], int]) -> int:
    """Run a command as typer's standalone mode does: Ctrl-C exits 130, a closed pipe (``| head``) exits 1."""
    try:
        return work()
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except OSError as exc:
        if exc.errno != errno.EPIPE:
            raise
        sys.stdout = _Pacified(sys.stdout)
        sys.stderr = _Pacified(sys.stderr)
        return 1
