"""The compliance dashboard: server-rendered pages (Jinja2 + htmx, no Node build) for duties and evidence, review
queues, filings, the verification and delivery logs, accounts and the audit log. Chinese and English.

A thin layer: every handler checks the session and the permission, calls a service function (hegui.rules,
hegui.web.review / evidence / accounts / audit, the gateway's and the platform's logs) and renders a template.
"""

from __future__ import annotations

import datetime as dt
import html
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from hegui import __version__
from hegui.errors import HeguiError
from hegui.web import accounts, audit, evidence, review
from hegui.web.i18n import LANGS, translate

HERE = Path(__file__).parent
COOKIE = "hegui_session"
templates = Jinja2Templates(directory=str(HERE / "templates"))


@dataclass
class DashboardSettings:
    """From the environment (``HEGUI_WEB_*``); every value has a default a local run can use."""

    database_url: str | None = field(default_factory=lambda: os.environ.get("HEGUI_DATABASE_URL") or None)
    profile: Path | None = field(default_factory=lambda: _env_path("HEGUI_WEB_PROFILE"))
    evidence_dir: Path = field(
        default_factory=lambda: _env_path("HEGUI_WEB_EVIDENCE_DIR") or _default_evidence_dir()
    )
    max_upload_bytes: int = field(
        default_factory=lambda: int(os.environ.get("HEGUI_WEB_MAX_UPLOAD_MB", "50")) << 20
    )
    idle_minutes: float = field(default_factory=lambda: float(os.environ.get("HEGUI_WEB_IDLE_MINUTES", "30")))
    reviewers: int = field(default_factory=lambda: int(os.environ.get("HEGUI_WEB_REVIEWERS", "1")))
    secure_cookies: bool = field(
        default_factory=lambda: os.environ.get("HEGUI_WEB_SECURE_COOKIES", "") == "1"
    )


def _env_path(name: str) -> Path | None:
    v = os.environ.get(name)
    return Path(v) if v else None


def _default_evidence_dir() -> Path:
    from hegui.config import user_data_dir

    return user_data_dir() / "evidence"


def _settings(request: Request) -> DashboardSettings:
    s: DashboardSettings = request.app.state.dashboard
    return s


def _lang(request: Request) -> str:
    lang = request.query_params.get("lang") or request.cookies.get("hegui_lang") or "zh"
    return lang if lang in LANGS else "zh"


class _Redirect(Exception):
    def __init__(self, to: str) -> None:
        self.to = to


class _Forbidden(Exception):
    pass


async def _session(request: Request) -> accounts.SessionInfo:
    cfg = _settings(request)
    token = request.cookies.get(COOKIE, "")
    info = await run_in_threadpool(accounts.resume, token, cfg.idle_minutes, cfg.database_url)
    if info is None:
        raise _Redirect("/login?next=" + quote(str(request.url.path)))
    return info


async def _need(request: Request, permission: str, *, post: bool = False) -> accounts.SessionInfo:
    info = await _session(request)
    if not info.account.can(permission):
        raise _Forbidden()
    if post:
        form_token = request.headers.get("x-csrf-token")
        if form_token is None:
            form = await request.form()
            form_token = str(form.get("csrf", ""))
        if form_token != info.csrf:
            raise _Forbidden()
    return info


def _page(request: Request, name: str, info: accounts.SessionInfo | None, **ctx: Any) -> HTMLResponse:
    lang = _lang(request)
    resp = templates.TemplateResponse(
        request,
        name,
        {
            "t": lambda key, **kw: translate(lang, key, **kw),
            "lang": lang,
            "user": info.account if info else None,
            "csrf": info.csrf if info else "",
            "version": __version__,
            "path": request.url.path,
            **ctx,
        },
    )
    if "lang" in request.query_params:
        resp.set_cookie("hegui_lang", lang, samesite="lax", max_age=365 * 86400)
    return resp


def _audit(
    info: accounts.SessionInfo, action: str, target: str, cfg: DashboardSettings, **detail: Any
) -> None:
    audit.record(info.account.username, action, target, detail, cfg.database_url)


router = APIRouter(include_in_schema=False)


# ----------------------------------------------------------------------------------------------- login


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request) -> HTMLResponse:
    return _page(request, "login.html", None, error="", next=request.query_params.get("next", "/"))


