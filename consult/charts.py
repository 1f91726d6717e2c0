"""Bar charts drawn on the server as SVG, laid out for a phone first.

Each row is its label — wrapped to two lines at most, shortened with "…" and the full text in a
``<title>`` when longer — above a horizontal bar, with the row's number as text at the right
end. Labels and numbers are text, so the chart reads without colour.

The drawing is :data:`WIDTH` user units wide (``viewBox``) and is shown at ``width: 100%`` up
to ``max-width`` in static/css/charts.css, so its text scales with the container: at
:data:`FONT` units, text stays 12 px or more on any container at least ``12 / FONT * WIDTH``
(288) px wide — a 360 px phone leaves about 330 — and about 17 px on a desktop.

Nothing is measured here: text widths are estimated generously (a CJK character one em, any
other character :data:`NARROW` em), so that what the estimate says fits does fit.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 360
FONT = 15
LINE = 20           # height of a line of text
BAR = 18            # height of a bar
GAP = 14            # space between rows
MAX_LINES = 2       # label lines before the rest is cut with "…"
NARROW = 0.62       # width of a non-CJK character, in em (Latin averages about .55)
MIN_BAR_SPACE = 120  # below this the numbers go on their own line under the bar


@dataclass(frozen=True)
class Row:
    label: str
    value: float
    text: str  # the number as the reader sees it


def text_width(text: str, size: float = FONT) -> float:
    """Estimated width of ``text`` in user units, on the generous side."""
    return sum(size if unicodedata.east_asian_width(ch) in ("W", "F") else size * NARROW
               for ch in text)


def _cut_to(text: str, width: float) -> str:
    """The longest start of ``text`` that fits ``width``."""
    used, end = 0.0, 0
    for ch in text:
        w = text_width(ch)
        if used + w > width:
            break
        used += w
        end += 1
    return text[:end]


def wrap(text: str, width: float = WIDTH, max_lines: int = MAX_LINES) -> list[str]:
    """``text`` in lines that fit ``width``: broken at a space when one is near, else between
    any two characters (Chinese breaks anywhere); the last line ends with "…" when text is
    left over."""
    text = " ".join(text.split())
    lines: list[str] = []
    while text and len(lines) < max_lines:
        if text_width(text) <= width:
            lines.append(text)
            text = ""
            break
        last = len(lines) == max_lines - 1
        head = _cut_to(text, width - (text_width("…") if last else 0))
        if not head:  # not even one character fits: should not happen at WIDTH
            head = text[0]
        if not last and " " in head and head.rfind(" ") > len(head) // 2:
            head = head[:head.rfind(" ")]
        if last:
            lines.append(head.rstrip() + "…")
            text = ""
            break
        lines.append(head.rstrip())
        text = text[len(head):].lstrip()
    return lines


def bar_chart(title: str, rows: list[Row] | list[tuple[str, float, str]], *,
              top: float | None = None, tones: bool = False) -> Markup | None:
    """An SVG of horizontal bars, or None without rows. ``top`` is the value of a full bar
    (a frame shows it); without it the longest bar is full. ``tones`` gives rows the three
    fills of the vote result (agree, oppose, abstain) in turn; otherwise one fill."""
    rows = [r if isinstance(r, Row) else Row(*r) for r in rows]
    if not rows:
        return None
    scale = top if top else max((r.value for r in rows), default=0) or 1
    value_w = max(text_width(r.text) for r in rows) + 6
    below = WIDTH - value_w < MIN_BAR_SPACE
    bar_space = WIDTH if below else WIDTH - value_w
    # Plain strings with each text escaped, joined once: Markup.format was most of the cost
    # of a chart of many rows (the turnout of every building).
    parts = []
    y = 2
    for i, r in enumerate(rows):
        lines = wrap(r.label)
        shortened = "".join(lines).replace(" ", "") != r.label.replace(" ", "")
        label = "".join(f'<tspan x="0" y="{y + LINE * (n + 1) - 5}">{escape(line)}</tspan>'
                        for n, line in enumerate(lines))
        full = f"<title>{escape(r.label)}</title>" if shortened else ""
        parts.append(f'<g class="chart-row"><text class="chart-label" font-size="{FONT}">'
                     f"{full}{label}</text>")
        y += LINE * len(lines) + 2
        width = round(bar_space * min(r.value / scale, 1), 1) if r.value > 0 else 0
        tone = f" chart-bar-{i % 3}" if tones else ""
        parts.append(f'<rect class="chart-bar{tone}" x="0" y="{y}" width="{width}" '
                     f'height="{BAR}"></rect>')
        if top:
            parts.append(f'<rect class="chart-frame" x="0" y="{y}" width="{bar_space}" '
                         f'height="{BAR}"></rect>')
        text = escape(r.text)
        if below:
            y += BAR + 2
            parts.append(f'<text class="chart-value" font-size="{FONT}" x="0" y="{y + LINE - 5}">'
                         f"{text}</text>")
            y += LINE + GAP
        else:
            parts.append(f'<text class="chart-value" font-size="{FONT}" x="{WIDTH}" '
                         f'y="{y + BAR - 4}" text-anchor="end">{text}</text>')
            y += BAR + GAP
        parts.append("</g>")
    height = y - GAP + 4
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart-svg" role="img" '
            f'viewBox="0 0 {WIDTH} {height}" width="100%" preserveAspectRatio="xMinYMin meet">'
            f"<title>{escape(title)}</title>")
    return Markup(head + "".join(parts) + "</svg>")
