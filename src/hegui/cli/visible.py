"""``hegui label visible`` and ``hegui label check-visible``: visible (explicit) labels, GB 45438-2025 clause 5.

Thin: parse, call :mod:`hegui.label.explicit.files`, render. The media modules (Pillow, numpy, ffmpeg) are imported
inside the commands, so ``hegui label show`` does not pay for them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from hegui.cli._output import err_console, progress_bar
from hegui.errors import EXIT_FINDINGS, EXIT_INPUT, EXIT_OK, EXIT_USAGE, HeguiError, UsageError

if TYPE_CHECKING:
    pass


def escape(text: str) -> str:
    from rich.markup import escape as rich_escape

    return rich_escape(text)


def _emit(payload: dict[str, Any]) -> None:
    from hegui.cli._output import emit_json

    emit_json(payload)


def _out_for(src: Path, output: Path | None, many: bool) -> Path | None:
    if output is None:
        return None
    if many or output.is_dir():
        output.mkdir(parents=True, exist_ok=True)
        return output / src.name
    return output


def visible(
    paths: list[Path] = typer.Argument(..., help="Text (.txt .md .html), image, audio or video files."),
    output: Path | None = typer.Option(
        None, "-o", "--output", help="Output file, or folder when several inputs (default: label in place)."
    ),
    position: str | None = typer.Option(
        None,
        "--position",
        help="Text/audio: start, end, both (text also a character offset). Image/video: top-left, top, top-right, "
        "left, right, bottom-left, bottom, bottom-right (default).",
    ),
    text: str | None = typer.Option(
        None,
        "--text",
        help="Label text; must hold 人工智能 or AI, and 生成 and/or 合成 (GB 45438-2025 §5.1).",
    ),
    duration: float | None = typer.Option(
        None,
        "--duration",
        help="Video: seconds the label shows from the first frame (default 3, at least 2).",
    ),
    cue: str = typer.Option(
        "rhythm", "--cue", help="Audio: rhythm (短长短短, Morse 'AI') or voice (espeak-ng)."
    ),
    ratio: float | None = typer.Option(
        None, "--ratio", help="Image/video: ink height over the shortest side (default 0.055, at least 0.05)."
    ),
    persistent: bool = typer.Option(
        False, "--persistent", help="Video: also keep a corner mark for the whole video."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable results on stdout."),
) -> None:
    """Add a visible label (GB 45438-2025 clause 5) to each file; the implicit label, if any, is kept.

    Exit codes: 0 every file labelled, 2 bad option, 3 a file could not be labelled.
    """
    from hegui.label.explicit.files import Options, label_file

    options = Options(
        text=text, position=position, duration=duration, cue=cue, ratio=ratio, persistent=persistent
    )
    results: list[dict[str, Any]] = []
    code = EXIT_OK
    with progress_bar(enabled=not as_json and len(paths) > 1) as progress:
        task = progress.add_task("labelling", total=len(paths))
        for path in paths:
            try:
                results.append(label_file(path, _out_for(path, output, len(paths) > 1), options))
            except UsageError as exc:
                err_console().print(f"[red]error:[/red] {escape(str(exc))}")
                raise typer.Exit(EXIT_USAGE) from None
            except HeguiError as exc:
                results.append({"path": str(path), "status": "error", "error": str(exc)})
                code = max(code, EXIT_INPUT)
            progress.advance(task)
    if as_json:
        _emit({"files": results})
    else:
        for r in results:
            if r.get("status") == "error":
                err_console().print(f"[red]error[/red] {escape(r['error'])}")
                continue
            where = r.get("geometry", {}) or {}
            detail = (
                f"ink {where['ink_height']} px = {where['ratio']:.2%} of the shortest side at {where['position']}"
                if where
                else f"{r.get('cue', '')} {r.get('position', '')}".strip()
            )
            typer.echo(f"{r['path']} -> {r['output']}: {r['medium']} labelled ({detail})")
    raise typer.Exit(code)


def check_visible(
    paths: list[Path] = typer.Argument(..., help="Text, image, audio or video files to check."),
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable results on stdout."),
) -> None:
    """Check that each file carries a compliant visible label, found in its content (text, pixels, sound).

    Exit codes: 0 every file compliant, 1 a file is not, 3 a file could not be read.
    """
    from hegui.label.explicit.files import check_file

    results: list[dict[str, Any]] = []
    code = EXIT_OK
    with progress_bar(enabled=not as_json and len(paths) > 1) as progress:
        task = progress.add_task("checking", total=len(paths))
        for path in paths:
            try:
                result = check_file(path)
                results.append(result)
                if not result["compliant"]:
                    code = max(code, EXIT_FINDINGS)
            except HeguiError as exc:
                results.append({"path": str(path), "compliant": False, "error": str(exc)})
                code = max(code, EXIT_INPUT)
            progress.advance(task)
    if as_json:
        _emit({"files": results, "compliant": code == EXIT_OK})
    else:
        for r in results:
            if "error" in r:
                err_console().print(f"[red]error[/red] {escape(r['error'])}")
                continue
            verdict = "compliant" if r["compliant"] else "NOT compliant"
            typer.echo(f"{r['path']}: {r['medium']} {verdict}{_summary(r)}")
            for problem in r.get("problems", []) or []:
                typer.echo(f"  - {problem}")
    raise typer.Exit(code)


def _summary(r: dict[str, Any]) -> str:
    if r["medium"] == "image" and r.get("found"):
        return f" ({r['text']} at {r['position']}, ink {r['ratio']:.2%} of the shortest side)"
    if r["medium"] == "video":
        return f" ({r['frames_labelled']}/{r['frames_checked']} frames of the first 2 s labelled)"
    if r["medium"] == "audio" and r.get("cues"):
        return " (" + ", ".join(f"cue at {c['start_s']} s ({c['where']})" for c in r["cues"]) + ")"
    if r["medium"] == "text" and r.get("labels"):
        first = r["labels"][0]
        return f" ({first['text']!r} at the {first['where']}, chars {first['start']}-{first['end']})"
    return ""


def register(label_app: typer.Typer) -> None:
    """Add the two commands to the ``hegui label`` group."""
    label_app.command("visible")(visible)
    label_app.command("check-visible")(check_visible)
