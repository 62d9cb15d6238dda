"""The bodies of ``hegui label add`` and ``hegui label show``, free of typer.

Each command is a plan (every check of the arguments; touches no file; raises :class:`Usage`, or a
:class:`~hegui.errors.HeguiError` from the settings) that returns its run (does the work, prints, returns the exit
code). Two callers share them: the typer commands in :mod:`hegui.cli.label` (``--help``, error rendering, ``CliRunner``) and
the start-up fast path :mod:`hegui.cli._fast`, which runs well-formed invocations without importing typer, rich or
pydantic. Nothing here may import them at module level (``tests/cli/test_fast_start.py``); hegui.results (two
dataclasses: about 2 ms to import) is imported for JSON output only.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from hegui.atomic import no_fsync
from hegui.cli._output import err_console, progress_bar
from hegui.errors import EXIT_FINDINGS, EXIT_INPUT, EXIT_OK, EXIT_USAGE, HeguiError
from hegui.label import (
    Item,
    ItemResult,
    Propagation,
    Record,
    ScanResult,
    expand,
    expand_id,
    label_many,
    read_many,
)
from hegui.label.record import parse_provider_code

Run = Callable[[], int]


class Usage(Exception):
    """A usage error (exit 2): the typer command reports it as click's ``BadParameter`` with ``hint``."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


def _envelope(command: str, payload: dict[str, Any]) -> dict[str, Any]:
    from hegui.results import envelope

    return envelope({"command": command, **payload})


def _write_line(text: str) -> None:
    sys.stdout.write(text + "\n")


def _items(paths: list[Path], recursive: bool) -> list[Item]:
    try:
        return expand(paths, recursive=recursive)
    except HeguiError as exc:
        raise Usage(exc.detail) from exc


@contextmanager
def _progress(total: int, enabled: bool) -> Iterator[Any]:
    """A transient progress bar on stderr for long runs (off when piped, quiet or machine output)."""
    if not enabled:
        yield None
        return
    with progress_bar() as progress:
        progress.add_task("working", total=total)
        yield progress


def _advance(progress: Any) -> None:
    if progress is not None:
        progress.advance(progress.task_ids[0])


# ---- add ----------------------------------------------------------------------------------------------------


def plan_add(
    paths: list[Path],
    *,
    producer: str | None,
    produce_id: str,
    label: str,
    propagator: str,
    propagate_id: str,
    reserved1: str,
    reserved2: str,
    output: Path | None,
    recursive: bool,
    skip_labeled: bool | None,
    replace_foreign: bool,
    in_place: bool,
    fsync: bool,
    as_json: bool,
    as_jsonl: bool,
    quiet: bool,
) -> Run:
    """Check the arguments of ``hegui label add`` (the options' defaults are those of the command) and return its
    run; no file is written. Raises :class:`Usage`, or the settings' :class:`HeguiError` when hegui.toml cannot be
    read."""
    if label not in ("1", "2", "3"):
        raise Usage("--label must be 1, 2 or 3", "--label")
    # A platform adding its fields (--propagator only) keeps the producer's.
    if producer is None and not propagator:
        from hegui.config import load_config

        # HEGUI_PRODUCER, or producer in ./hegui.toml / the user's hegui.toml
        producer = load_config().producer
    if producer is None and not propagator:
        raise Usage(
            "give --producer (or set HEGUI_PRODUCER / producer in hegui.toml), or --propagator to add propagation "
            "fields to existing labels"
        )
    if producer is not None and len(producer) >= 20 and producer.startswith("00"):
        try:
            parse_provider_code(producer)
        except HeguiError as exc:
            raise Usage(exc.detail, "--producer") from exc
    items = _items(paths, recursive)
    if (
        output is not None
        and output.exists()
        and not output.is_dir()
        and (len(items) != 1 or not output.suffix)
    ):
        raise Usage(
            f"{output} is an existing file; --output names a folder for the labeled copies (or, for one input, a "
            "file name with an extension such as out.png)",
            "--output",
        )
    if produce_id != "auto" and "{" not in produce_id and len(items) > 1:
        raise Usage(
            "a fixed --produce-id for several files would give them the same content number; "
            "use 'auto' or a template such as 'job42-{stem}' or '{uuid5}'",
            "--produce-id",
        )
    for template in (produce_id, propagate_id):
        if template and "{" in template:
            try:
                expand_id(template.replace("{sha256}", ""), Item(Path("x"), Path("x")), 1, "")
            except HeguiError as exc:
                raise Usage(exc.detail, "--produce-id") from exc
    # with -o every source gets its labeled copy, so nothing is skipped by default
    skip = recursive and output is None if skip_labeled is None else skip_labeled

    record: Callable[[Item, int], Record] | None = None
    propagate = None
    if producer is not None:
        code = producer

        def make(item: Item, index: int) -> Record:
            return Record(
                Label=label,
                ContentProducer=code,
                ProduceID=expand_id(produce_id, item, index, code),
                ReservedCode1=reserved1,
                ContentPropagator=propagator,
                PropagateID=expand_id(propagate_id, item, index, propagator) if propagate_id else "",
                ReservedCode2=reserved2,
            )

        record = make
    else:
        propagate = Propagation(propagator, propagate_id or "auto", reserved2 or None)
    return lambda: _run_add(
        items,
        record,
        propagate,
        output,
        recursive,
        skip,
        replace_foreign,
        in_place,
        fsync,
        as_json=as_json,
        as_jsonl=as_jsonl,
        quiet=quiet,
    )


