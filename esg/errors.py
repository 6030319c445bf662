"""Errors raised by the ESG module; each names the broken fact and carries the values that explain it."""

from __future__ import annotations

from common.errors import BadInput, Conflict, NotFound


class FactorEditionUnknown(NotFound):
    """No factor edition has this id, or none is valid for the period asked about."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"factor edition: {reason}")


class FactorMissing(NotFound):
    """The edition has no row for this fuel, subregion or gas."""

    def __init__(self, table_id: str, row_key: str) -> None:
        self.table_id = table_id
        self.row_key = row_key
        super().__init__(f"factor table {table_id}: no row {row_key!r}")


class FactorFileAltered(BadInput):
    """A factor file's bytes no longer match the sha256 recorded in the manifest."""

    def __init__(self, file_name: str, sha256_expected: str, sha256_actual: str) -> None:
        super().__init__(file_name, None, None, f"sha256 {sha256_actual}, manifest says {sha256_expected}")


class EditionAlreadyRegistered(Conflict):
    """An edition id already stored with different content: editions are never overwritten."""

    def __init__(self, edition_id: str) -> None:
        self.edition_id = edition_id
        super().__init__(f"factor edition {edition_id} is already registered with different content")


class CertificateOverclaimed(Conflict):
    """A claim would use more Wh of a certificate lot than remain unclaimed (a double claim)."""

    def __init__(self, lot_id: str, energy_wh_requested: int, energy_wh_remaining: int) -> None:
        self.lot_id = lot_id
        self.energy_wh_requested = energy_wh_requested
        self.energy_wh_remaining = energy_wh_remaining
        super().__init__(
            f"certificate lot {lot_id}: claim of {energy_wh_requested} Wh exceeds the "
            f"{energy_wh_remaining} Wh still unclaimed"
        )


class CertificateIneligible(BadInput):
    """A certificate cannot cover this consumption: wrong zone, wrong vintage, or not yet issued."""

    def __init__(self, lot_id: str, reason: str) -> None:
        self.lot_id = lot_id
        super().__init__(f"certificate lot {lot_id}", None, None, reason)


class CertificateLotConflict(Conflict):
    """A lot id already registered with different attributes."""

    def __init__(self, lot_id: str) -> None:
        super().__init__(f"certificate lot {lot_id} is already registered with different attributes")


class CertificateSerialsOverlap(Conflict):
    """A lot's serial range overlaps a registered lot's range of the same registry: the same MWh twice."""

    def __init__(self, lot_id: str, serials: str, registered_lot_id: str, registered_serials: str) -> None:
        self.lot_id = lot_id
        self.registered_lot_id = registered_lot_id
        super().__init__(
            f"certificate lot {lot_id} (serials {serials}) overlaps lot {registered_lot_id} "
            f"(serials {registered_serials}), already registered"
        )


class EmissionsInputInvalid(BadInput):
    """Meter list, period or options that cannot define an emissions calculation."""
