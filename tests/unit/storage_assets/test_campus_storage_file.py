"""The campus file's `[[storage]]` section: read into the document and the model, refused by line and field."""

from __future__ import annotations

from decimal import Decimal

import pytest

from campus.errors import CampusFileInvalid
from campus.file import parse_campus_text
from campus.model import StorageAsset, StorageService, storage_assets
from campus.plan import plan_changes
from tests.unit.storage_assets.campus_text import BASE, STORAGE


def _parse(text: str) -> dict[str, object]:
    return parse_campus_text("campus.toml", text.encode(), None).document


def test_a_battery_is_read_into_the_model() -> None:
    document = _parse(BASE + STORAGE.format(charge="BESS-CHG"))
    assert storage_assets(document) == [StorageAsset(
        asset_id="bess1", charge_meter_id="BESS-CHG", discharge_meter_id="BESS-DIS", capacity_wh_usable=8_000_000,
        power_kw_rated=2000, round_trip_efficiency_permille_min=820, round_trip_efficiency_permille_max=920,
        state_of_charge_channel="soc", state_of_charge_wh_initial=4_000_000, state_of_charge_wh_min=400_000,
        losses_key=(("alpha", 3), ("beta", 1)), pool_method="pro_rata",
        services=(StorageService("alpha-backup", "alpha", 2_000_000, Decimal("1250.50")),))]


def test_a_file_without_storage_keeps_its_document() -> None:
    document = _parse(BASE)
    assert "storage" not in document and storage_assets(document) == []


def test_a_meter_of_the_wrong_role_is_refused_by_field() -> None:
    with pytest.raises(CampusFileInvalid) as refused:
        _parse(BASE + STORAGE.format(charge="GRID-IMP"))
    assert refused.value.field == "storage[0].charge_meter"
    assert "has role grid_import, not storage_charge" in str(refused.value)


def test_an_efficiency_range_upside_down_is_refused() -> None:
    text = BASE + STORAGE.format(charge="BESS-CHG").replace("_max = 920", "_max = 800")
    with pytest.raises(CampusFileInvalid) as refused:
        _parse(text)
    assert "round_trip_efficiency_permille_min 820 is above round_trip_efficiency_permille_max 800" in \
        str(refused.value)


def test_reserved_capacity_above_the_usable_energy_is_refused() -> None:
    """8 000 000 Wh usable with a 400 000 Wh floor leaves 7 600 000 Wh to reserve."""
    text = BASE + STORAGE.format(charge="BESS-CHG").replace("reserved_wh = 2000000", "reserved_wh = 7600001")
    with pytest.raises(CampusFileInvalid) as refused:
        _parse(text)
    assert "services reserve 7600001 Wh" in str(refused.value)


def test_an_unknown_tenant_in_the_losses_key_is_refused() -> None:
    with pytest.raises(CampusFileInvalid) as refused:
        _parse(BASE + STORAGE.format(charge="BESS-CHG").replace("beta = 1", "gamma = 1"))
    assert "unknown tenant 'gamma'" in str(refused.value)


def test_adding_a_battery_is_a_planned_change() -> None:
    before = _parse(BASE)
    after = _parse(BASE + STORAGE.format(charge="BESS-CHG"))
    assert [(c.action, c.subject, c.detail) for c in plan_changes(before, after).changes if c.subject == "storage"] == \
        [("~", "storage", "1 storage assets declared")]


def test_a_storage_meter_with_an_iso_meter_id_is_refused() -> None:
    text = BASE.replace('id = "BESS-DIS"\nrole = "storage_discharge"',
                        'id = "BESS-DIS"\nrole = "storage_discharge"\niso_meter_id = "123"')
    with pytest.raises(CampusFileInvalid) as refused:
        _parse(text)
    assert refused.value.field == "meters[4].iso_meter_id"


@pytest.mark.parametrize("channel", ["main", "register", "state of charge"])
def test_a_state_of_charge_channel_must_be_a_plain_name_other_than_the_energy_channels(channel: str) -> None:
    """`main` and `register` carry the discharge meter's energy; a name with a space is no channel a file carries."""
    text = BASE + STORAGE.format(charge="BESS-CHG").replace('state_of_charge_channel = "soc"',
                                                            f'state_of_charge_channel = "{channel}"')
    with pytest.raises(CampusFileInvalid) as refused:
        _parse(text)
    assert refused.value.field == "storage[0].state_of_charge_channel"
