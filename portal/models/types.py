"""Column types that behave alike on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa


class Exact(sa.types.TypeDecorator[Decimal]):
    """A decimal stored as a whole number of its smallest unit (cents for money): exact on
    SQLite too, which keeps NUMERIC as a float. A value finer than that unit is refused."""

    impl = sa.BigInteger
    cache_ok = True

    def __init__(self, places: int = 2, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.places = places

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> int | None:
        if value is None:
            return None
        scaled = Decimal(value).scaleb(self.places)
        if scaled != scaled.to_integral_value():
            raise ValueError(f"{value} has more than {self.places} decimal places")
        return int(scaled)

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> Decimal | None:
        return None if value is None else Decimal(int(value)).scaleb(-self.places)


# Amounts in a currency's minor unit (every currency the portal bills in has two decimals).
Money = Exact(2)
# A percentage to two decimals (a discount of 12.5 %).
Percent = Exact(2)


class UtcDateTime(sa.types.TypeDecorator[datetime]):
    """Timezone-aware datetimes on every backend (SQLite forgets the zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime")
        return value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value
