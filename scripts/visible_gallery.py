#!/usr/bin/env python3
"""Regenerate the gallery of docs/visible-labels.md: labelled images of several sizes and aspect ratios, video
frames at 0 s and 1.9 s, a labelled Markdown sample, and the chat notice (light and dark, headless Chromium).

    PYTHONPATH=src python scripts/visible_gallery.py

Writes small files under docs/visible/ and rewrites the part of docs/visible-labels.md between the gallery markers
with the geometry and checker results measured on this run.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from hegui.label.explicit.image import label_image  # noqa: E402
from hegui.label.explicit.image_check import check_image  # noqa: E402
from hegui.label.explicit.text import label_text  # noqa: E402
from hegui.label.explicit.ui import demo_page  # noqa: E402
from hegui.label.explicit.video import check_video, label_video  # noqa: E402

OUT = ROOT / "docs" / "visible"
DOC = ROOT / "docs" / "visible-labels.md"
START, END = "<!-- gallery:start -->", "<!-- gallery:end -->"


def scene(width: int, height: int, seed: int) -> Image.Image:
    """A synthetic landscape: sky gradient, sun, two mountain ridges, textured ground."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    sky = np.stack([90 + 100 * y / height, 150 + 60 * y / height, np.full_like(y, 235)], axis=-1)
    img = sky.copy()
    cx, cy, r = width * rng.uniform(0.2, 0.8), height * 0.25, min(width, height) * 0.08
    img[(x - cx) ** 2 + (y - cy) ** 2 < r * r] = (255, 230, 140)
    for k, colour in enumerate(((70, 110, 90), (40, 80, 60))):
        phase = rng.uniform(0, 6)
        ridge = height * (0.55 + 0.1 * k) + height * 0.08 * np.sin(x / width * (4 + 3 * k) + phase)
        img[y > ridge] = colour
    ground = y > height * 0.8
    img[ground] = np.stack([110 + 30 * np.sin(x / 7), 140 + 20 * np.sin(y / 5), 70 + 0 * x], axis=-1)[ground]
    img += rng.normal(0, 6, img.shape)
    return Image.fromarray(np.clip(img, 0, 255).astype(np.uint8), "RGB")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    rows: list[str] = []
    images = [
        ("landscape", 640, 427, "bottom-right", ".jpg"),
        ("portrait", 360, 540, "bottom-right", ".jpg"),
        ("square", 400, 400, "top-left", ".webp"),
        ("wide", 800, 200, "bottom", ".jpg"),
    ]
    for i, (name, w, h, position, suffix) in enumerate(images):
        path = OUT / f"image-{name}{suffix}"
        scene(w, h, seed=i).save(path, quality=82) if suffix != ".png" else scene(w, h, seed=i).save(path)
        result = label_image(path, position=position)
        check = check_image(path)
        g = result.geometry
        rows.append(
            f"| ![{name}](visible/{path.name}) | {w}x{h} {suffix[1:].upper()}, {position} | "
            f"{g.ink_height} px = {g.ratio:.2%} ({g.style}) | {check.ratio:.2%} at {check.position}, "
            f"{'compliant' if check.compliant else 'NOT compliant'} |"
        )
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "clip.mp4"
        subprocess.run(
            ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=s=480x270:r=25:d=4", "-pix_fmt", "yuv420p",
             str(src)],
            check=True,
        )  # fmt: skip
        label_video(src, duration=2.0)
        check = check_video(src)
        for t in ("0", "1.9", "2.5"):
            frame = OUT / f"video-{t.replace('.', '_')}s.jpg"
            subprocess.run(
                [
                    "ffmpeg",
                    "-v",
                    "error",
                    "-y",
                    "-ss",
                    t,
                    "-i",
                    str(src),
                    "-frames:v",
                    "1",
                    "-q:v",
                    "4",
                    str(frame),
                ],
                check=True,
            )
        rows.append(
            f"| ![0 s](visible/video-0s.jpg) ![1.9 s](visible/video-1_9s.jpg) ![2.5 s](visible/video-2_5s.jpg) | "
            f"video 480x270 at 25 fps, `--duration 2` (the minimum): frames at 0 s, 1.9 s, 2.5 s | "
            f"{check.first_frame.ratio:.2%} | {check.frames_labelled}/{check.frames_checked} frames of the first "
            f"2.0 s labelled |"
        )
    sample = "---\ntitle: 春天\n---\n# 春天\n\n春风拂柳绿，细雨润花红。\n"
    (OUT / "sample.md").write_text(label_text(sample, fmt="markdown", position="both"), encoding="utf-8")
    rows.append(
        "| [sample.md](visible/sample.md) | Markdown, `--position both`: after the front matter and at the end | | |"
    )
    chromium = shutil.which("chromium")
    if chromium:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            for scheme in ("light", "dark"):
                page = browser.new_context(
                    color_scheme=scheme, viewport={"width": 480, "height": 250}
                ).new_page()
                page.set_content(demo_page(theme=scheme))
                page.screenshot(path=str(OUT / f"chat-{scheme}.png"))
            browser.close()
        rows.append(
            "| ![light](visible/chat-light.png) ![dark](visible/chat-dark.png) | `<aigc-notice>` (sticky bar) and "
            "the plain snippet (under the answer), light and dark | | |"
        )
    table = "\n".join(
        ["| sample | what | drawn (ink height) | independent check |", "|---|---|---|---|", *rows]
    )
    doc = DOC.read_text(encoding="utf-8")
    head, rest = doc.split(START, 1)
    _, tail = rest.split(END, 1)
    DOC.write_text(f"{head}{START}\n{table}\n{END}{tail}", encoding="utf-8")
    print(table)


if __name__ == "__main__":
    main()
