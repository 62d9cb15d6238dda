"""The command line side by side, as users run it: one ``hegui label add`` process over N JPEGs against one
``exiftool`` process writing the same tag into the same files (start-up included on both sides).

    .venv/bin/python benchmarks/labels_cli.py                 # ten 1.6 MB JPEGs, 5 rounds, best and median
    .venv/bin/python benchmarks/labels_cli.py --files 100 --size 200000

Two cases: a first label (files without XMP: hegui must rewrite the file, as ExifTool does) and a relabel (files
that already carry a label, as a platform adding its propagation fields or a rerun finds them: hegui writes in place).
hegui runs with its defaults (in place where there is room, fsync); ExifTool never fsyncs.
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

from hegui.label import Record, write
from hegui.label.samples import jpeg

ROOT = Path(__file__).resolve().parent.parent
EXIFTOOL_CONFIG = ROOT / "tests" / "label" / "tc260.exiftool.config"
PRODUCER = "001191110108MA01HEGU1F1DEMO"


def timed(args: list[str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{args[0]} failed ({done.returncode}): {done.stderr or done.stdout}")
    return elapsed


def run(files: int, size: int, rounds: int) -> None:
    exiftool = shutil.which("exiftool")
    if exiftool is None:
        raise SystemExit("exiftool not found: apt-get install libimage-exiftool-perl")
    value = Record.new(PRODUCER, produce_id="cli-bench").to_json()
    with tempfile.TemporaryDirectory(prefix="hegui-cli-") as tmp:
        work = Path(tmp)
        (work / "seed").mkdir()
        plain = jpeg.make(work / "seed", size=size)[0]
        labeled = work / "labeled.jpg"
        shutil.copyfile(plain, labeled)
        write(labeled, Record.new(PRODUCER, produce_id="seed"))
        print(
            f"{files} JPEGs of {plain.stat().st_size:,} bytes; {rounds} rounds; seconds per run (best / median)"
        )
        for case, seed in (("first label", plain), ("relabel", labeled)):
            times: dict[str, list[float]] = {"hegui": [], "hegui-nofsync": [], "exiftool": []}
            for _ in range(rounds):
                for tool in times:
                    folder = work / f"{tool}-{case.replace(' ', '-')}"
                    shutil.rmtree(folder, ignore_errors=True)
                    folder.mkdir()
                    paths = []
                    for i in range(files):
                        paths.append(folder / f"f{i}.jpg")
                        shutil.copyfile(seed, paths[-1])
                    names = [str(p) for p in paths]
                    if tool == "hegui":
                        args = [
                            sys.executable,
                            "-m",
                            "hegui",
                            "label",
                            "add",
                            *names,
                            "--producer",
                            PRODUCER,
                            "-q",
                        ]
                    else:
                        args = [exiftool, "-config", str(EXIFTOOL_CONFIG), "-q", "-overwrite_original"]
                        args += [f"-XMP-TC260:AIGC={value}", *names]
                    times[tool].append(timed(args))
            e = statistics.median(times["exiftool"])
            print(f"{case:>12}: exiftool {min(times['exiftool']):.3f} / {e:.3f}")
            for tool in ("hegui", "hegui-nofsync"):
                h = times[tool]
                print(
                    f"{'':>12}  {tool:<13} {min(h):.3f} / {statistics.median(h):.3f}   ratio (exiftool / hegui, "
                    f"medians) {e / statistics.median(h):.2f}x"
                )
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "hegui", "--version"], capture_output=True, check=True)
        print(f"hegui start-up (hegui --version): {time.perf_counter() - started:.3f} s")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--files", type=int, default=10)
    parser.add_argument("--size", type=int, default=1_600_000, help="media bytes per JPEG")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    run(args.files, args.size, args.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
