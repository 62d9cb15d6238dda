"""``hegui gateway``: run the compliance proxy, and look after what it keeps (users and strikes, decisions,
complaints). Parses, calls :mod:`hegui.gateway`, renders."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from hegui.cli._output import emit_json, errors_to_exit

app = typer.Typer(
    help="OpenAI-compatible compliance proxy: screens input and streamed output, refuses, labels, counts strikes "
    "(Interim Measures Art. 14), keeps decision logs and complaints.",
    invoke_without_command=True,
)
users_app = typer.Typer(
    help="Users, their strikes and their state (warned, limited, suspended).", no_args_is_help=True
)
logs_app = typer.Typer(
    help="The decision log: export and purge (retention at least six months).", no_args_is_help=True
)
complaints_app = typer.Typer(
    help="Complaints and reports, with their response deadlines.", no_args_is_help=True
)
app.add_typer(users_app, name="users")
app.add_typer(logs_app, name="logs")
app.add_typer(complaints_app, name="complaints")
out = Console()
err = Console(stderr=True)
DB_HELP = (
    "Database URL (default: the gateway database_url setting, HEGUI_DATABASE_URL, else sqlite:///./hegui.db)."
)


@app.callback()
def serve(
    ctx: typer.Context,
    upstream: str = typer.Option(
        None, help="Base URL of the OpenAI-compatible model server, e.g. http://127.0.0.1:8000/v1."
    ),
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8100, help="Port to listen on."),
    config: Path = typer.Option(
        None,
        "--config",
        help="hegui.toml whose 'gateway' table configures the proxy (default: the usual search).",
    ),
    workers: int = typer.Option(
        1, min=1, help="Worker processes (strike counts stay exact: they live in the store)."
    ),
    db: str = typer.Option(None, "--db", help=DB_HELP),
    lexicon: str = typer.Option(None, "--lexicon", "-l", help="Keyword library (file or 'demo')."),
    classify: bool = typer.Option(
        None, "--classify/--no-classify", help="Run the risk classifier (default on)."
    ),
    log_json: bool = typer.Option(False, "--log-json", help="One JSON log line per decision on stderr."),
) -> None:
    """Run the gateway (when no subcommand is given). Point an OpenAI client's base_url at http://HOST:PORT/v1."""
    if ctx.invoked_subcommand is not None:
        return
    from hegui.gateway.config import load_gateway_config

    with errors_to_exit():
        cfg = load_gateway_config(
            config, upstream=upstream, database_url=db, lexicon=lexicon, classify=classify
        )
        from hegui.store import engine_for

        engine_for(cfg.database_url)  # migrate once, before workers start
    import logging

    import uvicorn

    if log_json:
        logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    err.print(f"hegui gateway on http://{host}:{port}/v1 → {escape(cfg.upstream)} ({workers} worker(s))")
    if workers == 1:
        from hegui.gateway.app import create_gateway

        uvicorn.run(create_gateway(cfg, structured_logs=log_json), host=host, port=port, log_level="warning",
                    timeout_graceful_shutdown=10)  # fmt: skip
        return
    from hegui.gateway.app import ENV_CONFIG

    data = cfg.model_dump(mode="json", exclude={"upstream_api_key"})
    data["_structured_logs"] = log_json
    key = cfg.api_key()
    if key:
        os.environ[cfg.upstream_api_key_env] = key  # workers read it from the environment, never from argv
    os.environ[ENV_CONFIG] = json.dumps(data)
    uvicorn.run("hegui.gateway.app:app_from_env", factory=True, host=host, port=port, workers=workers,
                log_level="warning", timeout_graceful_shutdown=10)  # fmt: skip


def _url(db: str | None) -> str | None:
    if db:
        return db
    from hegui.config import load_config

    return load_config().database_url


