"""``hegui label``: add implicit labels to files, and show the labels files carry."""

from __future__ import annotations

import json
import os
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from hegui.atomic import CommitBatch
from hegui.errors import EXIT_FINDINGS, EXIT_INPUT, EXIT_OK, HeguiError, UnsupportedFormatError
from hegui.label import Record, read
from hegui.label.containers import Container, NotRegularFileError, WriteResult, detect
from hegui.label.record import parse_provider_code

app = typer.Typer(
    help="Implicit labels (GB 45438-2025 Annex E) in file metadata: add them, show them.",
    no_args_is_help=True,
)

console = Console(stderr=True)


@dataclass
class Item:
    """One input file and, under --recursive, its path relative to the folder it was found in."""

    path: Path
    relative: Path


@dataclass
class Outcome:
    path: str
    status: str  # "labeled" | "error" | "skipped" | "read"
    data: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    exit_code: int = EXIT_OK

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, "status": self.status}
        out.update(self.data)
        if self.error is not None:
            out["error"] = self.error
        return out


def _expand(paths: list[Path], recursive: bool) -> Iterator[Item]:
    for path in paths:
        if path.is_dir():
            if not recursive:
                raise typer.BadParameter(f"{path} is a folder; add --recursive to process the files in it")
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if name.startswith(".") and name.endswith(".hegui-tmp"):
                        continue
                    full = Path(root) / name
                    yield Item(full, full.relative_to(path))
        else:
            yield Item(path, Path(path.name))


def _unique(items: Iterator[Item]) -> list[Item]:
    """Each file once, even when named twice (a batch must not write one target twice)."""
    seen: set[Path] = set()
    out: list[Item] = []
    for item in items:
        try:
            key = item.path.resolve()
        except (OSError, RuntimeError):  # a symlink loop: reading it gives the clear error
            key = item.path.absolute()
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def _progress(total: int, enabled: bool) -> Progress:
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not enabled,
    )


def _produce_id(template: str, item: Item, index: int) -> str:
    if template == "auto":
        return str(uuid.uuid4())
    if "{" not in template:
        return template
    try:
        return template.format(uuid=uuid.uuid4(), stem=item.path.stem, name=item.path.name, n=index)
    except (KeyError, IndexError, ValueError) as exc:
        raise typer.BadParameter(
            f"--produce-id template {template!r}: {exc}; use {{uuid}}, {{stem}}, {{name}} or {{n}}"
        ) from exc


def _emit_json(payload: Any) -> None:
    sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")


@app.command("add")
def add(
    paths: list[Path] = typer.Argument(..., help="Files (or folders, with --recursive) to label."),
    producer: str | None = typer.Option(
        None,
        "--producer",
        help="ContentProducer: the 27-character service-provider code (or an ASCII name, with a warning). "
        "Omit it to keep each file's existing producer fields and only add --propagator fields (Art. 6).",
    ),
    produce_id: str = typer.Option(
        "auto",
        "--produce-id",
        help="ProduceID: 'auto' draws a UUID per file; a template may use {uuid}, {stem}, {name}, {n}.",
    ),
    label: str = typer.Option("1", "--label", help="Label: 1 is, 2 possibly, 3 suspected AI-generated."),
    propagator: str = typer.Option("", "--propagator", help="ContentPropagator (platforms): provider code."),
    propagate_id: str = typer.Option(
        "", "--propagate-id", help="PropagateID: 'auto' or a template, as above."
    ),
    reserved1: str = typer.Option("", "--reserved1", help="ReservedCode1 (integrity data of the producer)."),
    reserved2: str = typer.Option(
        "", "--reserved2", help="ReservedCode2 (integrity data of the propagator)."
    ),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write labeled copies into this folder; the sources are never touched."
    ),
    recursive: bool = typer.Option(False, "--recursive", "-r", help="Descend into folders."),
    in_place: bool = typer.Option(
        False,
        "--in-place",
        help="MP4/MOV/M4A: change only the metadata bytes inside the file, under an undo journal (constant time "
        "for huge files; a crash is rolled back by the next hegui run). Other formats use the atomic copy.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable results on stdout."),
) -> None:
    """Write an implicit label into each file's metadata (one label per file; media data untouched).

    Exit codes: 0 every file labeled, 2 usage error, 3 a file could not be read or written.
    """
    if label not in ("1", "2", "3"):
        raise typer.BadParameter("--label must be 1, 2 or 3", param_hint="--label")
    if producer is None and not propagator:
        raise typer.BadParameter(
            "give --producer, or --propagator to add propagation fields to existing labels"
        )
    if producer is not None and len(producer) >= 20 and producer.startswith("00"):
        try:
            parse_provider_code(producer)
        except HeguiError as exc:
            raise typer.BadParameter(exc.detail, param_hint="--producer") from exc
    items = _unique(_expand(paths, recursive))
    fixed_id = produce_id != "auto" and "{" not in produce_id
    if fixed_id and len(items) > 1:
        raise typer.BadParameter(
            "a fixed --produce-id for several files would give them the same content number; "
            "use 'auto' or a template such as 'job42-{stem}'",
            param_hint="--produce-id",
        )
    if output is not None:
        if output.exists() and not output.is_dir():
            raise typer.BadParameter(
                f"{output} is an existing file; --output names a folder for the labeled copies",
                param_hint="--output",
            )
        output.mkdir(parents=True, exist_ok=True)
    outcomes: list[Outcome] = []
    with _progress(len(items), enabled=not as_json and len(items) > 1) as progress:
        task = progress.add_task("labeling", total=len(items))
        batch = CommitBatch()
        in_batch: list[Outcome] = []
        batch_bytes = 0
        for index, item in enumerate(items, start=1):
            outcome = _label_one(
                item,
                index,
                batch=batch,
                producer=producer,
                produce_id=produce_id,
                label=label,
                propagator=propagator,
                propagate_id=propagate_id,
                reserved1=reserved1,
                reserved2=reserved2,
                output=output,
                recursive=recursive,
                in_place=in_place,
            )
            outcomes.append(outcome)
            if outcome.status == "labeled":
                in_batch.append(outcome)
                batch_bytes += _size(item.path)
            if len(in_batch) >= BATCH_SIZE or batch_bytes >= BATCH_BYTES or index == len(items):
                _commit(batch, in_batch)
                in_batch, batch_bytes = [], 0
            progress.advance(task)
    exit_code = max((o.exit_code for o in outcomes), default=EXIT_OK)
    if as_json:
        _emit_json([o.to_dict() for o in outcomes])
    else:
        _print_add_table(outcomes)
    raise typer.Exit(exit_code)


