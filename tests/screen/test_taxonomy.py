from __future__ import annotations

import pytest

from hegui.errors import UsageError
from hegui.screen import taxonomy


def test_counts_follow_appendix_a() -> None:
    assert len(taxonomy.RISKS) == 31
    sizes = [sum(1 for r in taxonomy.RISKS if r.category == c.id) for c in taxonomy.CATEGORIES]
    assert sizes == [8, 9, 5, 7, 2]
    assert len(taxonomy.KEYWORD_RISKS) == 17
    assert len(set(taxonomy.RISK_IDS)) == 31


def test_resolve_accepts_ids_texts_and_aliases() -> None:
    assert taxonomy.resolve("A.2.e") == "A.2.e"
    assert taxonomy.resolve("性别歧视内容") == "A.2.e"
    assert taxonomy.resolve("侵犯他人隐私权") == "A.4.e"  # CHiSafetyBench spelling
    assert taxonomy.resolve("内容不准确") == "A.5.a"
    assert taxonomy.resolve("Gender discrimination") == "A.2.e"
    assert taxonomy.resolve("no such risk") is None
    with pytest.raises(UsageError):
        taxonomy.get("A.9.z")


def test_minimums() -> None:
    m = taxonomy.MINIMUMS
    assert sum(m.keywords_for(r) for r in taxonomy.KEYWORD_RISKS) == 8 * 200 + 9 * 100
    assert m.keywords_for("A.3.a") == 0
    assert taxonomy.category_of("A.4.b").zh == "侵犯他人合法权益"
