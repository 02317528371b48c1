import xml.etree.ElementTree as ET

from lianxin.dashboard.charts import bar_chart, line_chart, stacked_bar

SVG = "{http://www.w3.org/2000/svg}"


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def test_a_bar_chart_is_valid_svg_that_scales_with_the_screen() -> None:
    root = _parse(bar_chart([("石桥镇", 80.0), ("白云乡", 40.0)], "本月回访完成率"))
    assert root.tag == f"{SVG}svg"
    assert root.get("viewBox", "").startswith("0 0 ")
    assert "width" not in root.attrib


def test_it_draws_bars_in_proportion_to_their_values() -> None:
    root = _parse(bar_chart([("石桥镇", 80.0), ("白云乡", 40.0)], "完成率"))
    widths = [float(r.get("width", "0")) for r in root.iter(f"{SVG}rect")]
    assert widths[0] == 2 * widths[1] > 0


def test_a_hostile_label_ends_up_as_text_not_markup() -> None:
    svg = bar_chart([("<script>alert(1)</script>", 10.0)], '"><img onerror=x>')
    root = _parse(svg)
    assert not list(root.iter("script")) and not list(root.iter(f"{SVG}script"))
    texts = [el.text for el in root.iter(f"{SVG}text")]
    assert "<script>alert(1)</script>" in texts
    assert "<script>" not in svg and "<img" not in svg


def test_a_line_chart_places_points_by_value_and_leaves_gaps_for_missing_months() -> None:
    months = ["2026-09", "2026-10", "2026-11"]
    root = _parse(line_chart(months, {"收入": [4000, None, 2000]}, "月收入"))
    ys = [float(c.get("cy", "0")) for c in root.iter(f"{SVG}circle")]
    assert len(ys) == 2
    baseline = float(next(root.iter(f"{SVG}line")).get("y1", "0"))
    assert abs((baseline - ys[1]) * 2 - (baseline - ys[0])) < 0.2
    assert len(list(root.iter(f"{SVG}polyline"))) == 2  # the gap splits the line


def test_a_stacked_bar_splits_its_width_by_share() -> None:
    root = _parse(stacked_bar({"done": 3, "open": 1, "overdue": 0}, "状态", {"done": "已回访"}))
    parts = [float(r.get("width", "0")) for r in root.iter(f"{SVG}rect") if r.get("y") == "8"]
    assert parts[0] == 3 * parts[1] and parts[2] == 0
    assert any("已回访" in (el.text or "") for el in root.iter(f"{SVG}text"))


def test_empty_charts_still_parse() -> None:
    for svg in (bar_chart([], "空"), line_chart([], {}, "空"), stacked_bar({}, "空")):
        _parse(svg)
