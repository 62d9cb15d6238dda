"""Issue #18, items 3-8 and 13: hostile files never sink a batch, never hang, never get a label over a truncation,
and temporary files never outlive their writer. Every file here is generated (tests/hostile/corpus.py)."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from hegui.label import read
from tests.hostile import corpus
from tests.hostile.conftest import PRODUCER, hegui, rows, temporaries


def png(path: Path) -> Path:
    Image.new("RGB", (8, 8), (1, 2, 3)).save(path)
    return path


# ---- item 3: one bad file never sinks a batch ------------------------------------------------------------------


def test_vp8_zero_width_fails_alone_and_the_batch_completes(tmp_path: Path) -> None:
    png(tmp_path / "a.png")
    (tmp_path / "b.webp").write_bytes(corpus.webp_vp8_zero_size())
    png(tmp_path / "c.png")
    before = (tmp_path / "b.webp").read_bytes()
    result = hegui("label", "add", "a.png", "b.webp", "c.png", "--producer", PRODUCER, "--json", cwd=tmp_path)
    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr
    by_name = {Path(r["path"]).name: r for r in rows(result)}
    assert by_name["a.png"]["status"] == by_name["c.png"]["status"] == "labeled"
    assert by_name["b.webp"]["status"] == "failed" and "0" in by_name["b.webp"]["error"]
    assert read(tmp_path / "a.png").valid and read(tmp_path / "c.png").valid
    assert (tmp_path / "b.webp").read_bytes() == before
    assert temporaries(tmp_path) == []
    table = hegui("label", "add", "a.png", "b.webp", "c.png", "--producer", PRODUCER, cwd=tmp_path)
    assert table.returncode == 3 and "2 labeled, 0 skipped, 0 refused, 1 failed" in table.stdout


# ---- item 5: truncated RIFF / WebP input is refused, its header never rewritten ----------------------------------


@pytest.mark.parametrize(
    "name", ["thirty-bytes.webp", "head12.avi", "no-data.wav", "truncated.wav", "vp8-zero-width.webp"]
)
def test_truncated_riff_is_refused_with_exit_3(tmp_path: Path, name: str) -> None:
    data = corpus.MAKERS[name]()
    (tmp_path / name).write_bytes(data)
    result = hegui("label", "add", name, "--producer", PRODUCER, cwd=tmp_path)
    assert result.returncode == 3, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert (tmp_path / name).read_bytes() == data  # the header was not rewritten to hide the truncation
    assert temporaries(tmp_path) == []


def test_truncated_riff_is_an_input_error_when_read(tmp_path: Path) -> None:
    for name in ("thirty-bytes.webp", "head12.avi", "truncated.wav"):
        (tmp_path / name).write_bytes(corpus.MAKERS[name]())
        result = hegui("label", "show", name, cwd=tmp_path)
        assert result.returncode == 3, (name, result.stdout)
        assert "truncated" in result.stdout


# ---- item 6 and 7: bounded time and labels ------------------------------------------------------------------------


def test_unclosed_tags_in_the_html_head(tmp_path: Path) -> None:
    """100,000 unfinished ``<a``: was quadratic (a minute and more); under a CPU limit it must finish."""
    (tmp_path / "a.html").write_bytes(corpus.html_unclosed_tags())
    (tmp_path / "b.html").write_bytes(corpus.html_body_in_unfinished_tag())
    result = hegui("label", "show", "a.html", "b.html", "--json", cwd=tmp_path, cpu_s=20)
    assert result.returncode == 1, result.stderr  # read, no label: not killed by the CPU limit
    assert [r["status"] for r in rows(result)] == ["read", "read"]


def test_labels_per_file_are_capped_and_counted(tmp_path: Path) -> None:
    from hegui.label.containers.base import MAX_LABELS

    (tmp_path / "m.png").write_bytes(corpus.png_many_text_labels(2_000))
    scan = read(tmp_path / "m.png")
    assert len(scan.labels) == MAX_LABELS
    assert any(f"{2_000 - MAX_LABELS} more labels" in f.message for f in scan.findings)
    assert not scan.valid


@pytest.mark.parametrize("name", ["many-text.png", "many-metas.html"])
def test_many_labels_show_and_add_are_bounded(tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_bytes(corpus.MAKERS[name]())
    shown = hegui("label", "show", name, "--json", cwd=tmp_path, cpu_s=30, memory=1536 * 1024 * 1024)
    assert shown.returncode == 1, shown.stderr[-2000:]
    (found,) = rows(shown)
    assert len(found["labels"]) <= 64
    assert any("more labels beyond" in f["message"] for f in found["findings"])
    added = hegui(  # the copies name other producers: replacing them takes --replace-foreign
        "label", "add", name, "--producer", PRODUCER, "--replace-foreign", "--json", cwd=tmp_path, cpu_s=30
    )
    assert added.returncode == 0, added.stderr[-2000:]
    assert len(read(tmp_path / name).labels) == 1  # every old copy removed: one label per file


# ---- item 8: FIFOs and other non-regular files -----------------------------------------------------------------


def test_fifo_is_skipped_alone_and_under_recursive(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    png(folder / "a.png")
    os.mkfifo(folder / "pipe.png")
    result = hegui("label", "show", "in/pipe.png", "--json", cwd=tmp_path, timeout=60)
    assert (
        result.returncode == 3 and rows(result)[0]["status"] == "error"
    )  # named: an error; under -r: skipped
    assert "FIFO" in rows(result)[0]["error"]
    result = hegui("label", "add", "-r", "in", "--producer", PRODUCER, "--json", cwd=tmp_path, timeout=60)
    assert result.returncode == 0, result.stderr
    assert {Path(r["path"]).name: r["status"] for r in rows(result)} == {
        "a.png": "labeled",
        "pipe.png": "skipped",
    }
    result = hegui("label", "show", "-r", "in", "--json", cwd=tmp_path, timeout=60)
    assert {Path(r["path"]).name: r["status"] for r in rows(result)} == {
        "a.png": "read",
        "pipe.png": "skipped",
    }
    result = hegui("label", "add", "in/pipe.png", "--producer", PRODUCER, cwd=tmp_path, timeout=60)
    assert result.returncode == 3 and "Traceback" not in result.stderr


# ---- item 13: symbolic links, loops, --output onto a file --------------------------------------------------------


def test_symlink_labels_the_target_and_keeps_the_link(tmp_path: Path) -> None:
    real = png(tmp_path / "real.png")
    link = tmp_path / "link.png"
    link.symlink_to("real.png")
    result = hegui("label", "add", "link.png", "--producer", PRODUCER, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert link.is_symlink() and os.readlink(link) == "real.png"
    assert read(real).valid
    assert temporaries(tmp_path) == []


def test_symlink_loop_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "a.png").symlink_to("b.png")
    (tmp_path / "b.png").symlink_to("a.png")
    for command in (["add", "a.png", "--producer", PRODUCER], ["show", "a.png"]):
        result = hegui("label", *command, "--json", cwd=tmp_path)
        assert result.returncode == 3, result.stderr
        assert "Traceback" not in result.stderr and "symbolic links" in rows(result)[0]["error"]


def test_output_onto_an_existing_file_is_a_usage_error(tmp_path: Path) -> None:
    png(tmp_path / "a.png")
    (tmp_path / "out").write_bytes(b"not a folder")
    result = hegui("label", "add", "a.png", "-o", "out", "--producer", PRODUCER, cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "existing" in result.stderr
    assert (tmp_path / "out").read_bytes() == b"not a folder"


def test_planted_symlink_in_the_output_folder_is_replaced_not_followed(tmp_path: Path) -> None:
    png(tmp_path / "a.png")
    (tmp_path / "out").mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"keep me")
    (tmp_path / "out" / "a.png").symlink_to(victim)
    result = hegui("label", "add", "a.png", "-o", "out", "--producer", PRODUCER, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert victim.read_bytes() == b"keep me"
    assert not (tmp_path / "out" / "a.png").is_symlink() and read(tmp_path / "out" / "a.png").valid


# ---- item 4: stale temporaries, full disk ---------------------------------------------------------------------


def _stale(path: Path, age: float = 3600) -> Path:
    path.write_bytes(b"\x00" * 1000)
    then = time.time() - age
    os.utime(path, (then, then))
    return path


def test_stale_temporaries_are_removed_but_live_ones_kept(tmp_path: Path) -> None:
    png(tmp_path / "a.png")
    dead = _stale(tmp_path / ".a.png.k1ll3d.hegui-tmp")
    other = _stale(tmp_path / ".video.mp4.zz9xyz.hegui-tmp")
    live = _stale(tmp_path / ".a.png.l1ve00.hegui-tmp")
    young = tmp_path / ".b.png.y0ung0.hegui-tmp"
    young.write_bytes(b"")
    holder = subprocess.Popen(  # a live writer: holds the lock on its temporary file
        [sys.executable, "-c", "import fcntl,sys,time; f=open(sys.argv[1],'rb'); "
         "fcntl.flock(f, fcntl.LOCK_EX); print('held', flush=True); time.sleep(60)", str(live)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        result = hegui("label", "add", "a.png", "--producer", PRODUCER, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
    finally:
        holder.kill()
        holder.wait()
    assert not dead.exists() and not other.exists()
    assert live.exists() and young.exists()
    with open(live, "rb") as f:  # the lock died with its holder: the next run removes it
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)


def test_full_disk_is_a_clear_error_and_leaves_nothing(tmp_path: Path) -> None:
    big = tmp_path / "big.png"
    Image.frombytes("RGB", (300, 300), os.urandom(300 * 300 * 3)).save(big)
    before = big.read_bytes()
    result = hegui("label", "add", "big.png", "--producer", PRODUCER, "--json", cwd=tmp_path, fsize=64 * 1024)
    assert result.returncode == 3, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    error = rows(result)[0]["error"]
    assert "file-size limit" in error and "original is untouched" in error
    assert big.read_bytes() == before
    assert temporaries(tmp_path) == []