@router.post("/login")
async def login_submit(request: Request) -> Response:
    cfg = _settings(request)
    form = await request.form()
    username, password = str(form.get("username", "")), str(form.get("password", ""))
    target = str(form.get("next", "/"))
    if not target.startswith("/") or target.startswith("//"):
        target = "/"  # no open redirect
    client = request.client.host if request.client else "?"
    try:
        info = await run_in_threadpool(accounts.login, username, password, client, cfg.database_url)
    except accounts.LoginThrottled as exc:
        await run_in_threadpool(audit.record, username[:80], "login.throttled", client, {}, cfg.database_url)
        return _page(request, "login.html", None, error=str(exc), next=target)
    if info is None:
        await run_in_threadpool(audit.record, username[:80], "login.failed", client, {}, cfg.database_url)
        return _page(request, "login.html", None, error=translate(_lang(request), "bad_login"), next=target)
    await run_in_threadpool(_audit, info, "login", client, cfg)
    resp = RedirectResponse(target, status_code=303)
    resp.set_cookie(COOKIE, info.token, httponly=True, samesite="strict", secure=cfg.secure_cookies, path="/")
    return resp


@router.post("/logout")
async def logout(request: Request) -> Response:
    cfg = _settings(request)
    info = await _need(request, "view", post=True)
    await run_in_threadpool(accounts.logout, info.token, cfg.database_url)
    await run_in_threadpool(_audit, info, "logout", "", cfg)
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(COOKIE, path="/")
    return resp


# ----------------------------------------------------------------------------------------------- overview and duties


def _duties(cfg: DashboardSettings, lang: str) -> dict[str, Any]:
    if cfg.profile is None:
        return {"profile": None}
    from hegui.rules.evidence import register_view, store_session

    assessment = _assessment(cfg.profile)
    key = (str(cfg.profile), cfg.database_url or "")
    cached = _REGISTER.get(key)
    if cached is not None and time.monotonic() - cached[0] < REGISTER_TTL_S and cached[1] is assessment:
        records = cached[2]
    else:
        with store_session(cfg.database_url) as s:
            records = register_view(s, assessment)
        _REGISTER[key] = (time.monotonic(), assessment, records)
    by_id = {f.duty.id: f for f in assessment.findings}
    groups: dict[str, list[dict[str, Any]]] = {}
    chart: dict[str, dict[str, int]] = {}
    timeline = []
    for r in records:
        f = by_id[r.duty_id]
        instrument = assessment.catalogue.instruments.get(f.duty.instrument)
        inst = (
            (instrument.title.zh if lang == "zh" else instrument.title.en)
            if instrument
            else f.duty.instrument
        )
        row = {
            "id": r.duty_id,
            "state": r.state,
            "duty_zh": f.duty.duty.zh,
            "duty_en": f.duty.duty.en,
            "citation": f.duty.citation,
            "mark": f.duty.mark,
            "because": ", ".join(f"{k}={v}" for k, v in f.because.items()),
            "due": r.due.isoformat() if r.due else "",
            "evidence": len(r.evidence),
            "reasons": r.reasons,
        }
        groups.setdefault(inst, []).append(row)
        chart.setdefault(inst, {}).setdefault(r.state, 0)
        chart[inst][r.state] += 1
        if r.due:
            timeline.append(row)
    timeline.sort(key=lambda x: str(x["due"]))
    return {
        "profile": assessment.profile.name,
        "groups": dict(sorted(groups.items())),
        "chart": _chart_svg(chart),
        "timeline": timeline,
        "as_of": assessment.as_of.isoformat(),
        "catalogue": assessment.catalogue.digest[:16],
    }


_ASSESSED: dict[tuple[str, int, str], Any] = {}
_REGISTER: dict[tuple[str, str], tuple[float, Any, Any]] = {}
REGISTER_TTL_S = 30.0
"""The evidence state of the duties is recomputed at most every 30 s per worker (and at once after an upload or a
decision in the same worker): with 10,000 evidence items, recomputing takes over half a second."""


def _register_changed() -> None:
    _REGISTER.clear()


def _assessment(profile: Path) -> Any:
    """The rules assessment of the profile, kept while the file and the day are unchanged: the duties page is
    read far more often than the profile changes (assessing takes about half a second)."""
    from hegui.rules import assess

    key = (str(profile), profile.stat().st_mtime_ns, dt.date.today().isoformat())
    hit = _ASSESSED.get(key)
    if hit is None:
        _ASSESSED.clear()
        hit = _ASSESSED[key] = assess(profile)
    return hit


