"""Golden tests of the calculation engine: upstream's worked examples."""

from decimal import Decimal as D

from app.services.billing.calc import Document, F, R, calculate


def line(qty, cost, discount=0, **taxes):
    item = {"quantity": D(str(qty)), "cost": D(str(cost)), "discount": D(str(discount))}
    for k, v in taxes.items():
        item[k] = D(str(v)) if k.startswith("tax_rate") else v
    return item


def test_php_rounding_is_half_away_from_zero_after_15_digits():
    assert R(D("2.5"), 0) == D("3") and R(D("-2.5"), 0) == D("-3")
    assert R(D("33.324999999999996"), 2) == D("33.33")  # PHP normalises to 15 significant digits
    assert F(D("17.355366"), 2) == D("17.36")
    assert R(D("1.005"), 2) == D("1.01")  # Python's round() would give 1.0


def test_amount_discount_spread_over_line_taxes():
    doc = Document(
        [line(1, 8000, tax_name1="CA", tax_rate1=5), line(1, 9500, tax_name1="CA", tax_rate1=5)],
        discount=D(14191),
        is_amount_discount=True,
    )
    t = calculate(doc)
    assert t.amount == D("3474.45") and t.total_taxes == D("165.45")
    assert [x["tax_amount"] for x in t.line_items] == [D("75.63"), D("89.82")]
    assert [x["gross_line_total"] for x in t.line_items] == [D("8075.63"), D("9589.82")]


def test_line_taxes_plus_two_invoice_taxes_exclusive():
    doc = Document(
        [line(1, 10, tax_name1="10", tax_rate1=10)] * 2,
        is_amount_discount=False,
        tax_names=("GST", "GST", ""),
        tax_rates=(D(10), D(10), D(0)),
    )
    assert calculate(doc).amount == D("26")


def test_taxed_surcharge_exclusive():
    doc = Document(
        [line(1, 10)],
        tax_names=("GST", "", ""),
        tax_rates=(D(10), D(0), D(0)),
        surcharges=(D(10), D(0), D(0), D(0)),
        surcharge_taxed=(True, False, False, False),
    )
    t = calculate(doc)
    assert t.amount == D("22") and t.total_taxes == D("2")


def test_amount_discount_with_untaxed_surcharge():
    doc = Document(
        [line(1, 10), line(1, 10)],
        discount=D(5),
        is_amount_discount=True,
        tax_names=("GST", "", ""),
        tax_rates=(D(10), D(0), D(0)),
        surcharges=(D(5), D(0), D(0), D(0)),
    )
    assert calculate(doc).amount == D("21.5")


def test_inclusive_line_and_invoice_discounts_and_taxes():
    doc = Document(
        [line(1, 10, 5, tax_name1="a10", tax_rate1=10)] * 2,
        discount=D(5),
        is_amount_discount=False,
        uses_inclusive_taxes=True,
        tax_names=("VAT", "VAT", ""),
        tax_rates=(D(10), D(10), D(0)),
    )
    t = calculate(doc)
    assert t.amount == D("18.05") and t.total_taxes == D("4.92")


def test_inclusive_taxed_surcharge():
    doc = Document(
        [line(1, 100)],
        uses_inclusive_taxes=True,
        is_amount_discount=False,
        tax_names=("GST", "", ""),
        tax_rates=(D(10), D(0), D(0)),
        surcharges=(D(100), D(0), D(0), D(0)),
        surcharge_taxed=(True, False, False, False),
    )
    t = calculate(doc)
    assert t.amount == D("200") and t.total_taxes == D("18.18")


def test_large_unit_cost_precision():
    doc = Document([line(1, "82.6446", tax_name1="VAT", tax_rate1=21)])
    assert calculate(doc).amount == D("100.00")


def test_task_rounding_precision_three():
    doc = Document([line(25, c) for c in ("0.333", "0.333", "1.333", "0.267", "0.05")])
    assert calculate(doc).amount == D("57.92")


def test_amount_mode_without_discount_still_counts_unnamed_line_taxes():
    # upstream re-runs the line taxes whenever is_amount_discount is set, even with no discount, and that
    # pass maps every non-zero tax whatever its name: a nameless 10 % line tax is charged
    t = calculate(Document([line(1, 10, tax_name1="", tax_rate1=10)], is_amount_discount=True))
    assert t.amount == D("11.00") and t.total_taxes == D("1.00")
    t = calculate(Document([line(1, 10, tax_name1="", tax_rate1=10)], is_amount_discount=False))
    assert t.amount == D("10.00") and t.total_taxes == D("0")  # percent mode: names under 2 chars are dropped


def test_inclusive_amount_mode_line_tax_is_not_rounded_to_currency_precision():
    # the amount-discount pass sums the 2-decimal taxes as they are, also for a 0-decimal currency
    t = calculate(Document([line(1, 10, tax_name1="VAT", tax_rate1=10)], uses_inclusive_taxes=True, precision=0))
    assert t.line_items[0]["tax_amount"] == D("0.91") and t.total_taxes == D("0.91") and t.amount == D("10")
    t = calculate(
        Document(
            [line(1, 10, tax_name1="VAT", tax_rate1=10)],
            uses_inclusive_taxes=True,
            is_amount_discount=False,
            precision=0,
        )
    )
    assert t.line_items[0]["tax_amount"] == D("1")  # percent mode keeps the line pass, rounded to 0 places
