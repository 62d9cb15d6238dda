"""``hegui verify``: what a content platform does with each upload (Labeling Measures Art. 6)."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from hegui.cli._output import emit_json, errors_to_exit, fail, progress_bar
from hegui.errors import EXIT_FINDINGS, EXIT_INPUT, EXIT_OK, HeguiError
from hegui.label.platform import VERDICTS, iter_files, verify_many

console = Console(stderr=True)

_PROBLEM_STATES = ("malformed", "duplicated", "invalid", "unreadable")


def _has_findings(result: dict[str, Any]) -> bool:
    ev = result.get("evidence") or {}
    return bool(
        result.get("conflicts")
        or ev.get("label_state") in _PROBLEM_STATES
        or ev.get("integrity_status") == "invalid"
    )


def verify(
    paths: list[Path] = typer.Argument(..., help="Files or folders (folders are searched recursively)."),
    declared_ai: bool = typer.Option(
        False, "--declared-ai", help="The uploader declared the content AI-generated (Art. 6 (二))."
    ),
    platform_code: str | None = typer.Option(
        None,
        "--platform-code",
        help="Your 27-character provider code (ContentPropagator) for --stamp; default HEGUI_PROPAGATOR.",
    ),
    do_stamp: bool = typer.Option(
        False, "--stamp", help="Add ContentPropagator / PropagateID (or a Label 2/3 record) to the files."
    ),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="With --stamp: write stamped copies into this folder, not in place."
    ),
    keys: Path | None = typer.Option(
        None, "--keys", help="Folder of pinned public keys (<code>.sm2.pub, <code>.*.pub.pem, <code>.hmac)."
    ),
    sign_key: Path | None = typer.Option(
        None, "--sign-key", help="With --stamp: your private key; signs ReservedCode2 (SecurityData)."
    ),
    jobs: int = typer.Option(1, "--jobs", "-j", min=1, help="Worker processes."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object with every result on stdout."),
    as_jsonl: bool = typer.Option(False, "--jsonl", help="One JSON line per file on stdout (streaming)."),
    audio_cue: bool = typer.Option(
        False, "--audio-cue", help="Also listen for the 短长短短 rhythm cue in audio (decodes it; slower)."
    ),
    no_c2pa_validate: bool = typer.Option(
        False, "--no-c2pa-validate", help="Only sniff C2PA manifests; do not validate them (faster)."
    ),
) -> None:
    """Check uploads for AI-generated content: confirmed / possible / suspected / none, with the notice to show.

    Evidence: the GB 45438 implicit label and its integrity codes, C2PA manifests, IPTC DigitalSourceType,
    generator fingerprints, a visible text label, and your --declared-ai. With --stamp (and --platform-code) the
    platform's propagation fields are added through the label writers (atomic, one label, media untouched).

    Exit codes: 0 every file verified, 1 a file has findings (malformed or conflicting labels, a failing
    signature, conflicting evidence), 2 usage error, 3 a file could not be read.
    """
    if as_json and as_jsonl:
        raise typer.BadParameter("choose one of --json and --jsonl", param_hint="--jsonl")
    if do_stamp and not platform_code:
        from hegui.config import load_config

        with errors_to_exit():
            platform_code = load_config().propagator  # HEGUI_PROPAGATOR or hegui.toml's ``propagator``
    if do_stamp and not platform_code:
        raise typer.BadParameter(
            "--stamp needs --platform-code (or HEGUI_PROPAGATOR / propagator in hegui.toml)",
            param_hint="--platform-code",
        )
    if output is not None and not do_stamp:
        raise typer.BadParameter("--output only applies with --stamp", param_hint="--output")
    if output is not None:
        output.mkdir(parents=True, exist_ok=True)
    files = list(iter_files(paths))
    missing = [str(p) for p in paths if not p.exists()]
    options: dict[str, Any] = {
        "declared_ai": True if declared_ai else None,
        "keys": str(keys) if keys is not None else None,
        "platform_code": platform_code,
        "do_stamp": do_stamp,
        "output": str(output) if output is not None else None,
        "c2pa_validate": not no_c2pa_validate,
        "audio_cue": audio_cue,
    }
    if sign_key is not None:
        options["key"] = str(sign_key)
        options["reserved2"] = "hmac-sha256" if sign_key.name.endswith(".hmac") else "sign"
    if keys is not None and not keys.is_dir():
        console.print(f"[red]error:[/] keys folder not found: {escape(str(keys))}")
        raise typer.Exit(EXIT_INPUT)
    results: list[dict[str, Any]] = []
    counts: Counter[str] = Counter()
    exit_code = EXIT_INPUT if missing else EXIT_OK
    progress = progress_bar(enabled=not (as_json or as_jsonl or len(files) < 2), console=console)
    try:
        with progress:
            task = progress.add_task("verifying", total=len(files))
            for result in verify_many(files, jobs=jobs, **options):
                if result.get("verdict") is None:
                    counts["error"] += 1
                    exit_code = max(exit_code, EXIT_INPUT)
                else:
                    counts[result["verdict"]] += 1
                    if _has_findings(result):
                        exit_code = max(exit_code, EXIT_FINDINGS)
                if as_jsonl:
                    sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
                else:
                    results.append(result)
                progress.advance(task)
    except HeguiError as exc:
        raise fail(exc) from None
    summary: dict[str, int] = {verdict: counts.get(verdict, 0) for verdict in VERDICTS}
    summary["error"] = counts.get("error", 0) + len(missing)
    if as_json:
        emit_json({"summary": summary, "missing": missing, "results": results})
    elif not as_jsonl:
        _print(results, summary, missing)
    raise typer.Exit(exit_code)


_STYLE = {"confirmed": "red", "possible": "yellow", "suspected": "magenta", "none": "green"}


def _print(results: list[dict[str, Any]], summary: dict[str, int], missing: list[str]) -> None:
    out = Console()
    table = Table(show_header=True, header_style="bold")
    for column in ("file", "verdict", "notice", "why"):
        table.add_column(column, overflow="fold")
    for r in results:
        verdict = r.get("verdict")
        if verdict is None:
            table.add_row(escape(r["path"]), "[red]error[/]", "", escape(str(r.get("error", ""))))
            continue
        why = "; ".join(r.get("reasons", [])[:2])
        if r.get("stamp"):
            why += f" [dim](stamp: {escape(r['stamp']['reason'])})[/]"
        table.add_row(
            escape(r["path"]), f"[{_STYLE[verdict]}]{verdict}[/]", escape(r.get("notice") or "-"), escape(why)
        )
    out.print(table)
    for path in missing:
        out.print(f"[red]not found:[/] {escape(path)}")
    out.print("summary: " + ", ".join(f"{k} {v}" for k, v in summary.items()))


def register(app: typer.Typer) -> None:
    app.command("verify")(verify)
