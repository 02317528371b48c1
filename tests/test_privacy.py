from lianxin.privacy import mask_id_number, mask_phone, scrub


def test_it_masks_a_mobile_number_as_the_ministry_prints_it() -> None:
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("+86 138 1234 5678") == "138****5678"


def test_it_leaves_an_already_masked_phone_as_it_is() -> None:
    assert mask_phone("138****5678") == "138****5678"


def test_it_masks_an_id_number_keeping_first_three_and_last_four() -> None:
    assert mask_id_number("43012319900101123X") == "430***********123X"


def test_it_scrubs_phones_and_ids_out_of_free_text() -> None:
    text = scrub("张伟 13812345678，身份证 430123199001011234，收入 4200 元")
    assert "13812345678" not in text and "430123199001011234" not in text
    assert "138****5678" in text and "4200" in text
