"""``make demo`` section for visible labels: a labelled image, audio clip, video, text and chat page, each
checked by the independent checker."""

from __future__ import annotations

import html
import pathlib
import shutil
import subprocess
import wave

from rich.console import Console


def _samples(folder: pathlib.Path) -> list[pathlib.Path]:
    from PIL import Image, ImageDraw

    folder.mkdir(parents=True, exist_ok=True)
    img = Image.new("RGB", (960, 540), (40, 90, 160))
    ImageDraw.Draw(img).ellipse((300, 120, 660, 420), fill=(240, 200, 80))
    img.save(folder / "render.png")
    with wave.open(str(folder / "voice.wav"), "wb") as w:
        import math

        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(
            b"".join(int(3000 * math.sin(i / 9)).to_bytes(2, "little", signed=True) for i in range(16000 * 3))
        )
    (folder / "answer.md").write_text("# 杭州三日游\n\n第一天：西湖、断桥。\n", encoding="utf-8")
    out = [folder / "render.png", folder / "voice.wav", folder / "answer.md"]
    if shutil.which("ffmpeg"):
        subprocess.run(
            ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25:duration=4",
             "-pix_fmt", "yuv420p", str(folder / "clip.mp4")],
            check=True,
        )  # fmt: skip
        out.append(folder / "clip.mp4")
    return out


def run(out: pathlib.Path, console: Console) -> str:
    from hegui.label.explicit.files import check_file, label_file

    src = out / "visible-src"
    dst = out / "visible"
    dst.mkdir(parents=True, exist_ok=True)
    rows = []
    for path in _samples(src):
        label_file(path, dst / path.name)
        check = check_file(dst / path.name)
        ok = bool(check.get("compliant"))
        rows.append((path.name, ok))
        console.print(
            f"{path.name}: visible label added; independent check {'compliant' if ok else 'NOT compliant'}"
        )
    ui = pathlib.Path(__file__).parent / "ui"
    for name in ("aigc-notice.js", "aigc-notice.css"):
        shutil.copy(ui / name, dst / name)
    (dst / "chat.html").write_text(
        "<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'><title>chat</title>"
        "<link rel='stylesheet' href='aigc-notice.css'><script src='aigc-notice.js' defer></script></head>"
        "<body><aigc-notice></aigc-notice><p>你好！我可以帮你规划杭州三日游。</p></body></html>",
        encoding="utf-8",
    )
    links = "".join(
        f"<li><a href='visible/{html.escape(n)}'>{html.escape(n)}</a>: {'compliant' if ok else 'not compliant'}</li>"
        for n, ok in rows
    )
    return (
        "<p>Visible labels (GB 45438-2025 §5) added to an image, an audio clip (the short-long-short-short cue), a "
        "video (from the first frame) and a Markdown answer, each then checked by the independent checker; and "
        f"a chat page with the <code>&lt;aigc-notice&gt;</code> component.</p><ul>{links}"
        "<li><a href='visible/chat.html'>chat.html</a></li></ul><img src='visible/render.png' width='480' alt='labelled image'>"
    )
