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


# --- every edge that shows a row keeps to the rule -------------------------------------------

CADRE_PHONE = "13800138000"
SHOWN_CADRE_PHONE = "138****8000"
ID_CARD = "110101199001011234"
SHOWN_ID_CARD = "110***********1234"


def test_an_export_masks_a_cadre_phone_and_an_id_card_column() -> None:
    from lianxin.services.export import export_table

    rows = [{"cadre_phone": CADRE_PHONE, "id_card": ID_CARD, "notes": "打 13900139000"}]
    columns = [("cadre_phone", "干部电话"), ("id_card", "身份证"), ("notes", "备注")]
    masked = export_table(rows, columns, "csv").decode("utf-8-sig").splitlines()
    assert masked[1] == f"{SHOWN_CADRE_PHONE},{SHOWN_ID_CARD},打 139****9000"
    full = export_table(rows, columns, "csv", mask=False).decode("utf-8-sig").splitlines()
    assert full[1] == f"{CADRE_PHONE},{ID_CARD},打 13900139000"


def test_lianxin_parse_masks_a_cadre_phone_in_its_tables_and_its_json() -> None:
    from pydantic import BaseModel

    from lianxin.cli.parse_json import masked_record
    from lianxin.cli.show import masked

    row = {"name": "李建国", "cadre_phone": CADRE_PHONE, "id_card": ID_CARD}
    assert masked(row, unmasked=False) == {
        "name": "李建国",
        "cadre_phone": SHOWN_CADRE_PHONE,
        "id_card": SHOWN_ID_CARD,
    }
    assert masked(row, unmasked=True) == row

    class Contact(BaseModel):
        name: str
        cadre_phone: str | None = None

    record = masked_record(Contact(name="李建国", cadre_phone=CADRE_PHONE))
    assert record.model_dump() == {"name": "李建国", "cadre_phone": SHOWN_CADRE_PHONE}
    assert masked_record(Contact(name="李建国")).model_dump()["cadre_phone"] is None


def test_an_import_preview_masks_a_changed_cadre_phone_unless_asked() -> None:
    from lianxin.services.import_preview import FieldChange, diff_fields

    old = {"cadre_phone": "13900139000", "notes": "旧"}
    new = {"cadre_phone": CADRE_PHONE, "notes": "新 13700137000"}
    assert diff_fields(old, new, ("cadre_phone", "notes"), unmasked=False) == [
        FieldChange("cadre_phone", "139****9000", SHOWN_CADRE_PHONE),
        FieldChange("notes", "旧", "新 137****7000"),
    ]
    changed = diff_fields(old, new, ("cadre_phone",), unmasked=True)
    assert changed == [FieldChange("cadre_phone", "13900139000", CADRE_PHONE)]
