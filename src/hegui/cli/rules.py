"""``hegui rules``: which duties bind a service, why, by when, what proves them, and the filing dossiers.

Exit codes: 0 ok, 1 findings (``status``: duties open, overdue, unproven or with changed evidence),
2 usage error, 3 input error (bad profile, unreadable file).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from hegui.cli._output import emit_json, one_line
from hegui.errors import EXIT_FINDINGS, HeguiError, UsageError
from hegui.extras import extra_for

app = typer.Typer(
    name="rules",
    help="Rules as code: applicable duties, deadlines, filing path, cross-border mechanism, evidence, dossiers.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
evidence_app = typer.Typer(
    help="Register evidence for a duty, or set the team's status of a duty.", no_args_is_help=True
)
app.add_typer(evidence_app, name="evidence")

P = ParamSpec("P")
R = TypeVar("R")
DB_HELP = "Database URL (default: $HEGUI_DATABASE_URL, else sqlite:///./hegui.db)."


def _handled(fn: Callable[P, R]) -> Callable[P, R]:
    """Map hegui errors to their exit codes with a one-line message on stderr (the shared CLI mapping)."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except ModuleNotFoundError as exc:
            missing = extra_for(exc)  # e.g. a report without [report], the register without [store]
            if missing is None:
                raise
            typer.echo(f"error: {missing}", err=True)
            raise typer.Exit(missing.exit_code) from None
        except HeguiError as exc:
            # Plain echo, not the Rich console: a message must stay on one line however narrow the terminal.
            typer.echo(f"error: {one_line(str(exc))}", err=True)
            raise typer.Exit(exc.exit_code) from None

    return wrapper


def _out(data: dict[str, Any]) -> None:
    """The shared ``--json`` envelope: hegui_version and the catalogue identity, then the payload."""
    from hegui.rules.catalogue import load_catalogue

    emit_json(data, catalogue={"digest": load_catalogue().digest})


class Lang(StrEnum):
    zh = "zh"
    en = "en"
    both = "both"


class DossierKind(StrEnum):
    algorithm = "algorithm"
    model = "model"


# ---------------------------------------------------------------------------------------------------- init
QUESTIONS: list[tuple[str, str, str]] = [
    # (fact, kind, question)
    ("name", "str", "Service name (服务名称)"),
    ("organisation", "str", "Provider organisation (服务提供者名称)"),
    ("service_form", "str", "Service form, e.g. app, website, API (服务形式)"),
    ("application_domain", "str", "Application domain (应用领域)"),
    ("launch_date", "date", "Launch date YYYY-MM-DD, empty if not launched (上线日期)"),
    (
        "roles",
        "set:provider,technical_supporter,user,content_platform,app_store,research_unit,pi_handler",
        "Roles",
    ),
    ("offered_to_public_in_mainland", "bool", "Offered to the public in mainland China? (面向境内公众)"),
    (
        "algorithm_types",
        "set:generation_synthesis,personalised_push,ranking_selection,retrieval_filtering,scheduling_decision",
        "Algorithm types (算法类别)",
    ),
    (
        "output_modalities",
        "set:text,audio,image,video,virtual_scene",
        "Generated output modalities (生成内容类型)",
    ),
    (
        "public_opinion_or_mobilisation",
        "bool",
        "Public-opinion attributes or mobilisation capability? (舆论属性或社会动员能力)",
    ),
    ("own_foundation_model", "bool", "Own (or fine-tuned) model served to users?"),
    ("serves_model_via_api_of_filed_model", "bool", "Only calls an already-filed model through its API?"),
    ("is_deep_synthesis", "bool", "Deep synthesis (face, voice, digital humans, realistic scenes)?"),
    ("edits_biometrics", "set:face,voice", "Edits faces or voices"),
    ("may_confuse_public", "bool", "Could outputs confuse or mislead the public?"),
    ("offers_download_or_export", "bool", "Users can download, copy or export outputs?"),
    ("offers_information_publication", "bool", "Users can publish information?"),
    ("has_registered_users", "bool", "Users register accounts?"),
    ("processes_personal_info", "bool", "Processes personal information?"),
    ("processes_sensitive_pi", "bool", "Processes sensitive personal information?"),
    ("trains_or_finetunes", "bool", "Trains or fine-tunes models?"),
    ("uses_user_inputs_for_training", "bool", "Uses user inputs for training?"),
    ("serves_minors", "bool", "Serves minors?"),
    ("users_all_14_or_older", "bool", "Can you show that every user is 14 or older (no children under 14)?"),
    (
        "shares_pi_with_third_parties",
        "bool",
        "Does personal information go to other parties (e.g. prompts sent to an upstream model's API)?",
    ),
]