def _run_add(
    items: list[Item],
    record: Callable[[Item, int], Record] | None,
    propagate: Propagation | None,
    output: Path | None,
    recursive: bool,
    skip_labeled: bool,
    replace_foreign: bool,
    in_place: bool,
    fsync: bool,
    *,
    as_json: bool,
    as_jsonl: bool,
    quiet: bool,
) -> int:
    """Label the files, print one line (or JSON object) per file and the summary; return the exit code."""
    machine = as_json or as_jsonl
    rows: list[dict[str, Any]] = []

    def on_result(outcome: ItemResult) -> None:
        row = outcome.to_dict()
        if as_jsonl:
            _write_line(json.dumps(row, ensure_ascii=False))
            sys.stdout.flush()
        elif as_json:
            rows.append(row)
        elif not quiet or outcome.status in ("refused", "failed"):
            _write_line(_add_line(outcome))
        _advance(progress)

    show_progress = not machine and not quiet and len(items) > 1 and err_console().is_terminal
    with _progress(len(items), show_progress) as progress, nullcontext() if fsync else no_fsync():
        outcomes = label_many(
            items,
            record,
            propagate=propagate,
            output=output,
            skip_labeled=skip_labeled,
            replace_foreign=replace_foreign,
            in_place=in_place,
            skip_unsupported=recursive,
            on_result=on_result,
        )
    summary = _summary(outcomes)
    _finish("label add", rows, summary, ("labeled", "skipped", "refused", "failed"), as_json, as_jsonl)
    return _exit_code(o.exit_code for o in outcomes)


def _finish(
    command: str,
    rows: list[dict[str, Any]],
    summary: dict[str, int],
    keys: tuple[str, ...],
    as_json: bool,
    as_jsonl: bool,
) -> None:
    """The closing output of ``label add`` and ``label show``: the JSON envelope with every file, the JSONL
    summary object, or the one-line summary."""
    if as_json:
        _write_line(json.dumps(_envelope(command, {"files": rows, "summary": summary}), ensure_ascii=False))
    elif as_jsonl:
        _write_line(json.dumps(_envelope(command, {"summary": summary}), ensure_ascii=False))
    else:
        _write_line(_summary_line(summary, keys))


def _exit_code(codes: Iterable[int]) -> int:
    """The worst outcome decides: 3 (a file could not be read or written) over 1 (refused / no valid label)."""
    return max(codes, default=EXIT_OK)


def _summary(outcomes: list[ItemResult]) -> dict[str, int]:
    counts = {s: 0 for s in ("labeled", "skipped", "refused", "failed")}
    for o in outcomes:
        counts[o.status] += 1
    counts["in_place"] = sum(1 for o in outcomes if o.result is not None and o.result.mode == "in-place")
    counts["total"] = len(outcomes)
    return counts


def _summary_line(summary: dict[str, int], keys: tuple[str, ...]) -> str:
    parts = ", ".join(f"{summary[k]} {k}" for k in keys)
    return f"{summary['total']} files: {parts}"


def _one_line(text: str) -> str:
    """A message on one line (library messages can hold newlines)."""
    return " ".join(text.split())


