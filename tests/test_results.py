"""hegui.results: the Finding shape, to_dict(), and the --json envelope."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import hegui
from hegui.results import Finding, Span, envelope, to_jsonable


def test_finding_to_dict_leaves_out_absent_parts() -> None:
    f = Finding("keyword", "warning", "found 炸弹", "matcher")
    assert f.to_dict() == {
        "code": "keyword",
        "severity": "warning",
        "message": "found 炸弹",
        "source": "matcher",
    }
    g = Finding(
        "pii.mobile", "error", "a mobile number", "pii", span=Span(3, 14), where="line 2", data={"score": 0.9}
    )
    assert g.to_dict()["span"] == {"start": 3, "end": 14, "unit": "char"}
    assert g.to_dict()["where"] == "line 2"
    assert g.to_dict()["data"] == {"score": 0.9}
    json.dumps(g.to_dict())


@dataclass
class _Result:
    n: int

    def to_dict(self) -> dict[str, Any]:
        return {"n": self.n}


def test_envelope() -> None:
    out = envelope(
        {"results": [_Result(1), _Result(2)], "path": Path("/x")}, lexicon={"name": "demo"}, catalogue=None
    )
    assert out == {
        "hegui_version": hegui.__version__,
        "lexicon": {"name": "demo"},
        "results": [{"n": 1}, {"n": 2}],
        "path": "/x",
    }
    assert next(iter(out)) == "hegui_version"
    assert envelope(_Result(5)) == {"hegui_version": hegui.__version__, "n": 5}
    with pytest.raises(ValueError, match="clash"):
        envelope({"hegui_version": "0"})


def test_to_jsonable_sets_and_tuples() -> None:
    assert to_jsonable({"a": (1, 2), 3: {"x"}}) == {"a": [1, 2], "3": ["x"]}