STATE_COLOURS = {
    "proven": "#1a7f37", "in_progress": "#0969da", "open": "#9a6700", "unproven": "#bc4c00",
    "changed": "#8250df", "overdue": "#cf222e", "not_applicable": "#6e7781",
}  # fmt: skip


def _chart_svg(chart: dict[str, dict[str, int]]) -> str:
    """Stacked horizontal bars, one per instrument: evidence state of its duties (inline SVG, no script)."""
    rows = sorted(chart.items())
    if not rows:
        return ""
    width, bar_h, label_w = 720, 18, 270
    top = max(sum(v.values()) for _, v in rows) or 1
    parts = [
        f'<svg role="img" aria-label="evidence state per instrument" viewBox="0 0 {width} {len(rows) * (bar_h + 6) + 4}" '
        'xmlns="http://www.w3.org/2000/svg" class="chart">'
    ]
    for i, (inst, states) in enumerate(rows):
        y = i * (bar_h + 6) + 2
        parts.append(
            f'<text x="0" y="{y + 13}" font-size="12">{html.escape(inst[:22] + ("…" if len(inst) > 22 else ""))}<title>{html.escape(inst)}</title></text>'
        )
        x = float(label_w)
        for state, n in sorted(states.items()):
            w = (width - label_w - 10) * n / top
            parts.append(
                f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{STATE_COLOURS.get(state, "#999")}">'
                f"<title>{html.escape(state)}: {n}</title></rect>"
            )
            x += w
    parts.append("</svg>")
    return "".join(parts)


@router.get("/", response_class=HTMLResponse)
async def overview(request: Request) -> HTMLResponse:
    info = await _need(request, "view")
    cfg = _settings(request)
    queues = await run_in_threadpool(review.counts, cfg.database_url)
    chain = await run_in_threadpool(audit.verify_chain, cfg.database_url)
    return _page(request, "overview.html", info, queues=queues, chain=chain, profile=cfg.profile)


@router.get("/duties", response_class=HTMLResponse)
async def duties(request: Request) -> HTMLResponse:
    info = await _need(request, "view")
    cfg = _settings(request)
    try:
        data = await run_in_threadpool(_duties, cfg, _lang(request))
    except HeguiError as exc:
        data = {"profile": None, "error": str(exc)}
    return _page(request, "duties.html", info, **data)


# ----------------------------------------------------------------------------------------------- evidence


@router.get("/evidence", response_class=HTMLResponse)
async def evidence_page(request: Request) -> HTMLResponse:
    info = await _need(request, "view")
    cfg = _settings(request)
    service = await run_in_threadpool(_service_name, cfg)
    rows = await run_in_threadpool(
        evidence.listing, service, cfg.database_url, duty=request.query_params.get("duty")
    )
    return _page(
        request,
        "evidence.html",
        info,
        rows=rows,
        service=service,
        error=request.query_params.get("error", ""),
    )


def _service_name(cfg: DashboardSettings) -> str:
    if cfg.profile is None:
        return "default"
    from hegui.rules import load_profile

    return load_profile(cfg.profile).name


@router.post("/evidence")
async def evidence_upload(request: Request) -> Response:
    info = await _need(request, "upload", post=True)
    cfg = _settings(request)
    form = await request.form()
    upload = form.get("file")
    duty = str(form.get("duty", "")).strip()
    title = str(form.get("title", "")).strip()
    if upload is None or isinstance(upload, str) or not duty:
        return RedirectResponse(
            "/evidence?error=" + quote(translate(_lang(request), "need_file_and_duty")), status_code=303
        )
    try:
        path, digest, size = await run_in_threadpool(
            evidence.store_file, upload.file, cfg.evidence_dir, cfg.max_upload_bytes
        )
        service = await run_in_threadpool(_service_name, cfg)
        eid = await run_in_threadpool(
            lambda: evidence.register(
                service=service, duty_id=duty, path=path, title=title or (upload.filename or digest[:12]),
                uploaded_by=info.account.username, url=cfg.database_url,
            )
        )  # fmt: skip
    except HeguiError as exc:
        return RedirectResponse("/evidence?error=" + quote(str(exc)), status_code=303)
    _register_changed()
    await run_in_threadpool(
        _audit, info, "evidence.upload", f"evidence:{eid}", cfg, duty=duty, sha256=digest, bytes=size
    )
    return RedirectResponse("/evidence", status_code=303)


