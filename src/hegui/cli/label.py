"""``hegui label``: add implicit labels to files, and show the labels files carry.

A thin parse -> call -> render over :func:`hegui.label.label_many` and :func:`hegui.label.read_many`. Output stays
usable at scale: one line per file that never breaks a code or an ID across lines (long lines are left for the
terminal to wrap, nothing is folded), a one-line summary, ``--quiet``, ``--json`` (one object) and ``--jsonl`` (one
object per file as it is done, then the summary).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from hegui.atomic import no_fsync
from hegui.cli._output import err_console, errors_to_exit, progress_bar
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
from hegui.results import envelope

app = typer.Typer(
    help="Implicit labels (GB 45438-2025 Annex E) in file metadata: add them, show them.",
    no_args_is_help=True,
)

if TYPE_CHECKING:
    pass


ID_HELP = (
    "'auto' draws a random UUID per file; a template may use {uuid5} (the same ID on every rerun: from the "
    "producer and the file's path), {sha256} (from the file's content), {uuid}, {stem}, {name}, {n}."
)


def _envelope(command: str, payload: dict[str, Any]) -> dict[str, Any]:
    return envelope({"command": command, **payload})


def _write_line(text: str) -> None:
    sys.stdout.write(text + "\n")


def _usage(message: str, hint: str | None = None) -> typer.BadParameter:
    return typer.BadParameter(message, param_hint=hint)


def _items(paths: list[Path], recursive: bool) -> list[Item]:
    try:
        return expand(paths, recursive=recursive)
    except HeguiError as exc:
        raise _usage(exc.detail) from exc


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


@app.command("add")
def add(
    paths: list[Path] = typer.Argument(..., help="Files (or folders, with --recursive) to label."),
    producer: str | None = typer.Option(
        None,
        "--producer",
        help="ContentProducer: the 27-character service-provider code (or an ASCII name, with a warning). "
        "Default: HEGUI_PRODUCER or producer in hegui.toml. With only --propagator given, each file's existing "
        "producer fields are kept and the --propagator fields added (Art. 6).",
    ),
    produce_id: str = typer.Option("auto", "--produce-id", help="ProduceID: " + ID_HELP),
    label: str = typer.Option("1", "--label", help="Label: 1 is, 2 possibly, 3 suspected AI-generated."),
    propagator: str = typer.Option("", "--propagator", help="ContentPropagator (platforms): provider code."),
    propagate_id: str = typer.Option("", "--propagate-id", help="PropagateID: as --produce-id."),
    reserved1: str = typer.Option("", "--reserved1", help="ReservedCode1 (integrity data of the producer)."),
    reserved2: str = typer.Option(
        "", "--reserved2", help="ReservedCode2 (integrity data of the propagator)."
    ),
    output: Path | None = typer.Option(
        None,
        "--output",
        "-o",
        help="Write labeled copies here; the sources are never touched. For one input file a name with an "
        "extension (out.png) is the file to write; otherwise a folder (created as needed).",
    ),
    recursive: bool = typer.Option(False, "--recursive", "-r", help="Descend into folders."),
    skip_labeled: bool | None = typer.Option(
        None,
        "--skip-labeled/--no-skip-labeled",
        help="Leave files that already carry a valid label of this producer untouched (idempotent reruns). "
        "Default: on with --recursive (without -o), off otherwise.",
    ),
    replace_foreign: bool = typer.Option(
        False,
        "--replace-foreign",
        help="Replace another producer's label (refused by default, exit 1). The replaced label is printed and "
        "recorded in the evidence store when one exists; the new label names you as the producer.",
    ),
    in_place: bool = typer.Option(
        True,
        "--in-place/--copy",
        help="In place (default): where the file has room (XMP padding, a PDF update, MP4 moov room), change only "
        "the label's bytes under an undo journal; other files get the atomic copy. --copy: always write a new "
        "file and rename it over the old one (atomic for every reader).",
    ),
    fsync: bool = typer.Option(
        True,
        "--fsync/--no-fsync",
        help="Flush each write to disk (default). --no-fsync is faster and still atomic, but a power cut may lose "
        "the most recent writes.",
    ),
    as_json: bool = typer.Option(False, "--json", help="One JSON object with every file and the summary."),
    as_jsonl: bool = typer.Option(
        False, "--jsonl", help="One JSON object per file as it is done, then the summary."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only problems and the summary."),
) -> None:
    """Write an implicit label into each file's metadata (one label per file; media data untouched).

    Exit codes: 0 every file labeled or skipped, 1 refused (another producer's label, or no label to add
    propagation fields to), 2 usage error, 3 a file could not be read or written.
    """
    if label not in ("1", "2", "3"):
        raise _usage("--label must be 1, 2 or 3", "--label")
    if (
        producer is None and not propagator
    ):  # a platform adding its fields (--propagator only) keeps the producer's
        from hegui.config import load_config

        with errors_to_exit():
            producer = (
                load_config().producer
            )  # HEGUI_PRODUCER, or producer in ./hegui.toml / the user's hegui.toml
    if producer is None and not propagator:
        raise _usage(
            "give --producer (or set HEGUI_PRODUCER / producer in hegui.toml), or --propagator to add propagation "
            "fields to existing labels"
        )
    if producer is not None and len(producer) >= 20 and producer.startswith("00"):
        try:
            parse_provider_code(producer)
        except HeguiError as exc:
            raise _usage(exc.detail, "--producer") from exc
    items = _items(paths, recursive)
    if (
        output is not None
        and output.exists()
        and not output.is_dir()
        and (len(items) != 1 or not output.suffix)
    ):
        raise _usage(
            f"{output} is an existing file; --output names a folder for the labeled copies (or, for one input, a "
            "file name with an extension such as out.png)",
            "--output",
        )
    if produce_id != "auto" and "{" not in produce_id and len(items) > 1:
        raise _usage(
            "a fixed --produce-id for several files would give them the same content number; "
            "use 'auto' or a template such as 'job42-{stem}' or '{uuid5}'",
            "--produce-id",
        )
    for template in (produce_id, propagate_id):
        if template and "{" in template:
            try:
                expand_id(template.replace("{sha256}", ""), Item(Path("x"), Path("x")), 1, "")
            except HeguiError as exc:
                raise _usage(exc.detail, "--produce-id") from exc
    if skip_labeled is None:  # with -o every source gets its labeled copy, so nothing is skipped by default
        skip_labeled = recursive and output is None

    record: Any = None
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
    exit_code = _exit_code(o.exit_code for o in outcomes)
    if as_json:
        _write_line(
            json.dumps(_envelope("label add", {"files": rows, "summary": summary}), ensure_ascii=False)
        )
    elif as_jsonl:
        _write_line(json.dumps(_envelope("label add", {"summary": summary}), ensure_ascii=False))
    else:
        _write_line(_summary_line(summary, ("labeled", "skipped", "refused", "failed")))
    raise typer.Exit(exit_code)


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


@app.command("show")
def show(
    paths: list[Path] = typer.Argument(..., help="Files (or folders, with --recursive) to inspect."),
    recursive: bool = typer.Option(False, "--recursive", "-r", help="Descend into folders."),
    jobs: int = typer.Option(1, "--jobs", "-j", min=1, max=64, help="Files read in parallel."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object with every file and the summary."),
    as_jsonl: bool = typer.Option(
        False, "--jsonl", help="One JSON object per file as it is read, then the summary."
    ),
    quiet: bool = typer.Option(
        False, "--quiet", "-q", help="Print only files without a valid label, and the summary."
    ),
) -> None:
    """Show every implicit label found: where, in which form, and what is wrong with it. Never changes a file.

    Exit codes: 0 every file has a valid label, 1 a file has no valid label, 3 a file could not be read.
    """
    items = _items(paths, recursive)
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
    if as_json:
        _write_line(
            json.dumps(_envelope("label show", {"files": rows, "summary": summary}), ensure_ascii=False)
        )
    elif as_jsonl:
        _write_line(json.dumps(_envelope("label show", {"summary": summary}), ensure_ascii=False))
    else:
        _write_line(_summary_line(summary, ("valid", "invalid", "unlabeled", "skipped", "failed")))
    raise typer.Exit(_exit_code(codes))


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


from hegui.cli import visible as _visible  # noqa: E402  visible labels (hegui label visible / check-visible)

_visible.register(app)