@users_app.command("list")
def users_list(
    state: str = typer.Option(None, help="Only users in this state (warned, limited, suspended)."),
    db: str = typer.Option(None, "--db", help=DB_HELP),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Users the gateway has struck, newest first."""
    from hegui.gateway.strikes import list_users

    with errors_to_exit():
        rows = list_users(_url(db), state=state)
    if as_json:
        emit_json({"users": rows})
        return
    t = Table(title="gateway users")
    for c in ("user", "state", "strikes", "updated", "note"):
        t.add_column(c)
    for r in rows:
        t.add_row(escape(r["user"]), r["state"], str(r["strikes_total"]), r["updated_at"], escape(r["note"]))
    out.print(t)


@users_app.command("unblock")
def users_unblock(
    user: str = typer.Argument(
        ..., help="The user key (request 'user' field, X-User-Id header, or key:… hash)."
    ),
    note: str = typer.Option(
        ..., "--note", help="Why (an appeal upheld, a mistaken refusal): kept on record."
    ),
    db: str = typer.Option(None, "--db", help=DB_HELP),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Lift a limit or suspension (after an appeal): strikes stay on record, set aside, with the note."""
    from hegui.gateway.strikes import unblock

    with errors_to_exit():
        standing = unblock(user, note, _url(db))
    if as_json:
        emit_json(standing.to_dict())
    else:
        out.print(f"{escape(user)}: state {standing.state}. Workers see it within a second.")


@logs_app.command("export")
def logs_export(
    output: Path = typer.Option(
        None, "--output", "-o", help="File to write (.csv or .jsonl); default stdout as JSONL."
    ),
    since_days: float = typer.Option(None, "--since-days", help="Only the last N days."),
    user: str = typer.Option(None, help="Only this user."),
    db: str = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """Export the decision log (hashes of texts; the texts only where log_texts was on)."""
    from hegui.gateway.audit import decisions, export_csv

    since = dt.datetime.now(dt.UTC) - dt.timedelta(days=since_days) if since_days else None
    with errors_to_exit():
        rows = decisions(_url(db), since=since, user=user)
        if output is not None and output.suffix.lower() == ".csv":
            output.write_text(export_csv(rows), encoding="utf-8")
            return
        lines = "".join(json.dumps(r, ensure_ascii=False, default=str) + "\n" for r in rows)
        if output is None:
            sys.stdout.write(lines)
        else:
            output.write_text(lines, encoding="utf-8")


@logs_app.command("purge")
def logs_purge(
    retention_days: int = typer.Option(183, help="Keep this many days (at least six months unless --force)."),
    force: bool = typer.Option(False, "--force", help="Allow a retention under six months."),
    db: str = typer.Option(None, "--db", help=DB_HELP),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Delete decisions older than the retention period."""
    from hegui.gateway.audit import purge

    with errors_to_exit():
        n = purge(retention_days, _url(db), force=force)
    if as_json:
        emit_json({"deleted": n, "retention_days": retention_days})
    else:
        out.print(f"deleted {n} decisions older than {retention_days} days")


@complaints_app.command("list")
def complaints_list(
    status: str = typer.Option(None, help="open, answered or closed."),
    db: str = typer.Option(None, "--db", help=DB_HELP),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Complaints by due date; exit 1 when one is overdue."""
    from hegui.gateway.audit import complaints

    with errors_to_exit():
        rows = complaints(_url(db), status=status)
    overdue = any(r["overdue"] for r in rows)
    if as_json:
        emit_json({"complaints": rows, "overdue": overdue})
    else:
        t = Table(title="complaints")
        for c in ("id", "kind", "user", "due", "status", "content"):
            t.add_column(c)
        for r in rows:
            due = r["due_at"][:16] + (" [red]overdue[/red]" if r["overdue"] else "")
            t.add_row(str(r["id"]), r["kind"], escape(r["user"]), due, r["status"], escape(r["content"][:60]))
        out.print(t)
    raise typer.Exit(1 if overdue else 0)


@complaints_app.command("answer")
def complaints_answer(
    complaint_id: int = typer.Argument(...),
    text: str = typer.Option(..., "--text", help="The answer given to the user."),
    db: str = typer.Option(None, "--db", help=DB_HELP),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Record the answer to a complaint."""
    from hegui.gateway.audit import answer_complaint

    with errors_to_exit():
        row = answer_complaint(complaint_id, text, _url(db))
    if as_json:
        emit_json(row)
    else:
        out.print(f"complaint {complaint_id} answered")
