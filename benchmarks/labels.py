"""Label read / write throughput: hegui against ExifTool in ``-stay_open`` mode, on the same files, in one run.

    .venv/bin/python benchmarks/labels.py                      # image and document formats, 3 sizes
    .venv/bin/python benchmarks/labels.py --formats png,jpeg --sizes 0,1000000,20000000 --reads 200

For each format and size it generates a sample (hegui.label.samples), labels it, then times
* reads: hegui.label.read() vs ExifTool reading XMP-TC260:AIGC (config defining the TC260 namespace), both warm;
* writes: hegui.label.write() vs ExifTool writing XMP-TC260:AIGC (-overwrite_original), each on fresh copies.
ExifTool runs as one persistent process (-stay_open), so its Perl start-up is not counted against it. Prints files
per second and the ratio hegui / ExifTool. Goals (issue 2): reads >= 20x, writes >= 5x, read time flat in size.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from hegui.label import CommitBatch, Record, read, write
from hegui.label.samples import modules

ROOT = Path(__file__).resolve().parent.parent
EXIFTOOL_CONFIG = ROOT / "tests" / "label" / "tc260.exiftool.config"
DEFAULT_FORMATS = "jpeg,png,gif,webp,tiff,heif,pdf,ooxml,svg,markdown,html"
PRODUCER = "001191110108MA01HEGU1F1DEMO"


class ExifTool:
    """One persistent ExifTool process driven through -stay_open (the fastest way to use it from a program)."""

    def __init__(self) -> None:
        exe = shutil.which("exiftool")
        if exe is None:
            raise SystemExit("exiftool not found: apt-get install libimage-exiftool-perl")
        self.proc = subprocess.Popen(
            [exe, "-config", str(EXIFTOOL_CONFIG), "-stay_open", "True", "-@", "-"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )

    def run(self, *args: str) -> str:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(("\n".join(args) + "\n-execute\n").encode())
        self.proc.stdin.flush()
        out = b""
        while not out.endswith(b"{ready}\n"):
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("exiftool exited")
            out += line
        return out[: -len(b"{ready}\n")].decode(errors="replace")

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"-stay_open\nFalse\n")
        self.proc.stdin.flush()
        self.proc.wait(timeout=30)


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


def bench_reads(path: Path, exiftool: ExifTool, reads: int) -> tuple[float, float, str]:
    read(path)  # warm caches for both
    started = time.perf_counter()
    for _ in range(reads):
        read(path)
    hegui_s = time.perf_counter() - started
    first = exiftool.run("-s3", "-XMP-TC260:AIGC", str(path))
    started = time.perf_counter()
    for _ in range(reads):
        exiftool.run("-s3", "-XMP-TC260:AIGC", str(path))
    exif_s = time.perf_counter() - started
    sees = "yes" if '"Label"' in first else "no"
    return rate(reads, hegui_s), rate(reads, exif_s), sees


def bench_writes(
    path: Path, exiftool: ExifTool, writes: int, work: Path
) -> tuple[float, float, float | None]:
    """Files per second: hegui one flush per file, hegui group commit (as the CLI writes), ExifTool."""
    copies_h = [work / f"h{i}{path.suffix}" for i in range(writes)]
    copies_b = [work / f"b{i}{path.suffix}" for i in range(writes)]
    copies_e = [work / f"e{i}{path.suffix}" for i in range(writes)]
    for copy in copies_h + copies_b + copies_e:
        shutil.copyfile(path, copy)
    records = [Record.new(PRODUCER, produce_id=f"bench-{i}") for i in range(writes)]
    started = time.perf_counter()
    for copy, record in zip(copies_h, records, strict=True):
        write(copy, record)
    hegui_s = time.perf_counter() - started
    started = time.perf_counter()
    with CommitBatch() as batch:
        for copy, record in zip(copies_b, records, strict=True):
            write(copy, record, batch=batch)
    batch_s = time.perf_counter() - started
    started = time.perf_counter()
    ok = 0
    for copy, record in zip(copies_e, records, strict=True):
        out = exiftool.run("-overwrite_original", f"-XMP-TC260:AIGC={record.to_json()}", str(copy))
        ok += "1 image files updated" in out
    exif_s = time.perf_counter() - started
    for copy in copies_h + copies_b + copies_e:
        copy.unlink()
    return rate(writes, hegui_s), rate(writes, batch_s), (rate(writes, exif_s) if ok == writes else None)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--formats", default=DEFAULT_FORMATS, help="comma-separated sample modules")
    parser.add_argument(
        "--sizes", default="0,1000000,10000000", help="media bytes per sample (comma-separated)"
    )
    parser.add_argument("--reads", type=int, default=100, help="reads per file and tool")
    parser.add_argument("--writes", type=int, default=20, help="writes per file and tool")
    args = parser.parse_args()
    wanted = args.formats.split(",")
    sizes = [int(s) for s in args.sizes.split(",")]
    makers = {m.__name__.rsplit(".", 1)[-1]: m for m in modules()}
    console = Console(width=200)
    table = Table(title="hegui vs ExifTool (-stay_open): files per second, same files, one run")
    for column in (
        "format",
        "file",
        "bytes",
        "read hegui",
        "read exiftool",
        "ratio",
        "write hegui (per-file / batch)",
        "write exiftool",
        "ratio (per-file / batch)",
        "exiftool sees label",
    ):
        table.add_column(column, justify="right")
    exiftool = ExifTool()
    read_ratios: list[float] = []
    write_ratios: list[float] = []
    flatness: dict[str, list[float]] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="hegui-bench-") as tmp:
            work = Path(tmp)
            for name in wanted:
                if name not in makers:
                    console.print(f"[yellow]no sample maker for {name}; skipped[/yellow]")
                    continue
                for size in sizes:
                    folder = work / f"{name}-{size}"
                    folder.mkdir()
                    for path in makers[name].make(folder, size=size):
                        write(path, Record.new(PRODUCER, produce_id="seed"))
                        r_h, r_e, sees = bench_reads(path, exiftool, args.reads)
                        w_h, w_b, w_e = bench_writes(path, exiftool, args.writes, work)
                        read_ratios.append(r_h / r_e)
                        flatness.setdefault(f"{name}:{path.name}", []).append(1 / r_h)
                        w_text = f"{w_e:,.0f}" if w_e is not None else "cannot"
                        w_ratio = f"{w_h / w_e:.1f}x / {w_b / w_e:.1f}x" if w_e is not None else "-"
                        if w_e is not None:
                            write_ratios.append(w_b / w_e)
                        table.add_row(
                            name,
                            path.name,
                            f"{path.stat().st_size:,}",
                            f"{r_h:,.0f}",
                            f"{r_e:,.0f}",
                            f"{r_h / r_e:.1f}x",
                            f"{w_h:,.0f} / {w_b:,.0f}",
                            w_text,
                            w_ratio,
                            sees,
                        )
                    shutil.rmtree(folder)
    finally:
        exiftool.close()
    console.print(table)
    if read_ratios:
        console.print(
            f"read ratio: median {statistics.median(read_ratios):.1f}x, min {min(read_ratios):.1f}x (goal >= 20x); "
            f"write ratio (batch): median {statistics.median(write_ratios) if write_ratios else float('nan'):.1f}x, "
            f"min {min(write_ratios) if write_ratios else float('nan'):.1f}x (goal >= 5x)"
        )
        growth = {k: v[-1] / v[0] for k, v in flatness.items() if len(v) > 1}
        if growth:
            worst = max(growth, key=lambda k: growth[k])
            console.print(
                f"read time, largest size / smallest size: worst {growth[worst]:.2f}x ({worst}); "
                "1.0 means reading does not depend on file size"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
