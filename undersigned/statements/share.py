"""The share image of a statement (Open Graph, 1200 x 630 PNG): its title, its count and
who speaks, drawn with Pillow (installed with WeasyPrint) in a font that has every letter
of the title: NanumGothic (fonts-nanum) or Noto Sans CJK for Hangul, as the dossier uses."""

from __future__ import annotations

import functools
import io
import subprocess
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _
from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 1200, 630
MARGIN = 72
BACKGROUND, INK, MUTED, ACCENT = "#ffffff", "#1b1f24", "#57606a", "#1d4ed8"

# The files Debian's fonts-nanum and fonts-noto-cjk install, then DejaVu (no Hangul).
FONT_FILES = {
    "bold": (
        "/usr/share/fonts/truetype/nanum/NanumGothicBold.ttf",
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    ),
    "regular": (
        "/usr/share/fonts/truetype/nanum/NanumGothic.ttf",
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    ),
}


@functools.cache
def _fc_korean() -> tuple[str, ...]:
    """Any other font fontconfig knows for Korean, for systems that put them elsewhere."""
    try:
        out = subprocess.run(
            ["fc-list", ":lang=ko", "file"], capture_output=True, text=True, timeout=5
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return ()
    return tuple(sorted(line.strip().rstrip(":") for line in out.splitlines() if line.strip()))


def font_candidates(weight: str) -> list[str]:
    return [p for p in (*FONT_FILES[weight], *_fc_korean()) if Path(p).exists()]


@functools.cache
def font_coverage(path: str) -> frozenset[int]:
    """The code points the font has a glyph for (its cmap)."""
    from fontTools.ttLib import TTFont  # installed with WeasyPrint

    font = TTFont(path, fontNumber=0, lazy=True)
    try:
        return frozenset(font.getBestCmap() or {})
    finally:
        font.close()


def covers(path: str, text: str) -> bool:
    return all(ord(ch) in font_coverage(path) for ch in text if not ch.isspace())


def font_for(text: str, weight: str = "bold") -> str | None:
    """The first installed font with a glyph for every letter of `text`, else the first
    installed font at all (then missing letters are dropped, never drawn as boxes)."""
    candidates = font_candidates(weight)
    for path in candidates:
        if covers(path, text):
            return path
    return candidates[0] if candidates else None


def _drawable(path: str, text: str) -> str:
    """`text` without the letters this font lacks (emoji, mostly)."""
    have = font_coverage(path)
    return "".join(ch for ch in text if ch.isspace() or ord(ch) in have)


def _wrap(
    draw: ImageDraw.ImageDraw,
    text: str,
    font: ImageFont.FreeTypeFont | ImageFont.ImageFont,
    width: int,
) -> list[str]:
    """Lines no wider than `width`: broken between words, and inside a word only when the
    word alone is too wide (as the site's keep-all does for Korean)."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        trial = f"{line} {word}".strip()
        if draw.textlength(trial, font=font) <= width:
            line = trial
            continue
        if line:
            lines.append(line)
        line = ""
        for ch in word:
            if draw.textlength(line + ch, font=font) > width and line:
                lines.append(line)
                line = ""
            line += ch
    if line:
        lines.append(line)
    return lines


def _font(path: str | None, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.truetype(path, size) if path else ImageFont.load_default(size)


def share_image(*, title: str, counts: str, speaker: str) -> bytes:
    """The PNG: the title as large as fits in four lines, the count, and who speaks."""
    image = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 24, HEIGHT), fill=ACCENT)
    text_w = WIDTH - 2 * MARGIN

    bold = font_for(title, "bold")
    title = _drawable(bold, title) if bold else title
    room = HEIGHT - 2 * MARGIN - 140  # above the count and the speaker
    for size in (72, 64, 56, 48, 42):
        font = _font(bold, size)
        lines = _wrap(draw, title, font, text_w)
        if len(lines) * size * 1.25 <= room:
            break
    most = int(room // (size * 1.25))
    if len(lines) > most:
        lines = [*lines[: most - 1], lines[most - 1].rstrip() + "…"]
    y = MARGIN
    for line in lines:
        draw.text((MARGIN, y), line, font=font, fill=INK)
        y += int(size * 1.25)

    regular = font_for(counts + speaker, "regular")
    small = _font(regular, 36)
    if counts and draw.textlength(counts, font=small) > text_w:
        small = _font(regular, 28)
    if counts:
        draw.text(
            (MARGIN, HEIGHT - MARGIN - 110),
            _drawable(regular, counts) if regular else counts,
            font=small,
            fill=ACCENT,
        )
    if speaker:
        draw.text(
            (MARGIN, HEIGHT - MARGIN - 44),
            _drawable(regular, speaker) if regular else speaker,
            font=_font(regular, 30),
            fill=MUTED,
        )
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def speaker_name() -> str:
    """Who the image says speaks: the coalition (COALITION_NAME), else the site's host."""
    from urllib.parse import urlsplit

    return settings.COALITION_NAME or urlsplit(settings.BASE_URL).hostname or "undersigned"


def signed_line(organizations: str, individuals: str) -> str:
    if organizations and individuals:
        return _("Signed by %(organizations)s and %(individuals)s") % {
            "organizations": organizations,
            "individuals": individuals,
        }
    if organizations or individuals:
        return _("Signed by %(counts)s") % {"counts": organizations or individuals}
    return ""
