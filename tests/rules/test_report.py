"""Obligations report, as a regulator would read it: one language per document, words instead of identifiers,
version / digest / profile hash / date on every page, contents and sign-off, instrument citations (never research
notes or file paths), columns that do not overlap; and the filing drafts as DOCX."""

from __future__ import annotations

import datetime as dt
import html as html_lib
import io
import re
from pathlib import Path

import docx
import pypdf
import pytest

from hegui import __version__
from hegui.errors import UsageError
from hegui.rules.dossier import algorithm_dossier_docx, model_checklist_docx
from hegui.rules.engine import assess
from hegui.rules.evidence import DutyRecord
from hegui.rules.profile import ServiceProfile
from hegui.rules.report import render_html, write_report

AS_OF = dt.date(2025, 11, 3)
PROFILE = ServiceProfile(
    name="换脸演示",
    organisation="示例科技有限公司",
    offered_to_public_in_mainland=True,
    is_deep_synthesis=True,
    edits_biometrics={"face"},
    may_confuse_public=True,
    output_modalities={"video"},
    algorithm_types={"generation_synthesis"},  # type: ignore[arg-type]
    public_opinion_or_mobilisation=True,
    launch_date=dt.date(2024, 2, 5),
    has_registered_users=True,
    serves_minors=True,
    cross_border={"pi_count_nonsensitive_ytd": 150000},  # type: ignore[arg-type]
)
EN_PROFILE = PROFILE.model_copy(update={"name": "Face swap demo", "organisation": "Example Tech"})

# Tokens allowed in a Chinese report: duty ids, hashes, standard numbers, product names and hegui commands.
ALLOWED_LATIN = re.compile(
    r"[A-Z][A-Z0-9]*(?:-[A-Za-z0-9.]+)+|\b[0-9a-f]{16,64}\b|sha256|hegui(?: [a-z]+)*|GB/T|GB|TC260|"
    r"(?<![A-Za-z])AI(?:GC)?(?![A-Za-z])|API|附录[A-Z]|\d+\.\d+\.\d+(?:\.dev\d+)?"
)


def _text(html: str) -> str:
    body = re.sub(r"<style>.*?</style>|<title>.*?</title>", "", html, flags=re.S)
    return html_lib.unescape(re.sub(r"<[^>]+>", " ", body))


def test_chinese_report_is_entirely_chinese() -> None:
    html = render_html(assess(PROFILE, as_of=AS_OF), lang="zh")
    leftovers = re.findall(r"[A-Za-z]{2,}", ALLOWED_LATIN.sub(" ", _text(html)))
    assert leftovers == [], sorted(set(leftovers))[:40]
    assert "提示使用者依法告知被编辑的个人" in html  # DS-10 duty text
    assert "编辑人脸、人声等生物识别信息：人脸" in html  # the trigger in words, not edits_biometrics = face
    assert "标准合同或个人信息保护认证（第8条）" in html  # cross-border outcome in words
    assert "服务提供者" in html and "个人信息处理者" in html  # roles in words
    assert "单独同意记录" in html  # evidence in Chinese
    assert "《互联网信息服务深度合成管理规定》第14条（2）" in html  # citation in Chinese


def test_english_report_is_entirely_english() -> None:
    html = render_html(assess(EN_PROFILE, as_of=AS_OF), lang="en")
    assert re.findall(r"[\u3000-\u9fff\uff00-\uffef]", _text(html)) == []
    assert "edits faces or voices: face" in html
    assert "standard contract or PI protection certification (Art. 8)" in html
    assert "Deep Synthesis Provisions Art. 14(2)" in html


