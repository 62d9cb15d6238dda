"""Visible-label speed, each against its anchor in the same run:

* images per second at 1080p: hegui's ``render.draw`` (ink-measured sizing, luminance-chosen plate or outline)
  against a plain Pillow ``ImageDraw.text`` of the same text and font at a fixed size, both in memory;
  and the full file path (decode, draw, JPEG encode, implicit label re-applied) against Pillow's open/draw/save;
* video real-time factor (processing time / clip duration): ``label_video`` against one ffmpeg ``drawtext`` pass
  with the same encoder settings, on a 1280x720 25 fps H.264 clip.

    PYTHONPATH=src python benchmarks/visible.py [--images 30] [--seconds 6]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from hegui.label import Record, write
from hegui.label.explicit.image import label_image
from hegui.label.explicit.render import draw, font_path
from hegui.label.explicit.video import label_video


def picture(seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:1080, 0:1920]
    base = np.stack([x * 255 // 1919, y * 255 // 1079, (x + y) % 256], axis=-1)
    return Image.fromarray(np.clip(base + rng.integers(-30, 30, base.shape), 0, 255).astype(np.uint8))


def per_second(fn, n: int) -> float:  # type: ignore[no-untyped-def]
    fn(0)
    start = time.perf_counter()
    for i in range(n):
        fn(i)
    return n / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=6.0)
    args = parser.parse_args()
    pictures = [picture(i) for i in range(4)]
    path, index = font_path()
    font = ImageFont.truetype(path, 72, index=index)

    def plain(i: int) -> None:
        img = pictures[i % 4].copy()
        ImageDraw.Draw(img).text((1700, 980), "AI生成", font=font, fill=(255, 255, 255))

    def hegui_draw(i: int) -> None:
        draw(pictures[i % 4])

    anchor = per_second(plain, args.images)
    ours = per_second(hegui_draw, args.images)
    print(
        f"1080p in memory: hegui draw {ours:.1f} img/s, plain Pillow text {anchor:.1f} img/s, ratio {ours / anchor:.2f}"
    )

    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for i in range(4):
            f = Path(tmp) / f"p{i}.jpg"
            pictures[i].save(f, quality=90)
            write(f, Record.new("001191440300708461136T1XGW3"))
            files.append(f)

        def plain_file(i: int) -> None:
            img = Image.open(files[i % 4])
            ImageDraw.Draw(img).text((1700, 980), "AI生成", font=font, fill=(255, 255, 255))
            img.save(Path(tmp) / "plain.jpg", quality=90)

        def hegui_file(i: int) -> None:
            label_image(files[i % 4], Path(tmp) / "ours.jpg")

        anchor = per_second(plain_file, args.images)
        ours = per_second(hegui_file, args.images)
        print(
            f"1080p JPEG file: hegui label_image {ours:.1f} img/s, Pillow open/draw/save {anchor:.1f} img/s, "
            f"ratio {ours / anchor:.2f}"
        )

        clip = Path(tmp) / "clip.mp4"
        ffmpeg = shutil.which("ffmpeg") or "ffmpeg"
        subprocess.run(
            [ffmpeg, "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=s=1280x720:r=25:d={args.seconds}",
             "-f", "lavfi", "-i", f"sine=d={args.seconds}", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac",
             "-shortest", str(clip)],
            check=True,
        )  # fmt: skip
        start = time.perf_counter()
        subprocess.run(
            [ffmpeg, "-v", "error", "-y", "-i", str(clip), "-vf",
             f"drawtext=fontfile={path}:text='AI生成':fontsize=h*0.07:fontcolor=white:box=1:boxcolor=black@0.8:"
             "x=w-tw-20:y=h-th-20:enable='lt(t,3)'",
             "-c:v", "libx264", "-crf", "18", "-preset", "veryfast", "-c:a", "copy", str(Path(tmp) / "drawtext.mp4")],
            check=True,
        )  # fmt: skip
        anchor_s = time.perf_counter() - start
        start = time.perf_counter()
        label_video(clip, Path(tmp) / "ours.mp4")
        ours_s = time.perf_counter() - start
        print(
            f"720p25 H.264 video, {args.seconds:g} s: hegui label_video RTF {ours_s / args.seconds:.3f}, "
            f"ffmpeg drawtext RTF {anchor_s / args.seconds:.3f}, ratio {anchor_s / ours_s:.2f} (anchor time / ours)"
        )


if __name__ == "__main__":
    main()
