"""``hegui appstore``: an app store's check of an app's labeling materials (Labeling Measures Art. 7)."""

from __future__ import annotations

from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from hegui.cli._output import emit_json, errors_to_exit, exit_for

app = typer.Typer(
    help="Art. 7 app-store checks of labeling materials: record a review, show an app's history.",
    no_args_is_help=True,
)
DB_HELP = "Database URL (default: HEGUI_DATABASE_URL, hegui.toml, else sqlite:///./hegui.db)."


def _row(check: Any) -> dict[str, Any]:
    return {
        "id": check.id,
        "app_id": check.app_id,
        "app_name": check.app_name,
        "app_version": check.app_version,
        "provides_aigc": check.provides_aigc,
        "result": check.result,
        "items": check.items,
        "reviewer": check.reviewer,
        "checked_at": check.checked_at.isoformat(),
    }


@app.command("check")
def check(
    app_id: str = typer.Argument(..., help="The app's identifier in the store (package name)."),
    provides_aigc: bool = typer.Option(
        ..., "--aigc/--no-aigc", help="Whether the developer states the app offers generative AI."
    ),
    items: list[str] = typer.Option(
        [],
        "--item",
        help="ITEM=STATE (provided | missing | not-applicable); repeat. Unnamed items are missing.",
    ),
    app_name: str = typer.Option("", "--name"),
    developer: str = typer.Option("", "--developer"),
    app_version: str = typer.Option("", "--app-version"),
    reviewer: str = typer.Option("", "--reviewer"),
    note: str = typer.Option("", "--note"),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Record one review. Exit 1 when an AI app's required materials are incomplete."""
    from hegui.label.platform import appstore
    from hegui.store import session

    states: dict[str, Any] = {}
    for item in items:
        key, sep, state = item.partition("=")
        if not sep:
            raise typer.BadParameter(f"{item!r}: use ITEM=STATE", param_hint="--item")
        states[key.strip()] = state.strip()
    with errors_to_exit(), session(db) as s:
        row = _row(
            appstore.record_check(
                s,
                app_id=app_id,
                provides_aigc=provides_aigc,
                items=states,
                app_name=app_name,
                developer=developer,
                app_version=app_version,
                reviewer=reviewer,
                note=note,
            )
        )
    if as_json:
        emit_json({"check": row})
    else:
        _print([row])
    raise exit_for(row["result"] == "incomplete")


@app.command("history")
def history(
    app_id: str = typer.Argument(...),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Every review of an app, oldest first."""
    from hegui.label.platform import appstore
    from hegui.store import session

    with errors_to_exit(), session(db) as s:
        rows = [_row(c) for c in appstore.history(s, app_id)]
    if as_json:
        emit_json({"app_id": app_id, "checks": rows})
    else:
        _print(rows)


def _print(rows: list[dict[str, Any]]) -> None:
    from hegui.label.platform.appstore import CHECKLIST

    out = Console()
    for row in rows:
        table = Table(title=f"{escape(row['app_id'])} — {row['result']} ({row['checked_at']})")
        table.add_column("item")
        table.add_column("required")
        table.add_column("state")
        for item_id, (label, required) in CHECKLIST.items():
            state = row["items"].get(item_id, {}).get("state", "missing")
            style = "green" if state == "provided" else "red" if required else "yellow"
            table.add_row(escape(label), "yes" if required else "no", f"[{style}]{state}[/]")
        out.print(table)