def _add_line(outcome: ItemResult) -> str:
    """``STATUS  path  details``: codes and IDs stay whole (separated by spaces, never folded)."""
    parts = [f"{outcome.status:<8}", outcome.path]
    result = outcome.result
    if result is not None and outcome.status == "labeled":
        parts.append(f"{result.container} {result.mode}")
        if result.output != outcome.path:
            parts.append(f"-> {result.output}")
        parts.append(f"ProduceID={result.record.ProduceID}")
        if result.record.PropagateID:
            parts.append(f"PropagateID={result.record.PropagateID}")
        for found in result.replaced_foreign:
            shown = f"{found.ContentProducer}/{found.ProduceID}" if found is not None else "unreadable"
            parts.append(f"REPLACED-FOREIGN={shown}")
        if result.recovery:
            parts.append(f"[{result.recovery}]")
        parts.extend(f"[{_one_line(w.message)}]" for w in result.warnings if w.rule != "provider-name")
    elif outcome.error is not None:
        parts.append(_one_line(outcome.error.detail))
    elif outcome.note:
        parts.append(f"({outcome.note})")
    return "  ".join(parts)


# ---- show ---------------------------------------------------------------------------------------------------


def plan_show(
    paths: list[Path], *, recursive: bool, jobs: int, as_json: bool, as_jsonl: bool, quiet: bool
) -> Run:
    """Check the arguments of ``hegui label show`` (raises :class:`Usage`) and return its run; reads no file."""
    items = _items(paths, recursive)
    return lambda: _run_show(items, recursive, jobs, as_json=as_json, as_jsonl=as_jsonl, quiet=quiet)


def _run_show(
    items: list[Item], recursive: bool, jobs: int, *, as_json: bool, as_jsonl: bool, quiet: bool
) -> int:
    """Read every file, print what it carries (or JSON) and the summary; return the exit code."""
    rows: list[dict[str, Any]] = []
    counts = {"valid": 0, "invalid": 0, "unlabeled": 0, "skipped": 0, "failed": 0}
    codes: list[int] = []
    machine = as_json or as_jsonl
    show_progress = not machine and not quiet and len(items) > 1 and err_console().is_terminal
    with _progress(len(items), show_progress) as progress:
        for path, scan in read_many(items, jobs=jobs, skip_unsupported=recursive):
            row, status, code = _show_row(path, scan)
            counts[status] += 1
            codes.append(code)
            if as_jsonl:
                _write_line(json.dumps(row, ensure_ascii=False))
            elif as_json:
                rows.append(row)
            elif not quiet or status in ("invalid", "unlabeled", "failed"):
                for line in _show_lines(path, status, scan):
                    _write_line(line)
            _advance(progress)
    summary: dict[str, int] = {**counts, "total": len(items)}
    _finish(
        "label show", rows, summary, ("valid", "invalid", "unlabeled", "skipped", "failed"), as_json, as_jsonl
    )
    return _exit_code(codes)


def _show_row(path: str, scan: ScanResult | HeguiError | None) -> tuple[dict[str, Any], str, int]:
    if scan is None:
        return {"path": path, "status": "skipped"}, "skipped", EXIT_OK
    if isinstance(scan, HeguiError):
        code = EXIT_INPUT if scan.exit_code != EXIT_USAGE else EXIT_USAGE
        return {"path": path, "status": "error", "error": str(scan)}, "failed", code
    row = {"status": "read", **scan.to_dict()}
    if scan.valid:
        return row, "valid", EXIT_OK
    return row, ("invalid" if scan.labels else "unlabeled"), EXIT_FINDINGS


def _show_lines(path: str, status: str, scan: ScanResult | HeguiError | None) -> list[str]:
    if scan is None:
        return [f"{'skipped':<9} {path}"]
    if isinstance(scan, HeguiError):
        return [f"{'error':<9} {path}  {_one_line(scan.detail)}"]
    lines = [f"{status:<9} {path}  {scan.container}" + ("" if scan.labels else "  no label")]
    for found in scan.labels:
        rec = found.record
        fields = (
            f"Label={rec.Label} ContentProducer={rec.ContentProducer} ProduceID={rec.ProduceID}"
            + (
                f" ContentPropagator={rec.ContentPropagator} PropagateID={rec.PropagateID}"
                if rec.ContentPropagator
                else ""
            )
            if rec is not None
            else f"raw={found.raw[:80]!r}"
        )
        mark = " (mirror)" if found.mirror else ""
        lines.append(f"  {found.location} / {found.form}{mark}: {fields}")
        lines.extend(f"    {_one_line(str(f))}" for f in found.findings)
    lines.extend(f"  {_one_line(str(f))}" for f in scan.findings)
    return lines
