"""Static reference data (GET /api/v1/statics) and default company settings."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import orjson

Row = dict[str, Any]  # one reference entry, as upstream lists it
_DIR = Path(__file__).resolve().parent


def _load(name: str) -> Any:
    with open(_DIR / f"{name}.json", encoding="utf-8") as fh:
        return json.load(fh)


def _by_id(rows: list[Row]) -> dict[str, Row]:
    return {row["id"]: row for row in rows}


def _by_name(rows: list[Row]) -> list[Row]:
    return sorted(rows, key=lambda r: (r["name"], int(r["id"])))


def _by_int_id(rows: list[Row]) -> list[Row]:
    return sorted(rows, key=lambda r: int(r["id"]))


# database/seeders/CurrenciesSeeder.php
_currencies = _by_name(_load("currencies"))
# database/seeders/CountriesSeeder.php
_countries = _by_name(_load("countries"))
# database/seeders/LanguageSeeder.php
_languages = _by_name(_load("languages"))
# database/seeders/PaymentTypesSeeder.php (+ payment types added by database/migrations)
_payment_types = _by_name(_load("payment_types"))
# database/seeders/IndustrySeeder.php
_industries = _by_name(_load("industries"))
# database/seeders/ConstantsSeeder.php
_sizes = _by_int_id(_load("sizes"))
# database/seeders/ConstantsSeeder.php
_timezones = _by_int_id(_load("timezones"))
# database/seeders/DateFormatsSeeder.php
_date_formats = _by_int_id(_load("date_formats"))
# database/seeders/DateFormatsSeeder.php
_datetime_formats = _by_int_id(_load("datetime_formats"))
# app/DataMapper/EmailTemplateDefaults.php
_templates = _load("templates")
# app/DataMapper/CompanySettings.php
_company_settings = _load("company_settings")

CURRENCIES: dict[str, Row] = _by_id(_currencies)
COUNTRIES: dict[str, Row] = _by_id(_countries)
LANGUAGES: dict[str, Row] = _by_id(_languages)
TIMEZONES: dict[str, Row] = _by_id(_timezones)
PAYMENT_TYPES: dict[str, Row] = _by_id(_payment_types)
INDUSTRIES: dict[str, Row] = _by_id(_industries)
SIZES: dict[str, Row] = _by_id(_sizes)
DATE_FORMATS: dict[str, Row] = _by_id(_date_formats)
DATETIME_FORMATS: dict[str, Row] = _by_id(_datetime_formats)

# app/Models/Client.php ($bulk_update_columns)
BULK_UPDATES: dict[str, list[str]] = {
    "client": [
        "public_notes",
        "industry_id",
        "size_id",
        "country_id",
        "custom_value1",
        "custom_value2",
        "custom_value3",
        "custom_value4",
    ]
}

STATICS: dict[str, Any] = {
    "industries": _industries,
    "countries": _countries,
    "payment_types": _payment_types,
    "languages": _languages,
    "currencies": _currencies,
    "sizes": _sizes,
    "datetime_formats": _datetime_formats,
    "gateways": [],
    "timezones": _timezones,
    "date_formats": _date_formats,
    "templates": _templates,
    "bulk_updates": BULK_UPDATES,
}

STATICS_JSON: bytes = orjson.dumps(STATICS)

_SETTINGS_DEFAULTS: dict[str, Any] = _company_settings["defaults"]

COMPANY_SETTING_TYPES: dict[str, str] = dict(_company_settings["types"])


def default_company_settings(name: str = "", currency_id: str = "1", country_id: str = "840") -> dict[str, Any]:
    """Return a fresh copy of the default company settings object."""
    settings = copy.deepcopy(_SETTINGS_DEFAULTS)
    settings["name"] = name or ""
    settings["currency_id"] = str(currency_id or "1")
    settings["country_id"] = str(country_id or "840")
    return settings


__all__ = [
    "STATICS",
    "STATICS_JSON",
    "CURRENCIES",
    "COUNTRIES",
    "LANGUAGES",
    "TIMEZONES",
    "PAYMENT_TYPES",
    "INDUSTRIES",
    "SIZES",
    "DATE_FORMATS",
    "DATETIME_FORMATS",
    "BULK_UPDATES",
    "COMPANY_SETTING_TYPES",
    "default_company_settings",
]
