"""Memory of ``hegui serve`` under concurrent large uploads: a real uvicorn server on loopback, N uploads at once.

    .venv/bin/python benchmarks/serve_memory.py                       # 20 x 200 MB (the target load)
    .venv/bin/python benchmarks/serve_memory.py --uploads 20 --size-mb 50 --json

Each upload is a valid WAV file of the given size, streamed by the client in 1 MiB chunks (the client holds no
file in memory). The server's resident set (VmRSS, sampled every 20 ms, and VmHWM) is compared with its size
before the uploads: bounded memory means the growth does not scale with N x size. Also checks that every upload
got its verdict and that the server's spool folder is empty afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

CHUNK = 1 << 20


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_kib(pid: int, field: str = "VmRSS") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def wav_header(data_bytes: int) -> bytes:
    fmt = struct.pack("<HHIIHH", 1, 1, 8000, 16000, 2, 16)
    return (
        b"RIFF"
        + struct.pack("<I", 4 + 8 + len(fmt) + 8 + data_bytes)
        + b"WAVE"
        + b"fmt "
        + struct.pack("<I", len(fmt))
        + fmt
        + b"data"
        + struct.pack("<I", data_bytes)
    )


async def upload(client: httpx.AsyncClient, url: str, size: int, index: int) -> dict[str, Any]:
    boundary = f"hegui-bench-{index}"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="upload{index}.wav"\r\n'
        "Content-Type: audio/wav\r\n\r\n"
    ).encode() + wav_header(size)
    tail = f"\r\n--{boundary}--\r\n".encode()
    zeros = bytes(CHUNK)

    async def body() -> Any:
        yield head
        left = size
        while left:
            n = min(CHUNK, left)
            yield zeros if n == CHUNK else zeros[:n]
            left -= n
        yield tail

    length = len(head) + size + len(tail)
    response = await client.post(
        url,
        content=body(),
        headers={"content-type": f"multipart/form-data; boundary={boundary}", "content-length": str(length)},
    )
    return {"status": response.status_code, "verdict": response.json().get("verdict")}


async def drive(base: str, uploads: int, size: int) -> list[dict[str, Any]]:
    limits = httpx.Limits(max_connections=uploads)
    async with httpx.AsyncClient(timeout=600, limits=limits) as client:
        return await asyncio.gather(*(upload(client, f"{base}/api/verify", size, i) for i in range(uploads)))


def run(uploads: int, size_mb: int) -> dict[str, Any]:
    size = size_mb << 20
    port = free_port()
    spool = Path(tempfile.mkdtemp(prefix="hegui-spool-"))
    env = {**os.environ, "HEGUI_MAX_UPLOAD_MB": str(size_mb + 16), "TMPDIR": str(spool)}
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "hegui.web.app:create_app", "--factory", "--port", str(port),
         "--host", "127.0.0.1", "--log-level", "warning"],
        env=env,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("server did not start")
            time.sleep(0.2)
        httpx.get(f"{base}/api/health")
        baseline = rss_kib(server.pid)
        peak = baseline
        stop = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not stop.is_set():
                peak = max(peak, rss_kib(server.pid))
                time.sleep(0.02)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        started = time.perf_counter()
        results = asyncio.run(drive(base, uploads, size))
        seconds = time.perf_counter() - started
        stop.set()
        sampler.join()
        hwm = rss_kib(server.pid, "VmHWM")
        leftovers = [p.name for p in spool.iterdir()]
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {
        "uploads": uploads,
        "size_mb": size_mb,
        "total_mb": uploads * size_mb,
        "seconds": round(seconds, 2),
        "mb_per_s": round(uploads * size_mb / seconds, 1),
        "rss_baseline_mib": round(baseline / 1024, 1),
        "rss_peak_mib": round(max(peak, hwm) / 1024, 1),
        "rss_growth_mib": round((max(peak, hwm) - baseline) / 1024, 1),
        "statuses": sorted({r["status"] for r in results}),
        "verdicts": sorted({str(r["verdict"]) for r in results}),
        "spool_leftovers": leftovers,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploads", type=int, default=20)
    parser.add_argument("--size-mb", type=int, default=200)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = run(args.uploads, args.size_mb)
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>18}: {value}")


if __name__ == "__main__":
    main()
