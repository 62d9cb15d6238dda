"""The platform demo shows one upload of each verdict."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from hegui import label
from hegui.label.platform import demo


def test_demo_shows_every_verdict(tmp_path: Path) -> None:
    console = Console(record=True, width=200)
    fragment = demo.run(tmp_path, console)
    text = console.export_text()
    for verdict in ("confirmed", "possible", "suspected", "none"):
        assert f"<td>{verdict}</td>" in fragment
        assert verdict in text
    stamped = tmp_path / "platform" / "stamped"
    confirmed = label.read(stamped / "confirmed-signed.png").labels[0].record
    assert confirmed is not None and confirmed.ContentPropagator == demo.DEMO_PLATFORM
    assert not (stamped / "none.png").exists()
