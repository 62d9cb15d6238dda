"""Obligations report: zh and en HTML with citations and ✔ / † marks; one real PDF with CJK text embedded."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pypdf
import pytest

from hegui.errors import UsageError
from hegui.rules.engine import assess
from hegui.rules.evidence import DutyRecord
from hegui.rules.profile import ServiceProfile
from hegui.rules.report import render_html, write_report

PROFILE = ServiceProfile(
    name="换脸演示",
    offered_to_public_in_mainland=True,
    is_deep_synthesis=True,
    edits_biometrics={"face"},
    may_confuse_public=True,
    output_modalities={"video"},
    algorithm_types={"generation_synthesis"},  # type: ignore[arg-type]
    public_opinion_or_mobilisation=True,
    launch_date=dt.date(2024, 2, 5),
)


def test_html_zh_and_en_carry_marks_citations_and_triggers() -> None:
    a = assess(PROFILE)
    zh = render_html(a, lang="zh", today=dt.date(2025, 1, 1))
    en = render_html(a, lang="en", today=dt.date(2025, 1, 1))
    assert "合规义务报告" in zh and "Obligations report" in en
    assert "提示使用者依法告知被编辑的个人" in zh  # DS-10 in Chinese
    assert "separate consent" in en
    assert "Deep Synthesis Provisions Art. 14(2)" in en and "Deep Synthesis Provisions Art. 14(2)" in zh
    assert 'DS-10</b> <span class="mark">†' in en  # DS Art. 14 is a summary: †
    assert 'DS-14</b> <span class="mark">✔' in en
    assert "2024-02-23" in en  # DS-16 deadline across Spring Festival 2024
    assert "edits_biometrics = face" in en
    assert "Civil Code" in en  # context notes section lists liability instruments
    assert "crossborder.security_assessment_nonsensitive" in en  # parameters with their marks


def test_html_shows_register_states() -> None:
    a = assess(PROFILE)
    reg = [DutyRecord(duty_id="DS-10", state="overdue", reasons=["review was due 2024-12-31"])]
    html = render_html(a, lang="en", register=reg)
    assert "state-overdue" in html and "review was due 2024-12-31" in html
    assert "逾期" in render_html(a, lang="zh", register=reg)


def test_unknown_language_is_a_usage_error() -> None:
    with pytest.raises(UsageError):
        render_html(assess(PROFILE), lang="fr")


def test_pdf_has_embedded_cjk_font_and_text(tmp_path: Path) -> None:
    small = ServiceProfile(name="小服务", offered_to_public_in_mainland=True, output_modalities={"text"})
    files = write_report(assess(small), tmp_path, langs=("zh",), pdf=True)
    pdf = tmp_path / "obligations.zh.pdf"
    assert pdf in files and (tmp_path / "obligations.zh.html") in files
    reader = pypdf.PdfReader(io.BytesIO(pdf.read_bytes()))
    text = "".join(page.extract_text() for page in reader.pages)
    assert "合规义务报告" in text and "GAI-17" not in text and "LBL-03" in text
    fonts = set()
    for page in reader.pages:
        for f in (page["/Resources"].get("/Font") or {}).values():
            fonts.add(str(f.get_object()["/BaseFont"]))
    assert any("Noto-Sans-CJK-SC" in f for f in fonts), fonts
    assert oct(pdf.stat().st_mode & 0o777) == "0o644"
