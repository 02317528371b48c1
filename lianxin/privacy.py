"""Masking of personal data (PIPL): phones and ID numbers never leave Lianxin in full by default."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

_DIGITS = re.compile(r"\d")
# Mainland mobile numbers, possibly with +86 and separators, anywhere in a text.
_PHONE_IN_TEXT = re.compile(r"(?<!\d)(?:\+?86[- ]?)?(1[3-9]\d)[- ]?(\d{4})[- ]?(\d{4})(?!\d)")
_ID_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{8})(\d{3}[\dXx])(?![0-9A-Za-z])")


def mask_phone(phone: str | None) -> str:
    """Return `phone` as 138****5678; short or already-masked values keep only their last 4."""
    if not phone:
        return ""
    digits = "".join(_DIGITS.findall(phone))
    if len(digits) >= 11 and "*" not in phone:
        return f"{digits[-11:-8]}****{digits[-4:]}"
    tail = digits[-4:] if len(digits) >= 4 else ""
    return f"***{tail}" if "*" not in phone else phone


def mask_id_number(id_number: str | None) -> str:
    """Return an 18-character ID number as 430***********1234 (first 3, last 4 kept)."""
    if not id_number:
        return ""
    value = id_number.strip()
    if len(value) < 8:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def scrub(text: str) -> str:
    """Return `text` with every phone number and ID number in it masked (for log lines)."""
    text = _ID_IN_TEXT.sub(lambda m: m.group(1)[:3] + "*" * 11 + m.group(3)[-4:], text)
    return _PHONE_IN_TEXT.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)


# The one rule of which fields are personal, by name, wherever a record, a row or a digest
# item leaves Lianxin: every phone (a worker's, a cadre's, a contact's), every ID number, and
# incomes (last month's income is personal: shown to the cadre and the leads, not in a group).
PersonalKind = Literal["phone", "id_number", "income"]


def personal_kind(field: str) -> PersonalKind | None:
    """Return what kind of personal data a field named `field` holds, or None if none."""
    name = field.lower()
    if name.endswith(("phone", "phones", "phone_number")):
        return "phone"
    if name.endswith(("id_number", "id_card", "idcard")):
        return "id_number"
    if "income" in name:
        return "income"
    return None


def mask_field(field: str, value: Any) -> Any:
    """Return `value` of the field named `field` masked as its kind is; incomes and any
    non-personal field come back as they are (whether an income is shown is the caller's
    role decision; `personal_kind` says which fields those are)."""
    if value is None or value == "":
        return value
    kind = personal_kind(field)
    if kind == "phone":
        return mask_phone(str(value))
    if kind == "id_number":
        return mask_id_number(str(value))
    return value


def mask_text(field: str, text: str) -> str:
    """Return `text` of the field named `field` as shown to whoever may not see personal data:
    a phone or an ID number masked, any other text with the numbers in it scrubbed."""
    if personal_kind(field) in ("phone", "id_number"):
        return str(mask_field(field, text))
    return scrub(text)


def mask_fields(row: Mapping[str, Any], drop_income: bool = False) -> dict[str, Any]:
    """Return a copy of `row` with its phones and ID numbers masked (and incomes emptied when
    `drop_income`); other fields unchanged."""
    masked: dict[str, Any] = {}
    for field, value in row.items():
        if drop_income and personal_kind(field) == "income":
            masked[field] = None
        else:
            masked[field] = mask_field(field, value)
    return masked