@router.post("/evidence/{evidence_id}/decide")
async def evidence_decide(request: Request, evidence_id: int) -> Response:
    info = await _need(request, "approve", post=True)
    cfg = _settings(request)
    form = await request.form()
    approve = form.get("decision") == "approve"
    reason = str(form.get("reason", ""))
    try:
        row = await run_in_threadpool(
            evidence.decide, evidence_id, approve, reason, info.account.username, cfg.database_url
        )
    except HeguiError as exc:
        return RedirectResponse("/evidence?error=" + quote(str(exc)), status_code=303)
    _register_changed()
    await run_in_threadpool(
        _audit, info, f"evidence.{row.status}", f"evidence:{evidence_id}", cfg, reason=reason
    )
    return RedirectResponse("/evidence", status_code=303)


# ----------------------------------------------------------------------------------------------- review


@router.get("/review", response_class=HTMLResponse)
async def review_index(request: Request) -> HTMLResponse:
    info = await _need(request, "view")
    cfg = _settings(request)
    queues = await run_in_threadpool(review.counts, cfg.database_url)
    return _page(request, "review_index.html", info, queues=queues)


@router.get("/review/{queue}", response_class=HTMLResponse)
async def review_queue(request: Request, queue: str) -> HTMLResponse:
    info = await _need(request, "view")
    cfg = _settings(request)
    if queue not in review.QUEUES:
        return HTMLResponse("unknown queue", status_code=404)
    after = int(request.query_params.get("after", "0") or 0)
    items = await run_in_threadpool(lambda: review.page(queue, after=after, url=cfg.database_url))
    current = await run_in_threadpool(review.next_item, queue, info.account.username, cfg.database_url)
    stats = await run_in_threadpool(review.agreement, queue, cfg.database_url)
    return _page(
        request, "review.html", info, queue=queue, items=items, current=current, stats=stats, after=after
    )


@router.post("/review/{queue}/item/{item_id}", response_class=HTMLResponse)
async def review_decide(request: Request, queue: str, item_id: int) -> Response:
    info = await _need(request, "review", post=True)
    cfg = _settings(request)
    form = await request.form()
    verdict, risk, note = (
        str(form.get("verdict", "")),
        str(form.get("risk", "")).strip(),
        str(form.get("note", "")),
    )
    error = ""
    try:
        done = await run_in_threadpool(
            lambda: review.decide(
                item_id,
                info.account.username,
                verdict,
                risk=risk,
                note=note,
                reviewers=cfg.reviewers,
                url=cfg.database_url,
            )
        )
        await run_in_threadpool(
            _audit,
            info,
            "review.verdict",
            f"review:{item_id}",
            cfg,
            verdict=verdict,
            risk=risk,
            status=done.status,
        )
    except HeguiError as exc:
        error = str(exc)
    current = await run_in_threadpool(review.next_item, queue, info.account.username, cfg.database_url)
    return _page(request, "_review_item.html", info, queue=queue, current=current, error=error)


# ----------------------------------------------------------------------------------------------- logs, filings, audit


@router.get("/logs", response_class=HTMLResponse)
async def logs(request: Request) -> HTMLResponse:
    info = await _need(request, "view")
    cfg = _settings(request)
    q = request.query_params.get("q", "").strip()
    gateway_rows = await run_in_threadpool(_gateway_rows, cfg, q)
    deliveries = await run_in_threadpool(_delivery_rows, cfg, q)
    return _page(request, "logs.html", info, q=q, gateway=gateway_rows, deliveries=deliveries)


def _gateway_rows(cfg: DashboardSettings, q: str) -> list[dict[str, Any]]:
    from hegui.gateway.audit import decisions

    rows = list(decisions(cfg.database_url, user=q or None, limit=200))
    return rows[-200:]


def _delivery_rows(cfg: DashboardSettings, q: str) -> list[dict[str, Any]]:
    try:
        from hegui.label.platform import deliveries
    except ImportError:
        return []
    lister = getattr(deliveries, "list_deliveries", None)
    if lister is None:
        return []
    rows: list[dict[str, Any]] = []
    for r in lister(url=cfg.database_url):
        d = r.to_dict() if hasattr(r, "to_dict") else dict(r)
        if not q or q in str(d.get("recipient", "")) or q in str(d.get("content_id", "")):
            rows.append(d)
    return rows[:200]


