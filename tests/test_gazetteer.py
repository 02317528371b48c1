"""Places come from China's divisions (JioNLP's table of them) or the county's own region tree.

The real counties, towns and villages below are in the shipped data; the people are invented.
"""

from __future__ import annotations

import pytest

from lianxin.parsing import gazetteer
from lianxin.parsing.facts import facts_in
from lianxin.parsing.places import known_places, places_in, report_places
from lianxin.records import FactKind, Region, RegionLevel

# 云溪县 and its towns and villages are the sample portal's fictional county.
YUNXI = [
    Region(level=RegionLevel.county, name="云溪县"),
    Region(level=RegionLevel.town, name="青石镇", parent="云溪县"),
    Region(level=RegionLevel.village, name="石门村", parent="青石镇"),
    Region(level=RegionLevel.village, name="龙潭村", parent="青石镇"),
]


def places_of(text: str) -> list[tuple[str, str]]:
    return [(f.unit or "", f.text) for f in facts_in(text) if f.kind is FactKind.place]


@pytest.mark.parametrize(
    "sentence",
    [
        "各地要推动两县协作，把帮扶资金用在刀刃上。",
        "驻村干部帮助群众解决镇上就医难的问题。",
        "记者随机询问驻村工作队员，大家都说收入涨了。",
        "小康村里的年轻人大多外出务工。",  # 小康村 is a village somewhere, named alone here
    ],
)
def test_words_that_end_like_a_unit_are_not_places(sentence: str) -> None:
    assert places_of(sentence) == []


def test_a_name_the_data_does_not_know_is_not_cut_to_its_last_characters() -> None:
    # 家子村 was read out of 东西五家子村; the data has no such village, so nothing is read.
    assert places_of("王秀英家住东西五家子村，丈夫在外务工。") == []


def test_a_town_is_read_whole_not_as_the_shorter_name_inside_it() -> None:
    assert places_of("万佛山镇的李桂兰参加了家政培训。") == [("town", "万佛山镇")]


def test_a_chain_of_real_divisions_is_read_unit_by_unit_past_province_and_prefecture() -> None:
    text = "第一书记周建华来到湖南省岳阳市平江县三阳乡石坪村走访脱贫户。"
    assert places_of(text) == [("county", "平江县"), ("town", "三阳乡"), ("village", "石坪村")]


def test_a_county_named_after_a_short_province_name_is_read_whole() -> None:
    assert places_of("重庆奉节县的脐橙丰收了。") == [("county", "奉节县")]


def test_a_prefecture_is_not_a_county() -> None:
    assert places_of("巴彦淖尔市召开就业帮扶推进会。") == []
    assert report_places("巴彦淖尔市人民政府").county is None


def test_a_village_of_another_town_is_not_read_after_a_town() -> None:
    # 三阳乡 is real; 云溪村 is no village of any 三阳乡 in the data.
    assert places_of("平江县三阳乡云溪村") == [("county", "平江县"), ("town", "三阳乡")]


def test_the_configured_region_tree_names_the_fictional_county_and_its_villages() -> None:
    text = "云溪县青石镇石门村的赵德明返乡创业，龙潭村也来取经。"
    assert ("county", "云溪县") not in places_of(text)
    with gazetteer.configured_tree(YUNXI):
        assert places_of(text) == [
            ("county", "云溪县"),
            ("town", "青石镇"),
            ("village", "石门村"),
            ("village", "龙潭村"),
        ]
    assert ("village", "龙潭村") not in places_of(text)  # the tree is known only in the block


def test_report_places_keep_only_real_divisions_from_titles() -> None:
    assert report_places("【资讯汇总】准确把握市场走向") == report_places("")
    found = report_places("顺德区大良街道党工委到众创金融街调研")
    assert (found.county, found.town, found.village) == ("顺德区", "大良街道", None)


def test_an_organs_own_name_names_its_place_even_when_the_data_does_not_know_it() -> None:
    assert report_places("云溪县人民政府").county == "云溪县"
    found = report_places("青石镇石门村村民委员会")
    assert (found.town, found.village) == ("青石镇", "石门村")


def test_a_tables_own_title_still_names_its_village_for_the_rows() -> None:
    # A roster or check-in table's title is the county's own data: read by its shape.
    assert places_in("石门村2026年9月外出务工人员电话回访情况表").village == "石门村"


def test_known_places_lists_each_place_once_in_order() -> None:
    text = "德清县、奉节县和德清县的干部交流了经验。"
    assert known_places(text) == [("county", "德清县"), ("county", "奉节县")]


def test_a_town_outside_the_data_and_the_tree_is_not_known() -> None:
    assert gazetteer.level_of("解决镇") is None
    assert gazetteer.level_of("三阳乡") == "town"
    assert gazetteer.level_of("平江县") == "county"
