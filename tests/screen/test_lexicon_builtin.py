"""The shipped lexicons by name: the demo (marked, warns) and the starter list (sources recorded, honest coverage)."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from hegui.errors import UsageError
from hegui.screen import lexicon as L
from hegui.screen.matcher import Matcher
from hegui.screen.normalize import normalize_keyword
from hegui.screen.taxonomy import KEYWORD_RISKS, MINIMUMS


def test_names_resolve() -> None:
    demo, starter = L.load("demo"), L.load("starter")
    assert demo.is_demo and len(demo) == 82
    assert starter.name == "starter" and not starter.is_demo and len(starter) > 1000
    assert L.load_demo().digest == demo.digest
    with pytest.raises(UsageError, match="starter"):
        L.load_builtin("nope")


def test_identity_names_the_lexicon() -> None:
    ident = L.load("starter").identity
    assert ident["name"] == "starter" and ident["entries"] == len(L.load("starter"))
    assert len(ident["digest"]) == 64 and ident["demo"] is False
    assert "demo lexicon" in L.DEMO_WARNING


def test_starter_records_a_source_for_every_entry() -> None:
    raw = json.loads(resources.files("hegui.screen").joinpath("data/starter_lexicon.json").read_text("utf-8"))
    assert "NOT filing grade" in raw["description"]
    for e in raw["entries"]:
        assert e["notes"].startswith("authored") or "(MIT)" in e["notes"], e
    sources = (resources.files("hegui.screen") / "data" / "DATA_SOURCES.md").read_text("utf-8")
    assert "konsheng/Sensitive-lexicon" in sources and "MIT License" in sources


def test_starter_is_deduplicated_after_normalisation() -> None:
    keys = [normalize_keyword(e.keyword) for e in L.load("starter") if e.mode != "exact"]
    assert len(keys) == len(set(keys))


def test_starter_is_quiet_on_everyday_text() -> None:
    everyday = json.loads(
        resources.files("hegui.screen").joinpath("data/authored_everyday.json").read_text("utf-8")
    )
    m = Matcher(L.load("starter"))
    hits = [h for s in everyday["sentences"] for h in m.find(s)]
    assert hits == []
    assert {h.keyword for h in m.find("他在网上卖冰毒和自制炸药")}  # and it does fire on what it should


def test_starter_latin_keywords_match_whole_words_only() -> None:
    """English words and pinyin in the public lists are other words inside longer ones: "anal" in "analysis",
    "titor" in "competitor". They match as whole words; Chinese keywords match anywhere."""
    starter = L.load("starter")
    # The demo's own English entries keep their modes ("porn" and "bomb-making" are safe as prefixes).
    prefix_safe = {e.keyword for e in L.load("demo") if e.keyword.isascii() and e.mode == "normalized"}
    assert prefix_safe == {"porn", "bomb-making"}
    latin = [e for e in starter if e.keyword.isascii() and e.keyword not in prefix_safe]
    assert len(latin) > 60 and all(e.mode == "word" for e in latin)
    assert all(e.mode != "word" for e in starter if not e.keyword.isascii())
    text = "Please write an analysis of our competitor's method for young adults, or something."
    for lexicon in (starter, L.load("demo")):
        assert Matcher(lexicon).find(text) == []
    m = Matcher(starter)
    assert {h.keyword for h in m.find("no anal, no adult sites")} == {"anal", "adult"}
    assert {h.keyword for h in m.find("他说 f.u.c.k 了")} == {"fuck"}  # evasion folding still applies


def test_starter_coverage_is_reported_honestly() -> None:
    cov = L.coverage(L.load("starter"))
    assert not cov.ok  # far below 10,000 keywords and most of the 17 floors: the report must say so
    by = {r.risk: r for r in cov.risks}
    assert set(by) == set(KEYWORD_RISKS)
    assert by["A.1.a"].have >= MINIMUMS.keywords_for("A.1.a")
    assert by["A.2.a"].gap > 0
    assert "does NOT meet" in "\n".join(cov.lines())


def test_screening_with_the_demo_lexicon_warns_on_stderr() -> None:
    import subprocess
    import sys
    import warnings

    from hegui.screen import service

    with pytest.warns(service.DemoLexiconWarning, match="demo lexicon"):
        service.screen(["你好"], lexicon="demo", pii=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = service.screen(["他想自制炸药"], lexicon="starter", pii=False)
    assert result.lexicon.name == "starter" and result.found
    cli = [sys.executable, "-m", "hegui.cli.main", "screen", "text", "你好", "--lexicon", "demo", "--no-pii"]
    done = subprocess.run(cli, capture_output=True, text=True, check=False)
    assert done.returncode == 0 and "demo lexicon" in done.stderr and "demo lexicon" not in done.stdout