# Group commit: files written between two file-system flushes. Small files gain (one flush instead of many);
# large files gain nothing, so a batch also closes after this many bytes (measured in benchmarks/labels.py).
BATCH_SIZE = 64
BATCH_BYTES = 8 * 1024 * 1024


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _commit(batch: CommitBatch, outcomes: list[Outcome]) -> None:
    """Make a group of written files durable and put them in place; on failure, report every one of them."""
    try:
        batch.commit()
    except OSError as exc:
        batch.discard()
        for outcome in outcomes:
            outcome.status = "error"
            outcome.error = f"{outcome.path}: could not commit the labeled file: {exc.strerror or exc}"
            outcome.exit_code = EXIT_INPUT


def _write(
    handler: Container, path: Path, record: Record, target: Path | None, batch: CommitBatch, in_place: bool
) -> WriteResult:
    if in_place and handler.supports_in_place and target is None:
        return handler.write(path, record, batch=batch, in_place=True)  # type: ignore[call-arg]
    return handler.write(path, record, output=target, batch=batch)


def _label_one(
    item: Item,
    index: int,
    *,
    batch: CommitBatch,
    producer: str | None,
    produce_id: str,
    label: str,
    propagator: str,
    propagate_id: str,
    reserved1: str,
    reserved2: str,
    output: Path | None,
    recursive: bool,
    in_place: bool,
) -> Outcome:
    path = item.path
    try:
        handler = detect(path)
    except NotRegularFileError as exc:  # a FIFO would block forever: skipped, named files still exit 3
        return Outcome(str(path), "skipped", error=exc.detail, exit_code=EXIT_OK if recursive else EXIT_INPUT)
    except UnsupportedFormatError as exc:
        if recursive:
            return Outcome(str(path), "skipped", error=exc.detail)
        return Outcome(str(path), "error", error=str(exc), exit_code=exc.exit_code)
    except HeguiError as exc:
        return Outcome(str(path), "error", error=str(exc), exit_code=exc.exit_code)
    try:
        prop_id = _produce_id(propagate_id, item, index) if propagate_id else ""
        if producer is None:
            existing = handler.read(path).label
            if existing is None or existing.record is None:
                return Outcome(
                    str(path),
                    "error",
                    error=f"{path}: no existing label to add propagation fields to",
                    exit_code=EXIT_FINDINGS,
                )
            record = existing.record.with_propagation(propagator, prop_id, reserved2=reserved2 or None)
        else:
            record = Record(
                Label=label,
                ContentProducer=producer,
                ProduceID=_produce_id(produce_id, item, index),
                ReservedCode1=reserved1,
                ContentPropagator=propagator,
                PropagateID=prop_id,
                ReservedCode2=reserved2,
            )
        target: Path | None = None
        if output is not None:
            target = output / item.relative
            target.parent.mkdir(parents=True, exist_ok=True)
        result = _write(handler, path, record, target, batch, in_place)
    except HeguiError as exc:
        return Outcome(str(path), "error", error=str(exc), exit_code=exc.exit_code)
    except OSError as exc:
        return Outcome(str(path), "error", error=f"{path}: {exc.strerror or exc}", exit_code=EXIT_INPUT)
    except Exception as exc:  # a parser bug must cost this file only, never the batch (issue #18 item 3)
        return Outcome(str(path), "error", error=f"{path}: internal error: {exc!r}", exit_code=EXIT_INPUT)
    return Outcome(str(path), "labeled", data=result.to_dict())


