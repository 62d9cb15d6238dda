"""Label MP4 files of growing size with hegui, an ffmpeg stream-copy remux and ExifTool, in one run.

    .venv/bin/python benchmarks/labels_av.py            # 10 MB and 100 MB
    .venv/bin/python benchmarks/labels_av.py --big      # plus 1 GB
    .venv/bin/python benchmarks/labels_av.py --sizes 5M,50M --repeat 5

Files are made by :mod:`hegui.label.samples.isobmff` (a 2-second 720p clip stream-copied back to back), in
three layouts: ``moov`` first (faststart), ``moov`` last, fragmented. Every timed run starts from a fresh copy of the
same file (the copy is not timed). Columns, per file, median wall time:

* ``hegui``: the default write (temporary file + fsync + rename; reflink clone or ``copy_file_range``)
* ``in-place``: ``write(..., in_place=True)`` (undo journal; falls back to the default when media must move)
* ``in-place + move moov``: also ``IsobmffContainer.moving_moov()`` (a moov before the media that has no room goes to the end)
* ``read``: ``hegui.label.read`` of the labeled file
* ``ffmpeg``: ``ffmpeg -i in -map 0 -c copy -movflags use_metadata_tags -metadata AIGC=... out``, fsync, rename
* ``exiftool``: ``exiftool -config tc260 -XMP-TC260:AIGC=... -overwrite_original``, fsync

Every writer's output is fsynced inside the timing (hegui's atomic flow does it itself), so all pay for durability.

The goal (issue 3): constant time in the file size when ``moov`` is last or has room, at least 50 times faster than
the remux on 1 GB, and never more than one pass over the file otherwise.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from hegui.label import Record, read, write
from hegui.label.containers.isobmff import IsobmffContainer
from hegui.label.samples import isobmff as samples

ROOT = Path(__file__).resolve().parent.parent
EXIFTOOL_CONFIG = ROOT / "tests" / "label" / "tc260.exiftool.config"
RECORD = Record.new("001191440300708461136T1XGW3", produce_id="bench-0001")
HANDLER = IsobmffContainer()


def parse_size(text: str) -> int:
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    text = text.strip().upper()
    if text[-1] in units:
        return int(float(text[:-1]) * units[text[-1]])
    return int(text)


def human(size: int) -> str:
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if size >= scale:
            return f"{size / scale:.0f} {unit}"
    return f"{size} B"


def timed(base: Path, work: Path, action: Callable[[Path], object], repeat: int) -> float:
    """Median seconds of ``action`` on fresh copies of ``base``."""
    times = []
    for _ in range(repeat):
        shutil.copyfile(base, work)
        with open(work, "rb+") as handle:  # the copy's dirty pages must not be flushed by the timed write
            os.fsync(handle.fileno())
        start = time.perf_counter()
        action(work)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def fsync(path: Path) -> None:
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())


def ffmpeg_remux(path: Path) -> None:
    """The guide's command; the output is fsynced like hegui's (a labeling service needs it on disk)."""
    out = path.with_name("remux-" + path.name)
    subprocess.run(
        [
            "ffmpeg", "-v", "error", "-y", "-i", str(path), "-map", "0", "-c", "copy",
            "-movflags", "use_metadata_tags", "-metadata", f"AIGC={RECORD.to_json()}", str(out),
        ],
        check=True,
    )  # fmt: skip
    fsync(out)
    os.replace(out, path)


def exiftool_write(path: Path) -> None:
    subprocess.run(
        [
            "exiftool", "-config", str(EXIFTOOL_CONFIG), "-q", "-overwrite_original",
            f"-XMP-TC260:AIGC={RECORD.to_json()}", str(path),
        ],
        check=True,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    fsync(path)


def hegui_write(path: Path) -> None:
    write(path, RECORD, container="isobmff")


def hegui_in_place(path: Path) -> None:
    HANDLER.write(path, RECORD, in_place=True)


def hegui_move(path: Path) -> None:
    HANDLER.moving_moov().write(path, RECORD, in_place=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10M,100M", help="comma-separated file sizes (default 10M,100M)")
    parser.add_argument("--big", action="store_true", help="add a 1 GB file")
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs per measurement (1 for files over 500 MB)"
    )
    parser.add_argument(
        "--folder", type=Path, default=None, help="where to make the files (default: a temp dir)"
    )
    parser.add_argument("--no-exiftool", action="store_true", help="skip ExifTool (slow on big files)")
    args = parser.parse_args(argv)
    sizes = [parse_size(s) for s in args.sizes.split(",") if s]
    if args.big:
        sizes.append(1 << 30)
    folder = args.folder or Path(tempfile.mkdtemp(prefix="hegui-bench-av-"))
    folder.mkdir(parents=True, exist_ok=True)
    rows: list[tuple[int, str, list[float]]] = []
    try:
        for path in samples.make(
            folder / "warm", layouts=("moov-first",)
        ):  # keep import costs out of the table
            hegui_write(path)
        for size in sizes:
            repeat = 1 if size > 500 * (1 << 20) else args.repeat
            for layout in samples.LAYOUTS:
                sub = folder / f"{size}-{layout}"
                (base,) = samples.make(sub, size=size, layouts=(layout,))
                work = sub / ("work" + base.suffix)
                times = [
                    timed(base, work, action, repeat) for action in (hegui_write, hegui_in_place, hegui_move)
                ]
                start = time.perf_counter()
                for _ in range(repeat):
                    read(work, container="isobmff")
                times.append((time.perf_counter() - start) / repeat)
                times.append(timed(base, work, ffmpeg_remux, repeat))
                try:
                    times.append(
                        float("nan") if args.no_exiftool else timed(base, work, exiftool_write, repeat)
                    )
                except subprocess.CalledProcessError:  # "Can't yet handle movie fragments when writing"
                    times.append(float("nan"))
                rows.append((base.stat().st_size, layout, times))
                print(f"  done {human(size)} {layout}", file=sys.stderr, flush=True)
                shutil.rmtree(sub)
    finally:
        if args.folder is None:
            shutil.rmtree(folder, ignore_errors=True)
    print(
        "| file | layout | hegui ms | in-place ms | in-place + move moov ms | read ms | ffmpeg remux ms | exiftool ms "
        "| remux / hegui | remux / best hegui | exiftool / hegui |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for size, layout, (t_h, t_i, t_m, t_r, t_f, t_e) in rows:
        best = min(t_h, t_i, t_m)
        print(
            f"| {human(size)} | {layout} | {t_h * 1e3:.1f} | {t_i * 1e3:.1f} | {t_m * 1e3:.1f} | {t_r * 1e3:.2f} "
            f"| {t_f * 1e3:.0f} | {t_e * 1e3:.0f} | {t_f / t_h:.1f}x | {t_f / best:.1f}x | {t_e / t_h:.1f}x |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
