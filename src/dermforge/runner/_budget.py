"""The spending cap of a generation job.

Before a request is sent its cost is estimated (images × the price table's price, or the
user's ``--max-usd-per-image`` where the table has none) and reserved; the run stops before
a request whose reservation would take spent + reserved past the budget. When a response
arrives the reservation is replaced by the actual cost (from the response's usage where the
backend can tell). Estimates that turn out low are corrected: later reservations are
scaled by the largest actual/estimate ratio seen so far.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..errors import InputError
from ..schemas import GenerationRequest

__all__ = ["Budget", "per_image_prices"]


def per_image_prices(
    requests: Sequence[GenerationRequest],
    price_of: Callable[[GenerationRequest], float | None],
    max_usd_per_image: float | None,
) -> dict[str, float]:
    """request_id → USD per image used for budgeting; checked before anything is sent."""
    prices: dict[str, float] = {}
    for request in requests:
        known = price_of(request)
        if known is None and max_usd_per_image is None:
            raise InputError(
                f"no known price for model {request.model!r} at size {request.size!r}, "
                f"quality {request.quality!r}: dermforge will not spend an unknown amount",
                fix="pass --max-usd-per-image X (the most one image may cost) to run it anyway")
        if known is not None and max_usd_per_image is not None and known > max_usd_per_image:
            raise InputError(
                f"{request.model} at {request.size}/{request.quality} costs about "
                f"${known:.3f} per image, above --max-usd-per-image {max_usd_per_image}",
                fix="raise --max-usd-per-image, or choose a cheaper --quality or --size")
        prices[request.request_id] = known if known is not None else float(max_usd_per_image or 0)
    return prices


class Budget:
    """Spent + reserved never passes ``limit_usd`` by a request's estimate (None = no cap)."""

    def __init__(self, limit_usd: float | None, spent_before_usd: float = 0.0) -> None:
        if limit_usd is not None and limit_usd < 0:
            raise InputError(f"--budget-usd must be >= 0, got {limit_usd!r}",
                             fix="give the most the job may spend in US dollars")
        self.limit_usd = limit_usd
        self.spent_before_usd = spent_before_usd
        self.spent_usd = 0.0  # by this run
        self.reserved_usd = 0.0
        self._correction = 1.0

    @property
    def total_usd(self) -> float:
        return self.spent_before_usd + self.spent_usd

    def estimate(self, n_images: int, usd_per_image: float) -> float:
        return n_images * usd_per_image * self._correction

    def try_reserve(self, amount: float) -> bool:
        """Reserve ``amount`` if it fits under the cap; False (nothing reserved) if not."""
        if self.limit_usd is not None and (
                self.total_usd + self.reserved_usd + amount > self.limit_usd + 1e-12):
            return False
        self.reserved_usd += amount
        return True

    def release(self, reserved: float) -> None:
        """The request spent nothing (failed before being billed)."""
        self.reserved_usd = max(0.0, self.reserved_usd - reserved)

    def settle(self, reserved: float, actual: float | None) -> float:
        """Replace a reservation by the actual cost (None = unknown: the estimate counts)."""
        self.release(reserved)
        spent = reserved if actual is None else actual
        if actual is not None and reserved > 0 and actual > reserved:
            self._correction *= actual / reserved
        self.spent_usd += spent
        return spent