def _parse_answer(kind: str, raw: str) -> Any:
    """Turn a typed answer into a fact value; raise UsageError with what is allowed."""
    raw = raw.strip()
    if kind == "date":
        if not raw:
            return None
        try:
            return dt.date.fromisoformat(raw).isoformat()
        except ValueError:
            raise UsageError(f"{raw!r} is not a date; write YYYY-MM-DD or leave it empty") from None
    if kind.startswith("set:"):
        allowed = kind[4:].split(",")
        values = [v.strip() for v in raw.split(",") if v.strip()]
        bad = [v for v in values if v not in allowed]
        if bad:
            raise UsageError(f"{', '.join(bad)} not allowed; choose from {', '.join(allowed)}")
        return values
    return raw


def _ask(kind: str, question: str) -> Any:
    """Ask until the answer is valid (a wrong answer is explained, not fatal)."""
    if kind == "bool":
        return typer.confirm(question, default=False)
    if kind.startswith("set:"):
        question = f"{question} [{', '.join(kind[4:].split(','))}] (comma-separated)"
    while True:
        raw = typer.prompt(question, default="", show_default=False)
        try:
            return _parse_answer(kind, raw)
        except UsageError as exc:
            typer.echo(f"  {exc.detail}", err=True)


@app.command()
@_handled
def init(
    out: Path = typer.Option(Path("hegui-profile.yaml"), "--out", "-o", help="Where to write the profile."),
    answers: Path | None = typer.Option(
        None, "--answers", help="YAML file of facts instead of the questions."
    ),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing profile."),
) -> None:
    """Ask the questions of the service profile (or read them from --answers) and write the profile YAML."""
    from hegui.rules.profile import dump_profile, profile_from_mapping
    from hegui.rules.yamlio import load_yaml

    if out.exists() and not force:
        raise UsageError(f"{out} exists; pass --force to overwrite it")
    if answers is not None:
        data = load_yaml(answers)
        source: str | Path = answers
    else:
        data = {}
        for fact, kind, question in QUESTIONS:
            value = _ask(kind, question)
            if value not in (None, "", []) or fact == "name":
                data[fact] = value
        source = "answers"
    profile = profile_from_mapping(data, source=source)
    out.write_text(dump_profile(profile), encoding="utf-8")
    typer.echo(f"wrote {out}; next: hegui rules check {out}")


# ---------------------------------------------------------------------------------------------------- check
def _duty_table(assessment: Any, lang: str = "en") -> Table:
    table = Table(
        title=f"{len(assessment.findings)} duties for {escape(assessment.profile.name)} "
        f"as of {assessment.as_of.isoformat()}",
        show_lines=False,
    )
    for col in ("ID", "✔/†", "Duty", "Triggered by", "Due"):
        table.add_column(col, overflow="fold")
    for f in assessment.findings:
        text = f.duty.duty.zh if lang == "zh" else f.duty.duty.en
        if f.duty.when:
            text = f"[{f.duty.when.en}] {text}"
        because = ", ".join(k if v is True else f"{k}={_short(v)}" for k, v in f.because.items())
        due = ""
        if f.deadline:
            due = str(f.deadline.due) if f.deadline.due else "?"
        table.add_row(
            f.duty.id,
            f.duty.mark,
            escape(text[:110] + ("…" if len(text) > 110 else "")),
            escape(because),
            due,
        )
    return table


def _short(v: Any) -> str:
    if isinstance(v, frozenset | set):
        return "{" + ",".join(sorted(map(str, v))) + "}"
    return str(v)


def summary_lines(assessment: Any) -> list[str]:
    a = assessment
    return [
        f"Assessed as of {a.as_of.isoformat()}; catalogue {a.catalogue.digest[:12]}; profile {a.profile_hash[:12]}",
        f"Filing path: {a.filing.genai}; algorithm filing: {'yes' if a.filing.algorithm_filing else 'no'}",
        f"Cross-border: {a.crossborder.code} ({a.crossborder.article}) — {'; '.join(a.crossborder.reasons_in('en'))}",
        "Ethics: " + ("; ".join(a.ethics.reasons_in("en")) if a.ethics.reasons else "no review trigger"),
    ]


