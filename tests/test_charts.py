import xml.etree.ElementTree as ET

from lianxin.dashboard.charts import bar_chart, line_chart, stacked_bar, text_width

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


def _view_box(root: ET.Element) -> list[float]:
    return [float(n) for n in root.get("viewBox", "").split()]


def test_a_bar_chart_with_few_bars_is_only_as_tall_as_its_bars() -> None:
    one = _view_box(_parse(bar_chart([("松坪村", 42.1)], "回访率", maximum=100)))
    three = _view_box(_parse(bar_chart([("a", 1.0), ("b", 2.0), ("c", 3.0)], "回访率")))
    assert one[3] <= 40 and three[3] - one[3] == 2 * 22  # one row per bar, no blank area
    assert one[2] == three[2]


def test_the_last_month_label_of_a_line_chart_is_not_clipped() -> None:
    months = ["2026-06", "2026-07", "2026-08", "2026-09", "2026-10", "2026-11"]
    for labels in (months, ["十一月", "十二月"]):
        root = _parse(line_chart(labels, {"回访率": [1.0] * len(labels)}, "趋势"))
        width = _view_box(root)[2]
        last = next(el for el in root.iter(f"{SVG}text") if el.text == labels[-1])
        assert last.get("text-anchor") == "middle"
        assert float(last.get("x", "0")) + text_width(labels[-1]) / 2 <= width
        circles = list(root.iter(f"{SVG}circle"))
        assert float(circles[-1].get("cx", "0")) == float(last.get("x", "0"))


def test_a_line_chart_draws_no_segment_across_missing_values() -> None:
    months = ["2026-07", "2026-08", "2026-09", "2026-10", "2026-11"]
    root = _parse(line_chart(months, {"收入": [None, 3000, 3200, None, 2800]}, "收入"))
    lines = [el.get("points", "").split() for el in root.iter(f"{SVG}polyline")]
    assert [len(points) for points in lines] == [2, 1]  # 8–9 joined; 11 alone: its dot
    assert len(list(root.iter(f"{SVG}circle"))) == 3
    empty = _parse(line_chart(months, {"收入": [None] * 5}, "收入"))
    assert not list(empty.iter(f"{SVG}polyline")) and not list(empty.iter(f"{SVG}circle"))


def test_every_chart_names_itself_for_screen_readers() -> None:
    for svg in (
        bar_chart([("石桥镇", 1.0)], "回访率"),
        line_chart(["2026-11"], {"收入": [1.0]}, "回访率"),
        stacked_bar({"done": 1}, "回访率"),
    ):
        root = _parse(svg)
        assert root.get("role") == "img" and root.get("aria-label") == "回访率"
        assert [el.text for el in root.findall(f"{SVG}title")] == ["回访率"]