def test_report_header_toc_signoff_and_instrument_citations() -> None:
    a = assess(PROFILE, as_of=AS_OF)
    html = render_html(a, lang="zh", prepared_by="张三")
    runhead = re.search(r'<div class="runhead">(.*?)</div>', html)
    assert runhead is not None
    assert __version__ in runhead.group(1) and a.catalogue.digest[:16] in runhead.group(1)
    assert a.profile_hash[:16] in runhead.group(1) and "2025-11-03" in runhead.group(1)
    assert "string-set: runhead" in html and "string(runhead)" in html  # repeated on every PDF page
    assert 'class="toc"' in html and "target-counter(attr(href), page)" in html
    assert "编制人" in html and "审核人" in html and "张三" in html
    assert "《互联网信息服务深度合成管理规定》" in html
    for internal in ("LawRefBook", "[S", ".md", "reference/", "seed"):
        assert internal not in _text(html), internal


def test_report_is_dated_by_the_assessment_not_the_clock() -> None:
    html = render_html(assess(PROFILE, as_of=dt.date(2024, 6, 3)), lang="en")
    assert "2024-06-03" in html and dt.date.today().isoformat() not in html


def test_tables_have_fixed_column_widths() -> None:
    html = render_html(assess(PROFILE, as_of=AS_OF), lang="en")
    tables = re.findall(r"<table(?: class=\"[a-z]+\")?>(.*?)</table>", html, flags=re.S)
    multi = [t for t in tables if t.count("<th") >= 3]
    assert multi and all("<colgroup>" in t for t in multi)
    assert "table-layout: fixed" in html and "overflow-wrap: anywhere" in html


def test_html_shows_register_states_in_both_languages() -> None:
    a = assess(PROFILE, as_of=AS_OF)
    rec = DutyRecord(duty_id="DS-10", state="overdue")
    rec.note("复核应于 2024-12-31 完成", "review was due 2024-12-31")
    en = render_html(a, lang="en", register=[rec])
    zh = render_html(a, lang="zh", register=[rec])
    assert "state-overdue" in en and "review was due 2024-12-31" in en
    assert "逾期" in zh and "复核应于 2024-12-31 完成" in zh and "review was due" not in zh


def test_unknown_language_is_a_usage_error() -> None:
    with pytest.raises(UsageError):
        render_html(assess(PROFILE), lang="fr")


def test_pdf_has_header_on_every_page_and_embedded_cjk_font(tmp_path: Path) -> None:
    a = assess(PROFILE, as_of=AS_OF)
    files = write_report(a, tmp_path, langs=("zh",), pdf=True)
    pdf = tmp_path / "obligations.zh.pdf"
    assert pdf in files and (tmp_path / "obligations.zh.html") in files
    reader = pypdf.PdfReader(io.BytesIO(pdf.read_bytes()))
    assert len(reader.pages) >= 3
    for page in reader.pages:
        text = page.extract_text()
        assert a.profile_hash[:16] in text and "2025-11-03" in text and __version__ in text
    text = "".join(page.extract_text() for page in reader.pages)
    assert "合规义务报告" in text and "DS-10" in text
    fonts = set()
    for page in reader.pages:
        for f in (page["/Resources"].get("/Font") or {}).values():
            fonts.add(str(f.get_object()["/BaseFont"]))
    assert any("Noto-Sans-CJK-SC" in f for f in fonts), fonts
    assert oct(pdf.stat().st_mode & 0o777) == "0o644"


def test_filing_drafts_as_docx(tmp_path: Path) -> None:
    a = assess(PROFILE, as_of=AS_OF)
    draft = algorithm_dossier_docx(a, None, tmp_path / "draft.docx")
    doc = docx.Document(str(draft))
    text = "\n".join(p.text for p in doc.paragraphs)
    cells = "\n".join(c.text for t in doc.tables for row in t.rows for c in row.cells)
    assert "算法备案材料草稿：换脸演示" in text and "2025-11-03" in text and "【待补充】" in text
    assert "DS-16" in cells and "示例科技有限公司" in cells and "《互联网信息服务深度合成管理规定》" in cells
    checklist = model_checklist_docx(a, {"FILING-ATT-2": ["policy.pdf"]}, tmp_path / "list.docx")
    cells = "\n".join(
        c.text for t in docx.Document(str(checklist)).tables for row in t.rows for c in row.cells
    )
    assert "FILING-ATT-2" in cells and "已提供" in cells and "policy.pdf" in cells and "缺失" in cells
