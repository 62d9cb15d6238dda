"""Issue #18, "keep it from coming back": ``label show`` and ``label add`` over the whole hostile corpus finish
under fixed CPU-time and address-space limits (RLIMIT_CPU / RLIMIT_AS in the child process). A limit is a bound,
not a timing assertion: a regression to quadratic time or to gigabytes of memory gets the process killed (or a
MemoryError), and the test fails; normal runs use a fraction of it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from tests.hostile import corpus
from tests.hostile.conftest import PRODUCER, hegui, rows, temporaries

CPU_SECONDS = 90  # the whole corpus; it needs about a tenth of this on a loaded two-core machine
ADDRESS_SPACE = 3 * 1024**3  # bytes of virtual memory (Python, lxml, pikepdf and ffmpeg bindings mapped)


def test_show_over_the_hostile_corpus_is_bounded(tmp_path: Path) -> None:
    folder = tmp_path / "corpus"
    paths = corpus.write_corpus(folder)
    os.mkfifo(folder / "pipe.webp")  # must be skipped, never waited on
    result = hegui(
        "label",
        "show",
        "-r",
        "corpus",
        "--json",
        cwd=tmp_path,
        cpu_s=CPU_SECONDS,
        memory=ADDRESS_SPACE,
        timeout=600,
    )
    assert result.returncode in (1, 3), (result.returncode, result.stderr[-3000:])  # not killed by a limit
    assert "Traceback" not in result.stderr
    outcome = {Path(r["path"]).name: r for r in rows(result)}
    assert set(outcome) == {p.name for p in paths} | {"pipe.webp"}
    assert outcome["pipe.webp"]["status"] == "skipped"
    for name, row in outcome.items():
        assert row["status"] in ("read", "error", "skipped"), name
        assert len(row.get("labels", [])) <= 64, name
        assert "\n" not in row.get("error", ""), name


def test_add_over_the_hostile_corpus_is_bounded_and_leaves_no_temporaries(tmp_path: Path) -> None:
    folder = tmp_path / "corpus"
    corpus.write_corpus(folder)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    result = hegui(
        "label", "add", "-r", "corpus", "--producer", PRODUCER, "--json",
        cwd=tmp_path, cpu_s=CPU_SECONDS, memory=ADDRESS_SPACE, timeout=600,
    )  # fmt: skip
    assert result.returncode in (0, 3), (result.returncode, result.stderr[-3000:])
    assert "Traceback" not in result.stderr
    outcome = {Path(r["path"]).name: r for r in rows(result)}
    assert set(outcome) == set(before)
    for name, row in outcome.items():
        if row["status"] != "labeled":  # refused files are byte for byte what they were
            assert (folder / name).read_bytes() == before[name], name
    assert temporaries(tmp_path) == []
    shutil.rmtree(folder)
