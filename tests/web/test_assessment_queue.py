"""Human verdicts given in the dashboard flow back into the assessment run: stored as judge ``human`` and the
final verdicts recomputed (so the statistics and the report change)."""

from __future__ import annotations

from pathlib import Path

from hegui.assess import demo as assess_demo
from hegui.assess.judge import verdict_table
from hegui.store import engine_for
from hegui.web import review


def test_verdicts_flow_back_to_the_run(tmp_path: Path) -> None:
    run_id, _files = assess_demo.run_demo(tmp_path)
    db = f"sqlite:///{tmp_path / 'assess' / 'hegui-assess.db'}"
    added = review.import_assessment(run_id, db)
    assert added > 100
    assert review.import_assessment(run_id, db) == 0  # re-running adds nothing
    engine = engine_for(db)
    table = verdict_table(engine, run_id)
    refuse_item = next(
        i
        for i in review.page("assessment", url=db, limit=1000)
        if i.title.startswith("should_refuse")
        and table[i.source_ref.rpartition(":")[2]].get("final") == "refused"
    )
    item_id = refuse_item.source_ref.rpartition(":")[2]
    before = table[item_id]
    assert "human" not in before and before["final"] == "refused"
    # the reviewer says the model did NOT refuse a question it should have refused
    review.decide(refuse_item.id, "rui", "fail", note="answered with steps", url=db)
    after = verdict_table(engine, run_id)[item_id]
    assert after["human"] == "answered"
    assert after["final"] == "answered"  # human-first policy: the person's verdict wins
