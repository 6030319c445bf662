"""NYISO powerMetering validation: each broken rule yields one message naming collection, record and field."""

from __future__ import annotations

from market_adapters.nyiso import user_request_id_for, validate_power_metering_document

VALID = {
    "submissionParameters": {"doNotCommit": True, "userRequestId": "wl-2025-07-15-g1"},
    "generators": [{"genPtid": 323999, "dateHour": "2025-07-15T14:00:00-04:00", "meterInjectionEnergyMwh": 41.25}],
}


def _with_generator(**fields) -> dict:
    record = {"genPtid": 323999, "dateHour": "2025-07-15T14:00:00-04:00", **fields}
    return {"generators": [record]}


def test_documented_example_is_valid():
    """The example body of iso-formats.md §3.4 passes."""
    assert validate_power_metering_document(VALID) == []


def test_five_decimals_is_rejected_with_record_and_field():
    """MWh carries at most 4 decimals."""
    errors = validate_power_metering_document(_with_generator(meterInjectionEnergyMwh=1.00001))
    assert errors == [("generators[0] (genPtid 323999, dateHour 2025-07-15T14:00:00-04:00 = 07/15/2025 HB 14): "
                       "meterInjectionEnergyMwh: more than 4 decimals")]


def test_ranges_follow_the_sign_of_each_measure():
    """Injection in [0, 10000); withdrawal in (-10000, 0]."""
    assert validate_power_metering_document(_with_generator(meterInjectionEnergyMwh=10000)) != []
    assert validate_power_metering_document(_with_generator(meterInjectionEnergyMwh=-0.5)) != []
    assert validate_power_metering_document(_with_generator(meterWithdrawalEnergyMwh=0.5)) != []
    assert validate_power_metering_document(_with_generator(meterWithdrawalEnergyMwh=-9999.9999)) == []


def test_measure_the_resource_cannot_have_is_rejected():
    """A tie measure on a generator record is an unknown field."""
    errors = validate_power_metering_document(_with_generator(meterTieFlowMwh=1.0))
    assert any("unknown field 'meterTieFlowMwh'" in error for error in errors)


def test_hour_needs_offset_and_whole_hour_and_no_duplicates():
    """A naive time, a half hour and a repeated (PTID, hour) are each reported."""
    doc = {"generators": [
        {"genPtid": 1, "dateHour": "2025-07-15T14:00:00", "meterInjectionEnergyMwh": 1},
        {"genPtid": 1, "dateHour": "2025-07-15T14:30:00-04:00", "meterInjectionEnergyMwh": 1},
        {"genPtid": 1, "dateHour": "2025-07-15T15:00:00-04:00", "meterInjectionEnergyMwh": 1},
        {"genPtid": 1, "dateHour": "2025-07-15T19:00:00+00:00", "meterInjectionEnergyMwh": 1},
    ]}
    errors = validate_power_metering_document(doc)
    assert [error.split(":")[0].split(" ")[0] for error in errors] == ["generators[0]", "generators[1]", "generators[3]"]
    assert "duplicate" in errors[2]


def test_user_request_id_and_parameters_are_checked():
    """userRequestId is at most 30 of [A-Za-z0-9_-]; doNotCommit must be a boolean."""
    doc = dict(VALID, submissionParameters={"doNotCommit": "yes", "userRequestId": "x" * 31})
    errors = validate_power_metering_document(doc)
    assert errors == ["submissionParameters.doNotCommit: must be true or false",
                      "submissionParameters.userRequestId: 1-30 letters, digits, '-' or '_'"]


def test_empty_document_and_bad_ptid_are_reported():
    """A body with no records, or a PTID that is not a positive integer, is invalid."""
    assert validate_power_metering_document({}) == ["document: no generators, ties or subzones records"]
    errors = validate_power_metering_document({"ties": [{"tiePtid": "55001", "dateHour": "2025-07-15T14:00:00-04:00",
                                                         "meterTieFlowMwh": 1}]})
    assert errors == [("ties[0] (tiePtid 55001, dateHour 2025-07-15T14:00:00-04:00 = 07/15/2025 HB 14): "
                       "tiePtid: must be a positive integer")]


def test_user_request_id_from_business_key_is_valid_and_stable():
    """`c1:NYISO:2025-07:v1` -> `c1-NYISO-2025-07-v1`; a 60-character key shrinks to 30 characters, same each time."""
    assert user_request_id_for("c1:NYISO:2025-07:v1") == "c1-NYISO-2025-07-v1"
    long_key = "campus-with-a-very-long-name:NYISO:2025-07:v12" + "x" * 14
    shortened = user_request_id_for(long_key)
    assert len(shortened) == 30 and shortened == user_request_id_for(long_key)
    assert shortened != user_request_id_for(long_key + "y")
    doc = dict(VALID, submissionParameters={"doNotCommit": False, "userRequestId": shortened})
    assert validate_power_metering_document(doc) == []


def test_errors_name_the_hour_as_nyiso_does_with_hb_25_on_the_fall_back_day():
    """Technical Bulletin 064: upload/download files call the second 01:00 of 11/02/2025 "HB 25"; a half-hour
    offset that starts no Eastern hour gets no label."""
    doc = {"generators": [
        {"genPtid": 1, "dateHour": "2025-11-02T01:00:00-05:00", "meterInjectionEnergyMwh": 1.00001},
        {"genPtid": 1, "dateHour": "2025-11-02T01:00:00+05:30", "meterInjectionEnergyMwh": 1.00001},
    ]}
    errors = validate_power_metering_document(doc)
    assert errors[0].startswith("generators[0] (genPtid 1, dateHour 2025-11-02T01:00:00-05:00 = 11/02/2025 HB 25):")
    assert errors[1].startswith("generators[1] (genPtid 1, dateHour 2025-11-02T01:00:00+05:30):")
