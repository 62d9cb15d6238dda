"""``hegui deliveries``: the Art. 9 log of content handed out without an explicit label."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from hegui.cli._output import emit_json, fail
from hegui.errors import HeguiError, InputError

app = typer.Typer(
    help="Art. 9 log of unlabelled deliveries: record them, export CSV, purge after retention (min. 6 months).",
    no_args_is_help=True,
)
console = Console(stderr=True)

DB_HELP = "Database URL (default: HEGUI_DATABASE_URL, hegui.toml, else sqlite:///./hegui.db)."


def _when(value: str | None, option: str) -> dt.datetime | None:
    if value is None:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"not an ISO date/time: {value!r}", param_hint=option) from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=dt.UTC)


@app.command("log")
def log(
    recipient: str = typer.Option(..., "--recipient", help="Account or user identifier of the recipient."),
    content_id: str = typer.Option(..., "--content-id", help="ProduceID or your content number."),
    agreement_version: str = typer.Option(
        ..., "--agreement-version", help="User-agreement version accepted."
    ),
    recipient_info: str = typer.Option(
        "", "--recipient-info", help="Further recipient details your policy needs."
    ),
    file: Path | None = typer.Option(None, "--file", help="The delivered file: its SHA-256 is logged."),
    service: str = typer.Option("", "--service", help="Which service delivered it."),
    note: str = typer.Option("", "--note"),
    delivered_at: str | None = typer.Option(None, "--at", help="ISO time of delivery (default: now, UTC)."),
    retention_months: int = typer.Option(6, "--retention-months", help="At least 6 (Art. 9)."),
    force_retention: bool = typer.Option(False, "--force-retention", help="Allow less than 6 months."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Record one delivery of content without an explicit label."""
    from hegui.label.platform import deliveries
    from hegui.store import session

    digest = None
    if file is not None:
        try:
            digest = hashlib.sha256(file.read_bytes()).hexdigest()
        except OSError as exc:
            raise fail(InputError(f"cannot read: {exc.strerror}", path=file)) from None
    entry = deliveries.DeliveryEntry(
        recipient=recipient,
        content_id=content_id,
        agreement_version=agreement_version,
        delivered_at=_when(delivered_at, "--at"),
        recipient_info=recipient_info,
        content_sha256=digest,
        service=service,
        note=note,
    )
    try:
        with session(db) as s:
            row = deliveries.log_delivery(
                s, entry, retention_months=retention_months, force_retention=force_retention
            )
            data = deliveries.as_dict(row)
    except HeguiError as exc:
        raise fail(exc) from None
    if as_json:
        emit_json({"delivery": data})
    else:
        console.print(f"logged delivery {data['id']} (kept until {data['retain_until']})")


@app.command("export")
def export(
    target: Path = typer.Argument(..., help="CSV file to write."),
    since: str | None = typer.Option(None, "--since", help="ISO date/time (inclusive)."),
    until: str | None = typer.Option(None, "--until", help="ISO date/time (exclusive)."),
    recipient: str | None = typer.Option(None, "--recipient"),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Export the log as CSV (UTF-8 with BOM)."""
    from hegui.label.platform import deliveries
    from hegui.store import session

    try:
        with session(db) as s:
            count = deliveries.export_csv(
                s, target, since=_when(since, "--since"), until=_when(until, "--until"), recipient=recipient
            )
    except HeguiError as exc:
        raise fail(exc) from None
    if as_json:
        emit_json({"exported": count, "path": str(target)})
    else:
        console.print(f"exported {count} deliveries to {escape(str(target))}")


@app.command("purge")
def purge(
    now: str | None = typer.Option(None, "--now", help="Purge as of this ISO time (default: now)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Only count what would be deleted."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Delete the deliveries whose retention period has ended."""
    from hegui.label.platform import deliveries
    from hegui.store import session

    try:
        with session(db) as s:
            count = deliveries.purge(s, now=_when(now, "--now"), dry_run=dry_run)
    except HeguiError as exc:
        raise fail(exc) from None
    if as_json:
        emit_json({"purged": 0 if dry_run else count, "expired": count, "dry_run": dry_run})
    else:
        console.print(f"{'would purge' if dry_run else 'purged'} {count} expired deliveries")
