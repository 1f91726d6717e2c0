"""The server-drawn bar charts (consult/charts.py): labels wrap within the drawing, long ones are
cut with "…" and keep their full text in a <title>, and the numbers never share the bars'
space. (How they look in a browser at 360 px: tests/browser/test_calendars_charts.py.)"""
from __future__ import annotations

import re

from consult import charts

LONG = ("关于在三号楼和四号楼之间的绿化带加装无障碍坡道、夜间照明以及休息座椅并同步改造雨水排水系统的提议"
        "（第二次征求意见）")


def test_text_width_counts_a_chinese_character_as_one_em_and_latin_narrower():
    assert charts.text_width("楼道") == 2 * charts.FONT
    assert charts.text_width("ab") == 2 * charts.FONT * charts.NARROW
    assert charts.text_width("楼a", 10) == 10 + 10 * charts.NARROW


def test_a_short_label_is_one_line():
    assert charts.wrap("楼道加装扶手") == ["楼道加装扶手"]


def test_chinese_wraps_anywhere_and_the_second_line_ends_with_an_ellipsis():
    lines = charts.wrap(LONG)
    assert len(lines) == 2 and lines[1].endswith("…")
    assert all(charts.text_width(line) <= charts.WIDTH for line in lines)
    assert (lines[0] + lines[1][:-1]) == LONG[:len(lines[0]) + len(lines[1]) - 1]


def test_latin_breaks_at_a_space():
    text = "Replace the broken lamps in the underground car park of building seven"
    lines = charts.wrap(text)
    assert len(lines) == 2
    assert text.startswith(lines[0] + " ")  # whole words on the first line
    assert all(charts.text_width(line) <= charts.WIDTH for line in lines)


def test_a_long_label_keeps_its_full_text_in_a_title_and_a_short_one_has_none():
    svg = str(charts.bar_chart("天数", [(LONG, 7.0, "7.0"), ("楼道加装扶手", 3.5, "3.5")]))
    assert svg.count("<title>") == 2  # the chart's, and the long label's
    assert f"<title>{LONG}</title>" in svg
    assert 'viewBox="0 0 360 ' in svg and 'width="100%"' in svg and "<title>天数</title>" in svg


def test_bars_stop_before_the_numbers_and_scale_to_the_longest():
    svg = str(charts.bar_chart("t", [("甲", 10, "10/10 (100%)"), ("乙", 5, "5/10 (50%)")]))
    widths = [float(w) for w in re.findall(r'class="chart-bar" x="0" y="[\d.]+" width="([\d.]+)"',
                                           svg)]
    space = charts.WIDTH - charts.text_width("10/10 (100%)") - 6
    assert widths == [round(space, 1), round(space / 2, 1)]
    assert 'text-anchor="end">10/10 (100%)</text>' in svg


def test_numbers_too_long_to_share_a_line_go_under_the_bar():
    text = "平均 4.5 分（满分 5 分，共 12 人评价，另有 3 人未评分）"
    svg = str(charts.bar_chart("t", [("甲", 4.5, text)]))
    assert 'text-anchor="end"' not in svg
    assert re.search(r'class="chart-bar" x="0" y="[\d.]+" width="360', svg)


def test_a_full_bar_is_top_with_a_frame_and_tones_by_row():
    svg = str(charts.bar_chart("t", [("同意", 3, "3"), ("反对", 1, "1"), ("弃权", 0, "0")],
                               top=4, tones=True))
    assert svg.count('class="chart-frame"') == 3
    assert "chart-bar chart-bar-0" in svg and "chart-bar chart-bar-2" in svg
    assert 'width="0"' in svg  # nobody abstained: an empty bar, its number still shown


def test_no_rows_no_chart_and_text_is_escaped():
    assert charts.bar_chart("t", []) is None
    svg = str(charts.bar_chart("<b>", [("<script>", 1, "1 & 2")]))
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "1 &amp; 2" in svg