@router.get("/filings", response_class=HTMLResponse)
async def filings(request: Request) -> HTMLResponse:
    info = await _need(request, "view")
    cfg = _settings(request)
    data: dict[str, Any] = {"profile": None}
    if cfg.profile is not None:
        from hegui.rules import assess

        a = await run_in_threadpool(assess, cfg.profile)
        data = {"profile": a.profile.name, "filing": a.filing, "duties": a.duty_ids}
    return _page(request, "filings.html", info, **data)


@router.get("/filings/{name}")
async def filings_export(request: Request, name: str) -> Response:
    """Exports: the obligations report (PDF), the algorithm-filing draft (DOCX), the model-filing checklist
    (DOCX). Officers and admins only; each export is in the audit log."""
    info = await _need(request, "export")
    cfg = _settings(request)
    if cfg.profile is None:
        return HTMLResponse("no service profile configured (HEGUI_WEB_PROFILE)", status_code=404)
    if name not in EXPORTS:
        return HTMLResponse("unknown export", status_code=404)
    lang = _lang(request)

    def render() -> bytes:
        import tempfile

        from hegui.rules import dossier
        from hegui.rules import report as rules_report
        from hegui.rules.evidence import assess_with_register, attachment_evidence, store_session

        assessment, records = assess_with_register(cfg.profile, db=cfg.database_url)  # type: ignore[arg-type]
        with tempfile.TemporaryDirectory() as tmp:
            target = Path(tmp) / name
            if name == "obligations.pdf":
                rules_report.html_to_pdf(
                    rules_report.render_html(
                        assessment, lang=lang, register=records, prepared_by=info.account.username
                    ),
                    target,
                )
            elif name == "algorithm-filing.docx":
                dossier.algorithm_dossier_docx(assessment, records, target)
            else:
                with store_session(cfg.database_url) as s:
                    ev = attachment_evidence(s, assessment.profile.name, dossier.attachment_ids())
                dossier.model_checklist_docx(assessment, ev, target)
            return target.read_bytes()

    try:
        data = await run_in_threadpool(render)
    except HeguiError as exc:
        return HTMLResponse(html.escape(str(exc)), status_code=422)
    await run_in_threadpool(_audit, info, "filing.export", name, cfg)
    return Response(
        data, media_type=EXPORTS[name], headers={"content-disposition": f'attachment; filename="{name}"'}
    )


EXPORTS = {
    "obligations.pdf": "application/pdf",
    "algorithm-filing.docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "model-checklist.docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


@router.get("/audit", response_class=HTMLResponse)
async def audit_page(request: Request) -> HTMLResponse:
    info = await _need(request, "view")
    cfg = _settings(request)
    rows = await run_in_threadpool(lambda: audit.entries(cfg.database_url))
    chain = await run_in_threadpool(audit.verify_chain, cfg.database_url)
    return _page(request, "audit.html", info, rows=rows, chain=chain)


# ----------------------------------------------------------------------------------------------- mounting


def mount(app: FastAPI, settings: Any) -> None:
    """Add the dashboard to the app ``hegui.web.app.create_app`` builds."""
    cfg = DashboardSettings()
    if getattr(settings, "database_url", None):
        cfg.database_url = settings.database_url
    app.state.dashboard = cfg

    @app.exception_handler(_Redirect)
    async def _to_login(_request: Request, exc: _Redirect) -> Response:
        if _request.headers.get("hx-request"):
            return Response(status_code=204, headers={"HX-Redirect": exc.to})
        return RedirectResponse(exc.to, status_code=303)

    @app.exception_handler(_Forbidden)
    async def _forbidden(request: Request, _exc: _Forbidden) -> Response:
        return HTMLResponse(f"<p>{html.escape(translate(_lang(request), 'forbidden'))}</p>", status_code=403)

    @app.middleware("http")
    async def _headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        response.headers.setdefault("x-frame-options", "DENY")
        response.headers.setdefault("x-content-type-options", "nosniff")
        response.headers.setdefault("referrer-policy", "same-origin")
        if response.headers.get("content-type", "").startswith("text/html"):
            response.headers.setdefault(
                "content-security-policy",
                "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'",
            )
        return response

    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.include_router(router)
