"""Platform verification throughput (hegui verify) against ExifTool ``-stay_open`` on the same files, and SM2.

    .venv/bin/python benchmarks/verify.py                         # 10,000 mixed files
    .venv/bin/python benchmarks/verify.py --files 2000 --exiftool-max 1000

The files: every sample format (hegui.label.samples) unlabelled, labelled, labelled with an SM2-signed
ReservedCode1 and with a SHA-256 code, plus the real-world forms (C2PA in PNG and JPEG, a really signed C2PA PNG, IPTC DigitalSourceType,
an A1111 ``parameters`` chunk, EXIF Software, a malformed label, two labels, a visible text label), copied round
robin up to ``--files``. hegui runs the full Art. 6 evidence collection (label + integrity with the pinned SM2
key + C2PA + IPTC + fingerprints) with 1 and 2 worker processes. ExifTool runs as one persistent process and
reads the tags the same evidence needs (TC260 AIGC, IPTC DigitalSourceType, Software, PNG Parameters, JUMBF);
its Perl start-up is not counted. It reads every k-th file up to ``--exiftool-max`` (a stratified subset, same
mix), since its rate does not depend on how many files it reads.

SM2: verifications per second through hegui's two backends (OpenSSL 3 libcrypto, the default; snowland-smx, the
pure-Python fallback) and gmssl, one and two processes, and ``openssl speed sm2`` on the same machine as the
ceiling.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.table import Table

from hegui import label
from hegui.errors import HeguiError, UsageError
from hegui.label import Record, integrity
from hegui.label.platform import forms, verify_many
from hegui.label.samples import make_all

ROOT = Path(__file__).resolve().parent.parent
EXIFTOOL_CONFIG = ROOT / "tests" / "label" / "tc260.exiftool.config"
PRODUCER = "001191110108MA01HEGU1F1DEMO"
sys.path.insert(0, str(Path(__file__).resolve().parent))
from labels import ExifTool  # noqa: E402  (the same persistent-ExifTool driver as benchmarks/labels.py)


def build_base(folder: Path, keys: Path) -> list[Path]:
    key = integrity.generate_key("sm2", PRODUCER)
    integrity.save_key(key, keys, public_only=True)
    base: list[Path] = []
    for variant in ("plain", "labelled", "signed", "hashed"):
        sub = folder / variant
        sub.mkdir(parents=True)
        for path in make_all(sub):
            if variant == "labelled":
                label.write(path, Record.new(PRODUCER))
            elif variant == "signed":
                integrity.sign_file(path, Record.new(PRODUCER), key)
            elif variant == "hashed":
                label.write(path, integrity.protect(Record.new(PRODUCER), "ReservedCode1", "sha256"))
            base.append(path)
    real = folder / "forms"
    base += [
        forms.png_c2pa(real / "c2pa.png"),
        forms.jpeg_c2pa(real / "c2pa.jpg"),
        forms.png_iptc(real / "iptc.png"),
        forms.png_parameters(real / "sd.png"),
        forms.jpeg_software(real / "mj.jpg"),
        forms.png_malformed_label(real / "malformed.png"),
        forms.png_two_labels(real / "two.png", Record.new(PRODUCER), Record.new(PRODUCER, label="3")),
        forms.png_label_tc260_text(real / "doubao.png", Record.new(PRODUCER)),
        forms.text_visible(real / "visible.md"),
        forms.text_visible(real / "visible.txt"),
    ]
    try:
        base.append(forms.png_c2pa_signed(real / "c2pa-signed.png"))
    except UsageError:  # c2pa-python not installed: the signed-manifest kind is left out
        pass
    return base


def replicate(base: list[Path], folder: Path, count: int) -> list[Path]:
    out: list[Path] = []
    for i in range(count):
        src = base[i % len(base)]
        sub = folder / f"{i // 1000:03d}"
        sub.mkdir(parents=True, exist_ok=True)
        dst = sub / f"{i:05d}-{src.parent.name}-{src.name}"
        shutil.copyfile(src, dst)
        out.append(dst)
    return out


def time_hegui(files: list[Path], keys: Path, jobs: int, c2pa: bool) -> tuple[float, Counter[str]]:
    started = time.perf_counter()
    verdicts: Counter[str] = Counter()
    for result in verify_many(files, jobs=jobs, keys=str(keys), c2pa_validate=c2pa):
        verdicts[str(result.get("verdict"))] += 1
    return len(files) / (time.perf_counter() - started), verdicts


def time_label_read(files: list[Path]) -> float:
    """hegui.label.read alone (the label wing's part of the evidence), for the breakdown."""
    started = time.perf_counter()
    for path in files:
        try:
            label.read(path)
        except HeguiError:
            pass
    return len(files) / (time.perf_counter() - started)


def time_exiftool(files: list[Path]) -> float:
    tool = ExifTool()
    tags = [
        "-j",
        "-XMP-TC260:AIGC",
        "-XMP-iptcExt:DigitalSourceType",
        "-Software",
        "-PNG:Parameters",
        "-JUMBF:all",
    ]
    tool.run(*tags, str(files[0]))
    started = time.perf_counter()
    for path in files:
        tool.run(*tags, str(path))
    rate = len(files) / (time.perf_counter() - started)
    tool.close()
    return rate


# ---- SM2 ------------------------------------------------------------------------------------------------------
_SM2: dict[str, object] = {}


def _sm2_setup() -> tuple[bytes, bytes, str]:
    key = integrity.generate_key("sm2", PRODUCER)
    message = Record.new(PRODUCER).tbs_message_a1()
    return message, integrity.sm2_sign(message, key.secret), key.public().value


def _smx_worker(args: tuple[bytes, bytes, str, int]) -> int:
    message, signature, public, n = args
    ok = 0
    for _ in range(n):
        ok += integrity.sm2_verify(message, signature, public, backend="snowland-smx")
    return ok


def _openssl_worker(args: tuple[bytes, bytes, str, int]) -> int:
    message, signature, public, n = args
    ok = 0
    for _ in range(n):
        ok += integrity.sm2_verify(message, signature, public, backend="openssl")
    return ok


def _gmssl_worker(args: tuple[bytes, bytes, str, int]) -> int:
    from gmssl import sm2

    message, signature, public, n = args
    crypt = sm2.CryptSM2(private_key="", public_key=public)
    ok = 0
    for _ in range(n):
        ok += bool(crypt.verify_with_sm3(signature.hex(), message))
    return ok


def sm2_rate(worker: object, processes: int, n: int) -> float:
    message, signature, public = _sm2_setup()
    assert _smx_worker((message, signature, public, 1)) == 1
    args = [(message, signature, public, n)] * processes
    started = time.perf_counter()
    if processes == 1:
        total = worker(args[0])  # type: ignore[operator]
    else:
        with multiprocessing.Pool(processes) as pool:
            total = sum(pool.map(worker, args))  # type: ignore[arg-type]
    seconds = time.perf_counter() - started
    assert total == n * processes, "a verification failed"
    return n * processes / seconds


def openssl_sm2() -> tuple[float | None, float | None]:
    exe = shutil.which("openssl")
    if exe is None:
        return None, None
    rates: list[float | None] = []
    for multi in (1, 2):
        args = [exe, "speed", "-seconds", "2", *(["-multi", "2"] if multi == 2 else []), "sm2"]
        out = subprocess.run(args, capture_output=True, text=True, timeout=120).stdout
        match = re.search(r"SM2 \(CurveSM2\)\s+\S+\s+\S+\s+([\d.]+)\s+([\d.]+)", out)
        rates.append(float(match.group(2)) if match else None)
    return rates[0], rates[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--exiftool-max", type=int, default=2_000)
    parser.add_argument("--sm2-n", type=int, default=300, help="SM2 verifications per process")
    parser.add_argument("--no-c2pa-validate", action="store_true")
    args = parser.parse_args()
    console = Console()
    with tempfile.TemporaryDirectory(prefix="hegui-bench-verify-") as tmp:
        work = Path(tmp)
        base = build_base(work / "base", work / "keys")
        files = replicate(base, work / "files", args.files)
        size = sum(p.stat().st_size for p in files)
        console.print(f"{len(files)} files ({len(base)} distinct kinds, {size / 1e6:.1f} MB) in {work}")
        c2pa = not args.no_c2pa_validate
        one, verdicts = time_hegui(files, work / "keys", 1, c2pa)
        two, _ = time_hegui(files, work / "keys", 2, c2pa)
        read_only = time_label_read(files)
        step = max(1, len(files) // args.exiftool_max)
        subset = files[::step][: args.exiftool_max]
        exif = time_exiftool(subset)
    console.print("verdicts: " + ", ".join(f"{k} {v}" for k, v in sorted(verdicts.items())))
    table = Table(title="Verification throughput (files/s, same files)")
    for column in ("reader", "files", "files/s", "x ExifTool"):
        table.add_column(column, justify="right")
    table.add_row("ExifTool -stay_open (1 process)", str(len(subset)), f"{exif:,.0f}", "1.0")
    table.add_row("hegui verify, 1 job", str(len(files)), f"{one:,.0f}", f"{one / exif:.1f}")
    table.add_row("hegui verify, 2 jobs", str(len(files)), f"{two:,.0f}", f"{two / exif:.1f}")
    table.add_row(
        "(hegui.label.read alone, 1 job)", str(len(files)), f"{read_only:,.0f}", f"{read_only / exif:.1f}"
    )
    console.print(table)
    sm2 = Table(title="SM2 signature verifications per second (SM3withSM2, user ID 1234567812345678)")
    for column in ("library", "1 process", "2 processes"):
        sm2.add_column(column, justify="right")
    n = args.sm2_n
    sm2.add_row(
        "hegui, OpenSSL 3 backend (default)",
        f"{sm2_rate(_openssl_worker, 1, n * 10):,.0f}",
        f"{sm2_rate(_openssl_worker, 2, n * 10):,.0f}",
    )
    sm2.add_row(
        "hegui, snowland-smx backend",
        f"{sm2_rate(_smx_worker, 1, n):,.0f}",
        f"{sm2_rate(_smx_worker, 2, n):,.0f}",
    )
    gm = max(20, n // 5)
    sm2.add_row("gmssl", f"{sm2_rate(_gmssl_worker, 1, gm):,.0f}", f"{sm2_rate(_gmssl_worker, 2, gm):,.0f}")
    o1, o2 = openssl_sm2()
    sm2.add_row("OpenSSL 3 (openssl speed sm2)", f"{o1 or 0:,.0f}", f"{o2 or 0:,.0f}")
    console.print(sm2)
    console.print(f"cores: {os.cpu_count()} (shared machine: numbers vary between runs)")


if __name__ == "__main__":
    main()
