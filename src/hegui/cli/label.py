"""``hegui label``: add implicit labels to files, and show the labels files carry.

A thin parse -> call -> render over :func:`hegui.label.label_many` and :func:`hegui.label.read_many`. Output stays
usable at scale: one line per file that never breaks a code or an ID across lines (long lines are left for the
terminal to wrap, nothing is folded), a one-line summary, ``--quiet``, ``--json`` (one object) and ``--jsonl`` (one
object per file as it is done, then the summary).
"""

from __future__ import annotations

from pathlib import Path

import typer

from hegui.cli import _label
from hegui.cli._output import fail
from hegui.errors import HeguiError

app = typer.Typer(
    help="Implicit labels (GB 45438-2025 Annex E) in file metadata: add them, show them.",
    no_args_is_help=True,
)


ID_HELP = (
    "'auto' draws a random UUID per file; a template may use {uuid5} (the same ID on every rerun: from the "
    "producer and the file's path), {sha256} (from the file's content), {uuid}, {stem}, {name}, {n}."
)


def _usage(usage: _label.Usage) -> typer.BadParameter:
    return typer.BadParameter(usage.message, param_hint=usage.hint)


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
    try:
        run = _label.plan_add(
            paths,
            producer=producer,
            produce_id=produce_id,
            label=label,
            propagator=propagator,
            propagate_id=propagate_id,
            reserved1=reserved1,
            reserved2=reserved2,
            output=output,
            recursive=recursive,
            skip_labeled=skip_labeled,
            replace_foreign=replace_foreign,
            in_place=in_place,
            fsync=fsync,
            as_json=as_json,
            as_jsonl=as_jsonl,
            quiet=quiet,
        )
    except _label.Usage as usage:
        raise _usage(usage) from usage
    except HeguiError as exc:  # hegui.toml could not be read
        raise fail(exc) from None
    raise typer.Exit(run())


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
    try:
        run = _label.plan_show(
            paths, recursive=recursive, jobs=jobs, as_json=as_json, as_jsonl=as_jsonl, quiet=quiet
        )
    except _label.Usage as usage:
        raise _usage(usage) from usage
    raise typer.Exit(run())


from hegui.cli import visible as _visible  # noqa: E402  visible labels (hegui label visible / check-visible)

_visible.register(app)
