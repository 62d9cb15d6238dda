"""``hegui rules`` end to end through Typer's runner: exit codes, JSON shapes, files written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hegui.cli.main import app

runner = CliRunner()

CHAT = """\
name: chat
offered_to_public_in_mainland: true
output_modalities: [text]
algorithm_types: [generation_synthesis]
public_opinion_or_mobilisation: true
serves_model_via_api_of_filed_model: true
has_registered_users: true
launch_date: 2025-09-26
cross_border: {pi_count_nonsensitive_ytd: 100000}
"""


@pytest.fixture
def profile(tmp_path: Path) -> Path:
    p = tmp_path / "chat.yaml"
    p.write_text(CHAT, encoding="utf-8")
    return p


def test_check_json(profile: Path) -> None:
    res = runner.invoke(app, ["rules", "check", str(profile), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["filing_path"] == "registration"
    assert data["cbdt_mechanism"] == "scc_or_certification:art8"
    ids = {d["id"]: d for d in data["duties"]}
    assert ids["ALG-20"]["deadline"]["due"] == "2025-10-16"
    assert ids["GAI-17"]["because"]["public_opinion_or_mobilisation"] is True
    assert ids["GAI-08"]["mark"] == "†" if "GAI-08" in ids else True
    assert "FIL-01" not in ids


def test_check_table_and_report(profile: Path, tmp_path: Path) -> None:
    out = tmp_path / "rep"
    res = runner.invoke(
        app, ["rules", "check", str(profile), "--report", str(out), "--no-pdf", "--lang", "en"]
    )
    assert res.exit_code == 0, res.output
    assert "ALG-20" in res.stdout and "registration" in res.stdout
    html = (out / "obligations.en.html").read_text(encoding="utf-8")
    assert "GAI-17" in html and "Algorithm Provisions Art. 24(1)" in html


def test_check_bad_profile_is_input_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\noffered_to_public_in_mainland: maybe\nfoo: 1\n", encoding="utf-8")
    res = runner.invoke(app, ["rules", "check", str(bad)])
    assert res.exit_code == 3
    assert "offered_to_public_in_mainland" in res.stderr and "foo: unknown fact" in res.stderr


def test_check_missing_file_is_input_error(tmp_path: Path) -> None:
    res = runner.invoke(app, ["rules", "check", str(tmp_path / "none.yaml")])
    assert res.exit_code == 3


def test_usage_errors_exit_2() -> None:
    assert runner.invoke(app, ["rules", "check"]).exit_code == 2
    assert runner.invoke(app, ["rules", "dossier", "x.yaml", "--kind", "tax"]).exit_code == 2


def test_explain(profile: Path) -> None:
    res = runner.invoke(app, ["rules", "explain", "cb-scc", "--json"])
    assert res.exit_code == 0
    data = json.loads(res.stdout)
    assert data["id"] == "CB-SCC" and data["mark"] == "†" and data["article"] == "8"
    res = runner.invoke(app, ["rules", "explain", "ALG-12"])
    assert "alg_svc = offered_to_public_in_mainland" in res.stdout
    assert runner.invoke(app, ["rules", "explain", "NOPE-1"]).exit_code == 3


def test_init_from_answers_then_check(tmp_path: Path) -> None:
    answers = tmp_path / "answers.yaml"
    answers.write_text(CHAT, encoding="utf-8")
    out = tmp_path / "profile.yaml"
    res = runner.invoke(app, ["rules", "init", "--answers", str(answers), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert runner.invoke(app, ["rules", "init", "--answers", str(answers), "--out", str(out)]).exit_code == 2
    res = runner.invoke(app, ["rules", "check", str(out), "--json"])
    assert json.loads(res.stdout)["filing_path"] == "registration"


def test_init_interactive(tmp_path: Path) -> None:
    out = tmp_path / "p.yaml"
    # name, organisation, form, domain, launch, roles, public?, algos, modalities, public opinion?, then all "no"
    # a wrong date and a wrong algorithm type are explained and asked again
    answers = [
        "feed",
        "Org",
        "app",
        "news",
        "03/03/2025",
        "2025-03-03",
        "provider",
        "y",
        "push",
        "personalised_push",
    ]
    answers += ["", "y"]
    answers += ["n", "n", "n", ""] + ["n"] * 11  # ... edits_biometrics is a list question
    res = runner.invoke(app, ["rules", "init", "--out", str(out)], input="\n".join(answers) + "\n")
    assert res.exit_code == 0, res.output
    assert "'03/03/2025' is not a date" in res.stderr and "push not allowed" in res.stderr
    res = runner.invoke(app, ["rules", "check", str(out), "--json"])
    data = json.loads(res.stdout)
    assert data["algorithm_filing"] is True
    assert {d["id"]: d for d in data["duties"]}["ALG-20"]["deadline"]["due"] == "2025-03-17"


def test_evidence_status_and_dossiers(profile: Path, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'h.db'}"
    res = runner.invoke(app, ["rules", "status", str(profile), "--db", db, "--today", "2025-11-01", "--json"])
    assert res.exit_code == 1
    states = {r["duty"]: r["state"] for r in json.loads(res.stdout)["duties"]}
    assert states["ALG-20"] == "overdue" and states["ALG-01"] == "open"

    receipt = tmp_path / "receipt.pdf"
    receipt.write_bytes(b"%PDF receipt")
    res = runner.invoke(
        app, ["rules", "evidence", "add", str(profile), "alg-20", str(receipt), "--db", db, "--json"]
    )
    assert res.exit_code == 0, res.output
    assert len(json.loads(res.stdout)["sha256"]) == 64
    assert (
        runner.invoke(
            app, ["rules", "evidence", "add", str(profile), "ALG-99", "https://x", "--db", db]
        ).exit_code
        == 2
    )
    assert (
        runner.invoke(app, ["rules", "evidence", "mark", str(profile), "ALG-01", "met", "--db", db]).exit_code
        == 0
    )
    assert (
        runner.invoke(
            app, ["rules", "evidence", "mark", str(profile), "ALG-01", "done", "--db", db]
        ).exit_code
        == 2
    )
    res = runner.invoke(app, ["rules", "status", str(profile), "--db", db, "--today", "2025-11-01", "--json"])
    states = {r["duty"]: r["state"] for r in json.loads(res.stdout)["duties"]}
    assert states["ALG-20"] == "proven" and states["ALG-01"] == "unproven"
    res = runner.invoke(app, ["rules", "check", str(profile), "--with-evidence", "--db", db, "--json"])
    assert {d["id"]: d["evidence_state"] for d in json.loads(res.stdout)["duties"]}["ALG-20"] == "proven"

    res = runner.invoke(
        app, ["rules", "evidence", "add", str(profile), "FILING-ATT-4", "https://x/keywords.xlsx", "--db", db]
    )
    assert res.exit_code == 0
    out = tmp_path / "dossier"
    res = runner.invoke(
        app, ["rules", "dossier", str(profile), "--kind", "model", "--db", db, "-o", str(out), "--json"]
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    items = {i["id"]: i["status"] for i in data["items"]}
    assert data["path"] == "registration"
    assert items["FILING-ATT-4"] == "provided" and items["REG-FORM"] == "missing"
    assert "FILING-ATT-1" not in items  # the security assessment report belongs to the filing path

    res = runner.invoke(
        app, ["rules", "dossier", str(profile), "--kind", "algorithm", "--db", db, "-o", str(out)]
    )
    assert res.exit_code == 0, res.output
    draft = (out / "algorithm-filing-draft.zh.html").read_text(encoding="utf-8")
    assert "算法安全自评估报告" in draft and "拟公示内容" in draft and "生成合成类" in draft
    assert "【待补充】" in draft and "符合" in draft  # ALG-20 has evidence


def test_dossier_algorithm_needs_an_algorithm(tmp_path: Path) -> None:
    p = tmp_path / "p.yaml"
    p.write_text("name: lab\nroles: [research_unit]\n", encoding="utf-8")
    db = f"sqlite:///{tmp_path / 'h.db'}"
    res = runner.invoke(
        app, ["rules", "dossier", str(p), "--kind", "algorithm", "--db", db, "-o", str(tmp_path)]
    )
    assert res.exit_code == 3
    assert "no algorithm to file" in " ".join(res.stderr.split())  # Rich wraps long lines


def test_every_command_has_help() -> None:
    for cmd in (
        ["init"],
        ["check"],
        ["explain"],
        ["status"],
        ["dossier"],
        ["evidence", "add"],
        ["evidence", "mark"],
    ):
        res = runner.invoke(app, ["rules", *cmd, "--help"])
        assert res.exit_code == 0 and "Usage" in res.stdout


def test_check_as_of_and_json_identity(profile: Path) -> None:
    res = runner.invoke(app, ["rules", "check", str(profile), "--json", "--as-of", "2025-12-31"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["hegui_version"] and data["as_of"] == "2025-12-31"
    assert len(data["catalogue_digest"]) == 64 and len(data["profile_sha256"]) == 64
    ids = {d["id"] for d in data["duties"]}
    assert "CSL-24" not in ids or "CSL26-ID" not in ids
    later = json.loads(
        runner.invoke(app, ["rules", "check", str(profile), "--json", "--as-of", "2026-01-05"]).stdout
    )
    assert "CSL26-LOG" in {d["id"] for d in later["duties"]} and "CSL-21" in ids


def test_dossier_writes_docx(profile: Path, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'h.db'}"
    out = tmp_path / "d"
    res = runner.invoke(
        app, ["rules", "dossier", str(profile), "--kind", "algorithm", "-o", str(out), "--db", db, "--json"]
    )
    assert res.exit_code == 0, res.output
    files = json.loads(res.stdout)["files"]
    assert (
        any(f.endswith(".docx") for f in files)
        and (out / "algorithm-filing-draft.zh.docx").stat().st_size > 0
    )


def test_a_missing_extra_is_named_with_exit_3(
    profile: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "weasyprint", None)  # as if hegui[report] were not installed
    res = runner.invoke(
        app, ["rules", "check", str(profile), "--report", str(tmp_path / "r"), "--lang", "en"]
    )
    assert res.exit_code == 3, res.output
    assert "hegui[report]" in res.stderr and "Traceback" not in res.output
