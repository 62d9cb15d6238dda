"""``make demo`` section for the rules wing: check a bundled sample profile, keep some evidence in a SQLite
store, and write the obligations report (zh + en, HTML + PDF) and both filing dossiers under ``out/rules``.
"""

from __future__ import annotations

import datetime as dt
import html
from importlib import resources
from pathlib import Path

from rich.console import Console
from rich.table import Table

from hegui.rules.catalogue import load_catalogue
from hegui.rules.dossier import (
    algorithm_dossier_docx,
    model_checklist,
    model_checklist_docx,
    render_algorithm_dossier,
    render_model_checklist,
)
from hegui.rules.engine import assess
from hegui.rules.evidence import add_evidence, register_view, set_status
from hegui.rules.profile import load_profile
from hegui.rules.report import write_report
from hegui.store import open_store, session_scope

# Fixed, so the demo's overdue / proven states, the assessment date and every date printed in the report and the
# dossiers are the same on every run (the report is dated by the assessment, never by the clock).
TODAY = dt.date(2025, 11, 3)


def run(out: Path, console: Console) -> str:
    """Run the check on the sample profile, write the reports under ``out/rules``, return an HTML fragment."""
    folder = out / "rules"
    folder.mkdir(parents=True, exist_ok=True)
    sample = folder / "sample-profile.yaml"
    sample.write_text(
        resources.files("hegui.rules").joinpath("data/samples/chat-app.yaml").read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    profile = load_profile(sample)
    assessment = assess(profile, as_of=TODAY)

    db_file = folder / "hegui.db"
    db_file.unlink(missing_ok=True)
    engine = open_store(f"sqlite:///{db_file}")
    policy = folder / "algorithm-security-policy.md"
    policy.write_text("# 算法安全管理制度\n\n审核、伦理审查、应急处置……\n", encoding="utf-8")
    dossier_html = render_algorithm_dossier(assessment, today=TODAY)
    draft = folder / "algorithm-filing-draft.zh.html"
    draft.write_text(dossier_html, encoding="utf-8")
    try:
        with session_scope(engine) as s:
            add_evidence(
                s,
                service=profile.name,
                duty_id="ALG-02",
                location=str(policy),
                owner="legal",
                review_due=dt.date(2026, 6, 30),
                evidence_date=dt.date(2025, 9, 1),
                title="算法安全管理制度 [v1]",
            )
            add_evidence(
                s,
                service=profile.name,
                duty_id="ALG-11",
                location="https://example.cn/algorithm-notice",
                owner="product",
                evidence_date=dt.date(2025, 9, 26),
            )
            add_evidence(
                s,
                service=profile.name,
                duty_id="FILING-ATT-2",
                location=str(policy),
                owner="legal",
                evidence_date=TODAY,
            )
            set_status(s, service=profile.name, duty_id="GAI-15", status="met")
            register = register_view(s, assessment, today=TODAY)
    finally:
        engine.dispose()

    files = write_report(assessment, folder, register=register, prepared_by="hegui demo")
    draft.write_text(render_algorithm_dossier(assessment, register, today=TODAY), encoding="utf-8")
    checklist = folder / "model-filing-checklist.zh.html"
    checklist.write_text(
        render_model_checklist(assessment, {"FILING-ATT-2": [str(policy)]}, today=TODAY), encoding="utf-8"
    )
    draft_docx = algorithm_dossier_docx(assessment, register, folder / "algorithm-filing-draft.zh.docx")
    checklist_docx = model_checklist_docx(
        assessment, {"FILING-ATT-2": [str(policy)]}, folder / "model-filing-checklist.zh.docx"
    )
    path, items = model_checklist(assessment, {"FILING-ATT-2": [str(policy)]})

    table = Table(title=f"{profile.name}: {len(assessment.findings)} duties apply")
    for col in ("ID", "✔/†", "Duty", "State"):
        table.add_column(col, overflow="fold")
    states = {r.duty_id: r.state for r in register}
    for f in assessment.findings[:25]:
        table.add_row(f.duty.id, f.duty.mark, f.duty.duty.en[:80], states.get(f.duty.id, "open"))
    console.print(table)
    console.print(
        f"Filing path: {assessment.filing.genai}; algorithm filing: {assessment.filing.algorithm_filing}; "
        f"cross-border: {assessment.crossborder.code}; model-filing checklist ({path}): "
        f"{sum(i.status == 'provided' for i in items)}/{len(items)} provided"
    )
    counts = load_catalogue().counts()
    links = " · ".join(
        f"<a href='rules/{html.escape(p.name)}'>{html.escape(p.name)}</a>"
        for p in [*files, draft, draft_docx, checklist, checklist_docx]
    )
    open_count = sum(r.state not in ("proven", "not_applicable") for r in register)
    return (
        f"<p>Sample service <b>{html.escape(profile.name)}</b>: {len(assessment.findings)} duties apply "
        f"({open_count} still need evidence); filing path <b>{assessment.filing.genai}</b>, cross-border "
        f"<code>{html.escape(assessment.crossborder.code)}</code>.</p><p>{links}</p>"
        f"<p class='t'>Catalogue: {counts['instruments']} instruments, {counts['duties']} duties "
        f"({counts['duties_to_verify']} marked † to verify).</p>"
    )
