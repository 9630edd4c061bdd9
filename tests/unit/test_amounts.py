"""A bill's amount: plain ones read by float(), the rest by Decimal, to the same value and the same refusals."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from app.fields import Invalid, an_amount


def test_plain_amounts_read_as_decimal_reads_them() -> None:
    draw = random.Random(7)
    values = ["0", "0.1", "5.", " 7.50 ", "26.03", "999999999999999.99"]
    values += [f"{draw.randint(0, 10 ** draw.randint(1, 12))}.{draw.randint(0, 99):02d}" for _ in range(5000)]
    for value in values:
        assert an_amount(value) == float(Decimal(value.strip())), value


@pytest.mark.parametrize("value", [".5", "1e3", "1_000", "+2"])
def test_other_forms_decimal_takes_still_read(value: str) -> None:
    assert an_amount(value) == float(Decimal(value))


@pytest.mark.parametrize("value", ["1.234", "-1", "NaN", "Infinity", "12,50", "", "1.2.3"])
def test_more_than_two_decimals_negative_or_no_number_is_refused(value: str) -> None:
    with pytest.raises(Invalid):
        an_amount(value)
