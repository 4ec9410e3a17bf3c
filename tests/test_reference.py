import orjson
import pytest

from app import reference as ref
from app.reference import (
    COMPANY_SETTING_TYPES,
    COUNTRIES,
    CURRENCIES,
    LANGUAGES,
    STATICS,
    STATICS_JSON,
    default_company_settings,
)

ID_LISTS = [
    "industries",
    "countries",
    "payment_types",
    "languages",
    "currencies",
    "sizes",
    "datetime_formats",
    "timezones",
    "date_formats",
]


@pytest.mark.parametrize("key", ID_LISTS)
def test_ids_are_unique_strings(key):
    rows = STATICS[key]
    assert rows, key
    ids = [row["id"] for row in rows]
    assert all(isinstance(i, str) and i.isdigit() for i in ids)
    assert len(ids) == len(set(ids))


def test_statics_keys():
    assert set(STATICS) == set(ID_LISTS) | {"gateways", "templates", "bulk_updates"}
    assert STATICS["gateways"] == []
    assert STATICS["bulk_updates"]["client"][0] == "public_notes"
    for name in (
        "invoice",
        "quote",
        "credit",
        "payment",
        "payment_partial",
        "reminder1",
        "reminder2",
        "reminder3",
        "reminder_endless",
        "statement",
        "purchase_order",
        "quote_reminder1",
    ):
        tpl = STATICS["templates"][name]
        assert tpl["subject"] and tpl["body"]


def test_lookups_match_lists():
    assert len(CURRENCIES) == len(STATICS["currencies"])
    assert len(COUNTRIES) == len(STATICS["countries"])
    assert len(ref.TIMEZONES) == len(STATICS["timezones"])
    assert len(ref.PAYMENT_TYPES) == len(STATICS["payment_types"])
    assert set(ref.INDUSTRIES) and set(ref.SIZES) and "1" in ref.DATE_FORMATS


def test_usd():
    usd = CURRENCIES["1"]
    assert usd["code"] == "USD"
    assert usd["name"] == "US Dollar"
    assert usd["precision"] == 2
    assert isinstance(usd["exchange_rate"], float)
    assert usd["swap_currency_symbol"] is False


def test_other_currencies():
    by_code = {c["code"]: c for c in CURRENCIES.values()}
    for code in ("EUR", "GBP", "JPY"):
        assert code in by_code
    assert by_code["JPY"]["precision"] == 0
    assert by_code["EUR"]["decimal_separator"] == ","


def test_united_states():
    us = COUNTRIES["840"]
    assert us["name"] == "United States"
    assert us["iso_3166_2"] == "US"
    assert us["iso_3166_3"] == "USA"
    assert isinstance(us["swap_postal_code"], bool)


def test_english():
    en = LANGUAGES["1"]
    assert en["locale"] == "en"
    assert en["name"].startswith("English")


def test_date_format_one_exists():
    assert STATICS["date_formats"][0]["id"] == "1"
    assert "format_moment" in STATICS["date_formats"][0]


def test_currencies_sorted_by_name():
    names = [c["name"] for c in STATICS["currencies"]]
    assert names == sorted(names)


def test_date_formats_sorted_by_int_id():
    for key in ("date_formats", "datetime_formats", "timezones", "sizes"):
        ids = [int(r["id"]) for r in STATICS[key]]
        assert ids == sorted(ids)


def test_statics_json_round_trip():
    assert orjson.loads(STATICS_JSON) == STATICS


def test_default_company_settings():
    s = default_company_settings("Acme")
    assert s["entity"] == "App\\Models\\Company"
    assert s["name"] == "Acme"
    assert s["currency_id"] == "1"
    assert s["country_id"] == "840"
    assert s["language_id"] == "1"
    assert s["date_format_id"] == "1"
    assert s["invoice_design_id"] == "Wpmbk5ezJn"
    assert s["counter_padding"] == 4
    pdf = s["pdf_variables"]
    assert pdf["product_columns"] == [
        "$product.item",
        "$product.description",
        "$product.unit_cost",
        "$product.quantity",
        "$product.discount",
        "$product.tax",
        "$product.line_total",
    ]
    assert isinstance(pdf["total_columns"], list)
    assert "$total" in pdf["total_columns"]
    assert all(v is not None for v in s.values())


def test_default_company_settings_args():
    s = default_company_settings(currency_id="3", country_id="276")
    assert s["currency_id"] == "3" and s["country_id"] == "276" and s["name"] == ""


def test_default_company_settings_fresh_copy():
    a = default_company_settings()
    a["name"] = "changed"
    a["pdf_variables"]["total_columns"].append("$oops")
    a["translations"]["x"] = "y"
    b = default_company_settings()
    assert b["name"] == ""
    assert "$oops" not in b["pdf_variables"]["total_columns"]
    assert b["translations"] == {}


def test_setting_types_match_defaults():
    s = default_company_settings()
    assert set(COMPANY_SETTING_TYPES) == set(s)
    py = {"string": str, "bool": bool, "int": int, "float": float, "object": dict, "array": list}
    for key, typ in COMPANY_SETTING_TYPES.items():
        assert typ in py, key
        value = s[key]
        assert type(value) is py[typ], (key, typ, value)
    for key in ("currency_id", "country_id", "timezone_id", "language_id"):
        assert COMPANY_SETTING_TYPES[key] == "string"
