"""One rule of which fields are personal: every phone field (the cadre's too), ID numbers and
incomes, masked the same way wherever a row leaves Lianxin."""

from __future__ import annotations

from lianxin.privacy import mask_field, mask_fields, personal_kind


def test_every_phone_field_is_a_phone_the_cadres_too() -> None:
    for field in ("phone", "worker_phone", "cadre_phone", "contact_phone"):
        assert personal_kind(field) == "phone"
    assert personal_kind("id_number") == "id_number"
    assert personal_kind("income_yuan") == "income"
    assert personal_kind("village") is None


def test_mask_fields_masks_phones_and_ids_and_drops_incomes_only_when_asked() -> None:
    row = {
        "name": "测试甲",
        "cadre_phone": "13800138000",
        "worker_phone": "139-0013-9000",
        "id_number": "110101199001011234",
        "income_yuan": 4200,
    }
    masked = mask_fields(row)
    assert masked == {
        "name": "测试甲",
        "cadre_phone": "138****8000",
        "worker_phone": "139****9000",
        "id_number": "110***********1234",
        "income_yuan": 4200,
    }
    assert mask_fields(row, drop_income=True)["income_yuan"] is None
    assert row["cadre_phone"] == "13800138000"  # a copy: the row itself is left as it was
    assert mask_field("phone", None) is None
