"""From evidence to the Art. 6 verdict: confirmed / possible / suspected / none, with the notice a platform shows.

Labeling Measures Art. 6:

* (一) the metadata states the content is generated (a valid label with ``Label`` "1") -> **confirmed**;
* (二) no verified label, but the uploader declares it generated -> **possible**;
* (三) no verified label, no declaration, but a visible label or other traces are detected -> **suspected**;
* otherwise -> **none** (the platform still offers the declaration, Art. 6 (四)).

Documented outcomes for the cases the Measures do not spell out [inferred, see docs/platform.md]:

* ``Label`` "2" (possibly) from an earlier platform: **possible** (it records an earlier uploader's declaration).
* ``Label`` "3" (suspected) from an earlier platform: **suspected**, or **possible** when the uploader declares.
* A malformed label (not JSON, missing keys, bad ``Label``) or one with Annex E errors: not verified, but an AIGC
  carrier is a trace -> **suspected** (or **possible** with a declaration).
* Conflicting labels (two different records in one file): not verified -> **suspected** / **possible**.
* An integrity code that fails (``invalid``): the label may be forged or altered, so it is not verified ->
  **suspected** / **possible**. ``unknown-key`` and ``unsigned`` do not change the verdict (codes are optional).
* A valid ``Label`` "1" while the uploader declares "not generated": **confirmed** (the metadata wins), with the
  conflict listed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from hegui.label.platform.evidence import Evidence

Verdict = Literal["confirmed", "possible", "suspected", "none"]
VERDICTS: tuple[Verdict, ...] = ("confirmed", "possible", "suspected", "none")

#: the notice to show next to the published content (Art. 6 (一)-(三)); the wording follows the Measures
NOTICES: dict[str, str | None] = {
    "confirmed": "该内容属于人工智能生成合成内容",
    "possible": "该内容可能为人工智能生成合成内容",
    "suspected": "该内容疑似为人工智能生成合成内容",
    "none": None,
}
NOTICES_EN: dict[str, str | None] = {
    "confirmed": "This content is AI-generated.",
    "possible": "This content may be AI-generated.",
    "suspected": "This content is suspected to be AI-generated.",
    "none": None,
}
#: the Label value a platform writes into a new record for each verdict (Annex E c)
LABEL_FOR: dict[str, str] = {"confirmed": "1", "possible": "2", "suspected": "3"}
ARTICLE: dict[str, str] = {
    "confirmed": "Labeling Measures Art. 6 (一)",
    "possible": "Labeling Measures Art. 6 (二)",
    "suspected": "Labeling Measures Art. 6 (三)",
    "none": "Labeling Measures Art. 6 (四)",
}


@dataclass
class Decision:
    verdict: Verdict
    reasons: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    evidence: Evidence | None = None

    @property
    def notice(self) -> str | None:
        return NOTICES[self.verdict]

    @property
    def label_to_write(self) -> str | None:
        """``Label`` for a new record when the file has no usable label (None: keep the existing one / none)."""
        return LABEL_FOR.get(self.verdict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "notice": self.notice,
            "notice_en": NOTICES_EN[self.verdict],
            "article": ARTICLE[self.verdict],
            "reasons": self.reasons,
            "conflicts": self.conflicts,
            "evidence": self.evidence.to_dict() if self.evidence is not None else None,
        }


def decide(ev: Evidence) -> Decision:
    """The verdict for one file's evidence (pure function; the rules are the module docstring's)."""
    reasons: list[str] = []
    conflicts: list[str] = []
    record = ev.record
    integrity_status = ev.integrity_status
    not_verified: str | None = None  # why a label that is there does not count as verified
    if ev.label_state == "valid" and record is not None:
        if integrity_status == "invalid":
            bad = next(c for c in ev.integrity if c.status == "invalid")
            not_verified = (
                f"the label's integrity code {bad.slot} fails ({bad.reason}): it may be forged or altered"
            )
        elif record.Label == "1":
            reasons.append('a valid GB 45438 implicit label states the content is AI-generated (Label "1")')
            if integrity_status == "valid":
                reasons.append("its integrity code verifies against a pinned key")
            elif integrity_status == "unknown-key":
                reasons.append("its signature could not be checked: no key is pinned for its producer")
            if ev.declared_ai is False:
                conflicts.append(
                    "the uploader declared the content not AI-generated; the metadata label wins"
                )
            return Decision("confirmed", reasons, conflicts, ev)
        elif record.Label == "2":
            reasons.append('an earlier platform labelled the content "possibly AI-generated" (Label "2")')
            if ev.declared_ai:
                reasons.append("the uploader declares it AI-generated")
            return Decision("possible", reasons + ev.traces(), conflicts, ev)
        elif record.Label == "3":
            if ev.declared_ai:
                reasons.append("the uploader declares it AI-generated")
                reasons.append('an earlier platform labelled it "suspected" (Label "3")')
                return Decision("possible", reasons + ev.traces(), conflicts, ev)
            reasons.append('an earlier platform labelled the content "suspected AI-generated" (Label "3")')
            return Decision("suspected", reasons + ev.traces(), conflicts, ev)
    elif ev.label_state == "duplicated":
        not_verified = "the file holds conflicting labels (GB 45438 §6.1 c: one label per file)"
        conflicts.append(not_verified)
    elif ev.label_state in ("malformed", "invalid"):
        errors = [f["message"] for f in ev.label_findings if f.get("severity") == "error"][:3]
        detail = "; ".join(str(e) for e in errors) if errors else (ev.error or "unreadable")
        not_verified = f"an AIGC label is present but malformed ({detail})"
    elif ev.label_state == "unreadable":
        reasons.append(f"the file's metadata could not be read ({ev.error}); no label was verified")
    if not_verified is not None:
        reasons.append(not_verified)
    if ev.declared_ai:
        reasons.append("no verified implicit label; the uploader declares the content AI-generated")
        return Decision("possible", reasons + ev.traces(), conflicts, ev)
    traces = ev.traces()
    if not_verified is not None or traces:
        if ev.declared_ai is False and traces:
            conflicts.append("the uploader declared the content not AI-generated, but traces were detected")
        return Decision("suspected", reasons + traces, conflicts, ev)
    reasons.append("no implicit label, no declaration and no traces found")
    return Decision("none", reasons, conflicts, ev)
