"""The checklist's numbers as exact integers of one common unit, so that a month's deductions add up as
plain ints (and as int64 arrays): exact, converted back to ``Fraction`` per community."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

from ..checklist.spec import Category, Checklist, Item
from .rules import deduction_amount, found_by_multiplier, repeat_multiplier


class Points:
    """The checklist's points, caps and weights in units of 1/``scale`` point (exact: ``scale`` is a common
    multiple of their denominators); ``items``: item code → (item, its category)."""

    def __init__(self, checklist: Checklist):
        self.checklist = checklist
        self.items: dict[str, tuple[Item, Category]] = {
            i.code: (i, c) for c in checklist.categories for i in c.items
        }
        self._amounts: dict[tuple, tuple[Decimal, Decimal, Decimal]] = {}
        self._units: dict[tuple, int] = {}

        # Amounts are points × found_by multiplier × instances × repeat multiplier (rules.deduction_amount):
        # their denominators divide the product of the factors' common denominators, whatever the instances.
        def den(values) -> int:
            return math.lcm(*(Fraction(v).denominator for v in values)) if values else 1

        points = [i.points for i, _c in self.items.values()]
        amounts = den(points) * den([*checklist.found_by.values()]) * den([checklist.repeat.multiplier])
        caps = [i.cap for i, _c in self.items.values()]
        self.scale = math.lcm(amounts, den(caps), den([c.weight for c in checklist.categories]))
        #: Item code → its cap, and category code → its weight, in units; item code → its category's code.
        self.caps = {code: self.unit(i.cap) for code, (i, _c) in self.items.items()}
        self.category_of = {code: c.code for code, (_i, c) in self.items.items()}
        #: Category code → the spot types it is found at (``Category.spot_types``).
        self.category_spots = {c.code: frozenset(c.spot_types) for c in checklist.categories}
        self.weights = {c.code: self.unit(c.weight) for c in checklist.categories}

    def unit(self, value: Decimal) -> int:
        """``value`` in units (exact)."""
        exact = Fraction(value) * self.scale
        if exact.denominator != 1:  # cannot happen with the scale above; refuse rather than round
            raise ValueError(f"{value} is not a multiple of 1/{self.scale}")
        return exact.numerator

    def amount(
        self, item: Item, found_by: str, instances: int, repeat: bool
    ) -> tuple[Decimal, Decimal, Decimal]:
        """(found_by multiplier, amount, repeat multiplier) of a report, as Decimals (memoised)."""
        key = (item.code, found_by, instances, repeat)
        known = self._amounts.get(key)
        if known is None:
            multiplier = found_by_multiplier(self.checklist, found_by)
            rmult = repeat_multiplier(self.checklist, repeat)
            known = self._amounts[key] = (
                multiplier,
                deduction_amount(item.points, instances, multiplier, rmult),
                rmult,
            )
        return known

    def amount_units(self, item: Item, found_by: str, instances: int, repeat: bool) -> int:
        """The amount of a report in units (memoised)."""
        key = (item.code, found_by, instances, repeat)
        known = self._units.get(key)
        if known is None:
            known = self._units[key] = self.unit(self.amount(item, found_by, instances, repeat)[1])
        return known
