"""Payment processing behind an interface; the sandbox processor's test cards succeed or decline
the way its documentation says. Only what a processor token gives back is ever stored."""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar, Protocol

from portal import clock

# Documented sandbox cards: number → (brand, outcome). Any other valid number is declined.
SANDBOX_CARDS = {
    "4242424242424242": ("visa", "approved"),
    "5555555555554444": ("mastercard", "approved"),
    "378282246310005": ("amex", "approved"),
    "4000000000000002": ("visa", "card_declined"),
    # Saved like any card, then declines every charge (Stripe's 0341): renewals go past due.
    "4000000000000341": ("visa", "card_declined"),
    "4000000000009995": ("visa", "insufficient_funds"),
}
DECLINING_TOKENS = {"card_declined", "insufficient_funds"}
# Refused by the bank when saved, as Stripe's 0002 fails its set-up: told at once, never kept.
DECLINED_WHEN_SAVED = {"4000000000000002"}


class CardRejected(Exception):
    """The card cannot be saved (bad number or expiry); `code` says why."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class CardToken:
    token: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int


@dataclass(frozen=True)
class ChargeResult:
    approved: bool
    reference: str = ""
    decline_code: str = ""


class PaymentProcessor(Protocol):
    def tokenize(self, number: str, exp_month: int, exp_year: int, cvc: str) -> CardToken: ...

    def charge(
        self,
        token: str,
        amount: Decimal,
        currency: str,
        description: str,
        idempotency_key: str | None = None,
    ) -> ChargeResult:
        """Charge once per `idempotency_key`: sent again (a retried step whose first answer
        was lost), it answers the first charge and charges nothing more, as Stripe does."""
        ...


def luhn_valid(number: str) -> bool:
    digits = [int(d) for d in number]
    for index in range(len(digits) - 2, -1, -2):
        digits[index] = digits[index] * 2 - 9 if digits[index] > 4 else digits[index] * 2
    return sum(digits) % 10 == 0


class SandboxProcessor:
    """A stand-in for the real processor in development and tests (never used in production)."""

    def tokenize(self, number: str, exp_month: int, exp_year: int, cvc: str) -> CardToken:
        number = number.replace(" ", "").replace("-", "")
        if not number.isdigit() or not 13 <= len(number) <= 19 or not luhn_valid(number):
            raise CardRejected("invalid_number")
        today = clock.today()
        if not 1 <= exp_month <= 12 or (exp_year, exp_month) < (today.year, today.month):
            raise CardRejected("expired_card")
        if not cvc.isdigit() or not 3 <= len(cvc) <= 4:
            raise CardRejected("invalid_cvc")
        if number in DECLINED_WHEN_SAVED:
            raise CardRejected("card_declined")
        brand, outcome = SANDBOX_CARDS.get(number, ("card", "card_declined"))
        # The sandbox carries the card's scripted outcome in its token, as a real one would
        # remember it server-side.
        token = f"tok_{outcome}_{secrets.token_hex(8)}"
        return CardToken(token, brand, number[-4:], exp_month, exp_year)

    # What the processor remembers, across every worker of this process (a real processor is
    # one service for all of them).
    _answered: ClassVar[dict[str, ChargeResult]] = {}
    _lock: ClassVar[threading.Lock] = threading.Lock()
    charges: ClassVar[list[tuple[str | None, Decimal]]] = []

    def charge(
        self,
        token: str,
        amount: Decimal,
        currency: str,
        description: str,
        idempotency_key: str | None = None,
    ) -> ChargeResult:
        with self._lock:
            if idempotency_key is not None and idempotency_key in self._answered:
                return self._answered[idempotency_key]
            result = self._charge(token, amount)
            if result.approved:
                self.charges.append((idempotency_key, amount))
            if idempotency_key is not None:
                self._answered[idempotency_key] = result
            return result

    def _charge(self, token: str, amount: Decimal) -> ChargeResult:
        outcome = token.split("_")[1] if token.startswith("tok_") else "card_declined"
        if outcome == "approved" or amount <= 0:
            return ChargeResult(True, reference=f"ch_{secrets.token_hex(8)}")
        code = "insufficient_funds" if token.startswith("tok_insufficient") else "card_declined"
        return ChargeResult(False, decline_code=code)
