"""Settlement: contracts, tariffs, PPAs, allocation and price series turn interval energy into money.

Public names: `allocate_largest_remainder` (exact integer split), and the service entry points
`settle_cycle` / `record_settlement` with their result types.
"""

from settlement.allocation import allocate_largest_remainder
from settlement.errors import AllocationWeightsInvalid

__all__ = ["AllocationWeightsInvalid", "allocate_largest_remainder"]
