"""Helpers for the hostile-input tests: the CLI run as a real process, optionally under resource limits."""

from __future__ import annotations

import json
import resource
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

PRODUCER = "001191440300708461136T1XGW3"


def hegui(
    *args: str,
    cwd: Path,
    cpu_s: int | None = None,
    memory: int | None = None,
    fsize: int | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """Run ``hegui ARGS`` in a child process; ``cpu_s`` / ``memory`` / ``fsize`` set RLIMIT_CPU / AS / FSIZE."""

    def limits() -> None:
        if cpu_s is not None:
            resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s))
        if memory is not None:
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        if fsize is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))

    return subprocess.run(
        [sys.executable, "-m", "hegui", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=limits,
    )


def rows(result: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    data = json.loads(result.stdout)
    return data if isinstance(data, list) else data.get("results", data.get("files", []))


def temporaries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*.hegui-tmp"))
