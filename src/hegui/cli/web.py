"""``hegui web``: accounts, the audit chain and review-queue imports of the dashboard (``hegui serve`` runs it)."""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from hegui.cli._output import emit_json, errors_to_exit

app = typer.Typer(
    help="The compliance dashboard: accounts, audit chain, review queues.", no_args_is_help=True
)
user_app = typer.Typer(
    help="Local accounts with roles: admin, officer, reviewer, readonly.", no_args_is_help=True
)
audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)
review_app = typer.Typer(help="Fill the review queues.", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(audit_app, name="audit")
app.add_typer(review_app, name="review")
out = Console()
DB_HELP = "Database URL (default: HEGUI_DATABASE_URL, hegui.toml, else sqlite:///./hegui.db)."


@user_app.command("add")
def user_add(
    username: str = typer.Argument(...),
    role: str = typer.Option(..., help="admin, officer, reviewer or readonly."),
    password_env: str = typer.Option(
        None,
        help="Read the password from this environment variable (else it is asked for, never an argument).",
    ),
    db: str = typer.Option(None, "--db", help=DB_HELP),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Create an account. The password is asked for (or read from --password-env), never passed on the command line."""
    from hegui.web import accounts, audit

    password = os.environ.get(password_env, "") if password_env else getpass.getpass("password: ")
    with errors_to_exit():
        acc = accounts.create_user(username, password, role, db)
        audit.record("cli", "user.create", username, {"role": role}, db)
    if as_json:
        emit_json({"user": acc.username, "role": acc.role})
    else:
        out.print(f"created {escape(acc.username)} ({acc.role})")


@user_app.command("list")
def user_list(
    db: str = typer.Option(None, "--db", help=DB_HELP), as_json: bool = typer.Option(False, "--json")
) -> None:
    from hegui.web import accounts

    with errors_to_exit():
        users = accounts.list_users(db)
    if as_json:
        emit_json({"users": [{"user": u.username, "role": u.role} for u in users]})
    else:
        for u in users:
            out.print(f"{escape(u.username)}\t{u.role}")


@audit_app.command("verify")
def audit_verify(
    db: str = typer.Option(None, "--db", help=DB_HELP), as_json: bool = typer.Option(False, "--json")
) -> None:
    """Recompute the hash chain: exit 0 when intact, 1 naming the first entry that was edited, removed or inserted."""
    from hegui.web.audit import verify_chain

    with errors_to_exit():
        check = verify_chain(db)
    if as_json:
        emit_json(check.to_dict())
    else:
        out.print(f"{check.entries} entries: " + ("intact" if check.ok else escape(check.problem)))
    raise typer.Exit(0 if check.ok else 1)


@review_app.command("import")
def review_import(
    queue: str = typer.Argument(..., help="assessment, gateway, appeals or corpus."),
    path: Path = typer.Argument(
        None, help="JSONL of items (id, title, text, risk); not needed for 'gateway'."
    ),
    db: str = typer.Option(None, "--db", help=DB_HELP),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Add items to a queue: the gateway's refused and cut decisions and appeals, or a JSONL file (corpus samples
    from 'hegui corpus sample -o x.jsonl', assessment answers). Re-running adds only new items."""
    from hegui.web import review

    with errors_to_exit():
        if queue == "gateway":
            n = review.import_gateway(db)
        elif queue == "assessment" and path is not None and not path.exists():
            n = review.import_assessment(str(path), db)  # an assessment run id
        else:
            if path is None:
                raise typer.BadParameter("a JSONL file is needed for this queue")
            lines = sys.stdin if str(path) == "-" else path.read_text(encoding="utf-8").splitlines()
            n = review.import_jsonl(queue, lines, db)
    if as_json:
        emit_json({"queue": queue, "added": n})
    else:
        out.print(f"added {n} items to {queue}")