def _print_add_table(outcomes: list[Outcome]) -> None:
    out = Console()
    table = Table(title="hegui label add", show_lines=False)
    for column in ("file", "format", "status", "ProduceID", "notes"):
        table.add_column(column, overflow="fold")
    for o in outcomes:
        notes = o.error or "; ".join(w["message"] for w in o.data.get("warnings", []))
        if o.data.get("output") and o.data["output"] != o.path:
            notes = (f"-> {o.data['output']}  " + notes).strip()
        style = {"labeled": "green", "error": "red", "skipped": "yellow"}.get(o.status, "")
        table.add_row(
            escape(o.path),
            o.data.get("container", ""),
            f"[{style}]{o.status}[/{style}]",
            escape(o.data.get("record", {}).get("ProduceID", "")),
            escape(notes),
        )
    out.print(table)
    counts = {s: sum(1 for o in outcomes if o.status == s) for s in ("labeled", "skipped", "error")}
    out.print(f"{counts['labeled']} labeled, {counts['skipped']} skipped, {counts['error']} failed")


@app.command("show")
def show(
    paths: list[Path] = typer.Argument(..., help="Files (or folders, with --recursive) to inspect."),
    recursive: bool = typer.Option(False, "--recursive", "-r", help="Descend into folders."),
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable results on stdout."),
) -> None:
    """Show every implicit label found: where, in which form, and what is wrong with it.

    Exit codes: 0 every file has a valid label, 1 a file has no valid label, 3 a file could not be read.
    """
    items = list(_expand(paths, recursive))
    outcomes: list[Outcome] = []
    with _progress(len(items), enabled=not as_json and len(items) > 1) as progress:
        task = progress.add_task("reading", total=len(items))
        for item in items:
            try:
                scan = read(item.path)
            except NotRegularFileError as exc:
                code = EXIT_OK if recursive else EXIT_INPUT
                outcomes.append(Outcome(str(item.path), "skipped", error=exc.detail, exit_code=code))
            except UnsupportedFormatError as exc:
                if recursive:
                    outcomes.append(Outcome(str(item.path), "skipped", error=exc.detail))
                else:
                    outcomes.append(Outcome(str(item.path), "error", error=str(exc), exit_code=EXIT_INPUT))
            except HeguiError as exc:
                outcomes.append(Outcome(str(item.path), "error", error=str(exc), exit_code=EXIT_INPUT))
            else:
                code = EXIT_OK if scan.valid else EXIT_FINDINGS
                outcomes.append(Outcome(str(item.path), "read", data=scan.to_dict(), exit_code=code))
            progress.advance(task)
    exit_code = max((o.exit_code for o in outcomes), default=EXIT_OK)
    if as_json:
        _emit_json([o.to_dict() for o in outcomes])
    else:
        _print_show(outcomes)
    raise typer.Exit(exit_code)


def _print_show(outcomes: list[Outcome]) -> None:
    out = Console()
    table = Table(title="hegui label show", show_lines=True)
    for column in ("file", "format", "where / form", "Label", "ContentProducer", "ProduceID", "verdict"):
        table.add_column(column, overflow="fold")
    for o in outcomes:
        if o.status != "read":
            style = "yellow" if o.status == "skipped" else "red"
            table.add_row(
                escape(o.path), "", "", "", "", "", f"[{style}]{escape(o.error or o.status)}[/{style}]"
            )
            continue
        labels = o.data["labels"]
        file_notes = [f"{f['severity']}: {f['message']}" for f in o.data["findings"]]
        if not labels:
            table.add_row(escape(o.path), o.data["container"], "", "", "", "", "[red]no label[/red]")
            continue
        for i, found in enumerate(labels):
            rec = found["record"] or {}
            notes = [
                f"{f['severity']} [{f['rule']}] {f['field'] or ''} {f['message']}".strip()
                for f in found["findings"]
            ]
            if i == 0:
                notes = file_notes + notes
            verdict = "[green]valid[/green]" if found["valid"] and o.data["valid"] else "[red]invalid[/red]"
            if found["valid"] and not o.data["valid"]:
                verdict = "[yellow]valid value; file not conforming[/yellow]"
            table.add_row(
                escape(o.path) if i == 0 else "",
                o.data["container"] if i == 0 else "",
                escape(f"{found['location']} / {found['form']}"),
                escape(rec.get("Label", "")),
                escape(rec.get("ContentProducer", "")),
                escape(rec.get("ProduceID", "")),
                verdict + ("\n" + escape("\n".join(notes)) if notes else ""),
            )
    out.print(table)


from hegui.cli import visible as _visible  # noqa: E402  visible labels (hegui label visible / check-visible)

_visible.register(app)