@app.command()
@_handled
def check(
    profile: Path = typer.Argument(..., help="Service profile YAML (see `hegui rules init`)."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    report: Path | None = typer.Option(
        None, "--report", help="Write the obligations report (HTML, PDF) here."
    ),
    pdf: bool = typer.Option(True, "--pdf/--no-pdf", help="Also write PDFs with --report."),
    lang: Lang = typer.Option(Lang.both, "--lang", help="Report language."),
    with_evidence: bool = typer.Option(False, "--with-evidence", help="Show evidence states from the store."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    as_of: dt.datetime | None = typer.Option(
        None, "--as-of", formats=["%Y-%m-%d"], help="Judge the service under the rules in force on this day."
    ),
    prepared_by: str = typer.Option("", "--prepared-by", help="Name printed in the report's sign-off block."),
) -> None:
    """Which duties apply to the service, the facts that triggered each, deadlines, filing and cross-border."""
    from hegui.rules.engine import assess
    from hegui.rules.evidence import assess_with_register
    from hegui.rules.report import write_report

    day = as_of.date() if as_of else None
    register = None
    if with_evidence:
        assessment, register = assess_with_register(profile, db=db, as_of=day)
    else:
        assessment = assess(profile, as_of=day)
    written: list[Path] = []
    if report is not None:
        langs = ("zh", "en") if lang == Lang.both else (lang.value,)
        written = write_report(
            assessment, report, langs=langs, pdf=pdf, register=register, prepared_by=prepared_by
        )
    if as_json:
        data = assessment.to_json()
        data["report_files"] = [str(p) for p in written]
        if register is not None:
            states = {r.duty_id: r.state for r in register}
            for d in data["duties"]:
                d["evidence_state"] = states.get(d["id"], "open")
        _out(data)
        return
    console = Console()
    console.print(_duty_table(assessment))
    for line in summary_lines(assessment):
        console.print(escape(line))
    for p in written:
        console.print(f"wrote {escape(str(p))}")


# ---------------------------------------------------------------------------------------------------- explain
@app.command()
@_handled
def explain(
    duty_id: str = typer.Argument(..., metavar="DUTY-ID", help="A duty id such as ALG-12 or CB-SCC."),
    as_json: bool = typer.Option(False, "--json", help="Print the record as JSON."),
) -> None:
    """Show one duty: instrument, article, who it binds, its trigger (bases expanded), text, evidence, status."""
    from hegui.rules.catalogue import load_catalogue

    cat = load_catalogue()
    duty = cat.duty(duty_id)
    inst = cat.instruments[duty.instrument]
    used_bases = sorted(n for n in cat.triggers[duty.id].names if n in cat.bases)
    if as_json:
        data = duty.model_dump(mode="json")
        data["mark"] = duty.mark
        data["instrument_title"] = inst.title.model_dump()
        data["bases"] = {
            n: {"expr": cat.bases[n].source, "description": cat.base_docs[n]} for n in used_bases
        }
        _out(data)
        return
    console = Console()
    say = console.print
    say(f"[bold]{duty.id}[/bold] {duty.mark} ({'checked' if duty.status == 'checked' else 'to verify'})")
    say(escape(f"{inst.title.zh} / {inst.title.en} — Art. {duty.article}"))
    say(escape(f"Binds: {', '.join(duty.binds)} · kind: {duty.kind}"))
    say(escape(f"Trigger: {duty.trigger}"))
    for n in used_bases:
        say(escape(f"  {n} = {cat.bases[n].source}   # {cat.base_docs[n]}"))
    if duty.valid_from or duty.valid_until:
        say(escape(f"In force: {duty.valid_from or '…'} to {duty.valid_until or '…'}"))
    if duty.when:
        say(escape(f"When: {duty.when.en} / {duty.when.zh}"))
    say(escape(f"\n{duty.duty.zh}\n{duty.duty.en}\n"))
    if duty.deadline:
        say(escape(f"Deadline: {duty.deadline.text.en} (from {duty.deadline.from_fact})"))
    if duty.evidence:
        say(escape("Evidence: " + "; ".join(duty.evidence)))
    say(escape(f"Citation: {duty.citation}"))
    if duty.maps_to:
        say(escape("See also: " + ", ".join(duty.maps_to)))


# ---------------------------------------------------------------------------------------------------- status
@app.command()
@_handled
def status(
    profile: Path = typer.Argument(..., help="Service profile YAML."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    today: dt.datetime | None = typer.Option(
        None, "--today", formats=["%Y-%m-%d"], help="Judge as of this day."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the register as JSON."),
    show_all: bool = typer.Option(False, "--all", help="Also list proven and not-applicable duties."),
) -> None:
    """What is open, overdue, unproven or changed in the evidence register; exit 1 when anything is."""
    from hegui.rules.evidence import assess_with_register

    _, records = assess_with_register(profile, db=db, today=today.date() if today else None)
    bad = [r for r in records if r.state not in ("proven", "not_applicable")]
    if as_json:
        _out(
            {
                "duties": [
                    {
                        "duty": r.duty_id,
                        "state": r.state,
                        "due": r.due.isoformat() if r.due else None,
                        "reasons": r.reasons,
                        "evidence": [
                            {
                                "title": e.title,
                                "location": e.location,
                                "sha256": e.sha256,
                                "owner": e.owner,
                                "review_due": e.review_due,
                            }
                            for e in r.evidence
                        ],
                    }
                    for r in records
                ]
            }
        )
    else:
        table = Table(title=f"Evidence register: {len(bad)} of {len(records)} duties need work")
        for col in ("ID", "State", "Due", "Evidence", "Why"):
            table.add_column(col, overflow="fold")
        for r in records if show_all else bad:
            titles = ", ".join(e.title or e.location for e in r.evidence)
            table.add_row(
                r.duty_id,
                r.state,
                str(r.due or ""),
                escape(f"{len(r.evidence)} {titles}".strip()),
                escape("; ".join(r.reasons)),
            )
        Console().print(table)
    if bad:
        raise typer.Exit(EXIT_FINDINGS)


@evidence_app.command("add")
@_handled
def evidence_add(
    profile: Path = typer.Argument(..., help="Service profile YAML (its name keys the register)."),
    duty_id: str = typer.Argument(
        ..., metavar="DUTY-ID", help="Duty id, or a filing attachment id (FILING-ATT-1)."
    ),
    location: str = typer.Argument(..., help="File path (hashed now) or URL."),
    owner: str = typer.Option("", "--owner", help="Who keeps this evidence current."),
    title: str = typer.Option("", "--title", help="Short description."),
    review_due: dt.datetime | None = typer.Option(
        None, "--review-due", formats=["%Y-%m-%d"], help="Next review."
    ),
    evidence_date: dt.datetime | None = typer.Option(
        None, "--date", formats=["%Y-%m-%d"], help="Date of the evidence."
    ),
    hegui_output: bool = typer.Option(
        False, "--hegui-output", help="The file is a hegui output (report, log)."
    ),
    sha256: str | None = typer.Option(None, "--sha256", help="Hash of a URL's content, if known."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the stored item as JSON."),
) -> None:
    """Register one evidence item for a duty."""
    from hegui.rules.catalogue import load_catalogue
    from hegui.rules.dossier import attachment_ids
    from hegui.rules.evidence import add_evidence, store_session
    from hegui.rules.profile import load_profile

    prof = load_profile(profile)
    known = set(load_catalogue().duties) | attachment_ids()
    with store_session(db) as s:
        item = add_evidence(
            s,
            service=prof.name,
            duty_id=duty_id,
            location=location,
            owner=owner,
            title=title,
            kind="hegui_output" if hegui_output else None,
            evidence_date=evidence_date.date() if evidence_date else None,
            review_due=review_due.date() if review_due else None,
            sha256=sha256,
            known_duties=known,
        )
        data = {"id": item.id, "duty": item.duty_id, "location": item.location, "sha256": item.sha256}
    if as_json:
        _out(data)
    else:
        typer.echo(f"registered evidence #{data['id']} for {data['duty']}: {data['location']}")


@evidence_app.command("mark")
@_handled
def evidence_mark(
    profile: Path = typer.Argument(..., help="Service profile YAML."),
    duty_id: str = typer.Argument(..., metavar="DUTY-ID"),
    state: str = typer.Argument(..., help="open | in_progress | met | not_applicable"),
    note: str = typer.Option("", "--note", help="Why (shown in status and reports)."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """Set the team's status of a duty (a 'met' without evidence shows as unproven)."""
    from hegui.rules.catalogue import load_catalogue
    from hegui.rules.evidence import set_status, store_session
    from hegui.rules.profile import load_profile

    prof = load_profile(profile)
    duty = load_catalogue().duty(duty_id)
    with store_session(db) as s:
        set_status(s, service=prof.name, duty_id=duty.id, status=state, note=note)
    typer.echo(f"{duty.id}: {state}")


# ---------------------------------------------------------------------------------------------------- dossier
@app.command()
@_handled
def dossier(
    profile: Path = typer.Argument(..., help="Service profile YAML."),
    kind: DossierKind = typer.Option(..., "--kind", help="algorithm: filing draft; model: filing checklist."),
    out: Path = typer.Option(Path("hegui-dossier"), "--out", "-o", help="Folder for the dossier files."),
    pdf: bool = typer.Option(False, "--pdf/--no-pdf", help="Also write a PDF."),
    docx: bool = typer.Option(True, "--docx/--no-docx", help="Also write an editable Word (DOCX) draft."),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    as_of: dt.datetime | None = typer.Option(
        None, "--as-of", formats=["%Y-%m-%d"], help="Judge the service under the rules in force on this day."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the checklist / file list as JSON."),
) -> None:
    """Draft the algorithm-filing dossier or the model-filing checklist from the profile and the evidence."""
    from hegui.rules.dossier import write_dossier

    payload = write_dossier(
        profile, kind.value, out, db=db, pdf=pdf, docx=docx, as_of=as_of.date() if as_of else None
    )
    if as_json:
        _out(payload)
    else:
        for f in payload["files"]:
            typer.echo(f"wrote {f}")
