"""Hostile values at every route that takes input (the meter-data uploads have their own tests): NaN, infinities,
1e309, -0, numbers beyond any column, digits from other scripts, impossible periods, dates at the ends of the
calendar and beyond, extreme and reversed ranges, empty bodies, wrong JSON types, very long strings, and campus files
with such numbers in contract terms and meter multipliers.

Each answer is a 4xx whose message names the field (and, for a campus file, the line); none is a 500 (the ASGI
transport raises any exception no handler maps, so a would-be 500 fails the test with its traceback); and the
database is the same, table by table, after all of them. Runs against the real app: PostgreSQL and the Temporal
dev server.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from dataclasses import field as default
from typing import Any

import pytest
from sqlalchemy import make_url

from demo.campus import CAMPUS_FILE, register_demo_campus
from ledger import ensure_ledger
from tests.faults.harness import fresh_database
from tests.fuzz.api_harness import FuzzApp, running_app, snapshot

CAMPUS = "demo-campus"
NEW_CAMPUS = "hostile-campus"
TENANT = "acme-ai"
CYCLE = f"cycle:{CAMPUS}:2026-01"
HUGE = str(10**400)
LONG = "x" * 100_000
LONG_QUERY = "x" * 5_000  # the client refuses a longer URL
LEDGER_ORIGIN = "fuzz.wattledger/ledger"  # tests.fuzz.api_harness
# Numbers spelled with digits of other scripts (Arabic-Indic, fullwidth, Devanagari): int() and \d accept them.
FOREIGN_DIGITS = ["١٠", "１０", "१०"]
BAD_NUMBERS = ["NaN", "nan", "Infinity", "-Infinity", "inf", "1e309", "-1e309", HUGE, f"-{HUGE}", *FOREIGN_DIGITS]
# JSON numbers Python's json accepts although JSON has none of them (NaN, Infinity), or that overflow a float.
BAD_JSON_NUMBERS = ["NaN", "Infinity", "-Infinity", "1e309", "-1e309", HUGE, f"-{HUGE}"]
BAD_PERIODS = ["9999-12", "0000-01", "2026-13", "2026-00", "１２０２６-01", "２０２６-０１", "٢٠٢٦-٠١", "2026-1",
               "202601", "", LONG[:5000]]
BAD_INSTANTS = ["0001-01-01T00:00:00+05:00", "9999-12-31T23:00:00-05:00", "10000-01-01T00:00:00Z",
                "0000-01-01T00:00:00Z", "2026-02-30T00:00:00Z", "2026-01-01T00:00:00", "NaN", HUGE, LONG[:5000]]


@dataclass
class Case:
    name: str
    method: str
    url: str
    field: str  # the answer must name it
    json_body: Any = None
    content: bytes | None = None
    headers: dict[str, str] = default(default_factory=dict)
    params: dict[str, str] = default(default_factory=dict)
    form: dict[str, str] | None = None  # a multipart form, with `upload` as its file
    upload: bytes | None = None


@dataclass
class Hostile:
    fuzz: FuzzApp
    engine: Any


@pytest.fixture(scope="module")
async def hostile(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> AsyncIterator[Hostile]:
    from db import make_engine

    server_url = make_url(database_url).set(database="postgres").render_as_string(hide_password=False)
    with fresh_database(server_url) as url:
        engine = make_engine(url)
        with engine.begin() as conn:
            register_demo_campus(conn)
            ensure_ledger(conn, LEDGER_ORIGIN)
        try:
            async with running_app(tmp_path_factory.mktemp("hostile") / "home", engine, url) as app:
                yield Hostile(app, engine)
        finally:
            engine.dispose()


def _raw_json(template: str, value: str) -> bytes:
    """A JSON body with `value` spliced in as a bare token (NaN, 1e309, ...), which json.dumps cannot write."""
    return template.replace("@", value).encode()


def _query_cases() -> list[Case]:
    cases: list[Case] = []
    ints = [("GET", "/cycles", "limit"), ("GET", "/ledger/entries", "after_seq"), ("GET", "/ledger/entries", "limit"),
            ("GET", "/ledger/balances", "as_of_seq"), ("GET", "/ledger/checkpoints", "limit"),
            ("GET", "/ledger/proofs/inclusion/1", "tree_size"), ("GET", f"/campuses/{CAMPUS}", "version"),
            ("GET", f"/campuses/{CAMPUS}/export", "version"), ("GET", f"/esg/cycles/{CYCLE}/emissions", "version"),
            ("GET", "/invoices", "limit"), ("GET", f"/tenants/{TENANT}/invoices", "limit")]
    zero_allowed = {"after_seq", "as_of_seq"}  # -0 is 0 there, a valid value
    for method, url, name in ints:
        for value in [*BAD_NUMBERS, "-1", "9223372036854775808", *([] if name in zero_allowed else ["-0"])]:
            cases.append(Case(f"{url}?{name}={value[:20]}", method, url, name, params={name: value}))
    for value in [*BAD_NUMBERS, "-0", "-1", "0", "9223372036854775808"]:
        cases.append(Case(f"inclusion seq {value[:20]}", "GET", f"/ledger/proofs/inclusion/{value}", "seq"))
    consistency = "/ledger/proofs/consistency"
    for value in [*BAD_NUMBERS, "-0", "9223372036854775808"]:
        cases.append(Case(f"consistency from {value[:20]}", "GET", consistency, "from_size",
                          params={"from_size": value, "to_size": "1"}))
        cases.append(Case(f"consistency to {value[:20]}", "GET", consistency, "to_size",
                          params={"from_size": "1", "to_size": value}))
    cases.append(Case("consistency from > to", "GET", consistency, "from_size",
                      params={"from_size": "5", "to_size": "2"}))
    for name in ("as_of_recorded_utc", "as_of_effective_utc"):
        for value in BAD_INSTANTS:
            cases.append(Case(f"balances {name}={value[:30]}", "GET", "/ledger/balances", name, params={name: value}))
    cases.append(Case("balances prefix long", "GET", "/ledger/balances", "prefix", params={"prefix": LONG_QUERY}))
    cases.append(Case("cycles status long", "GET", "/cycles", "status", params={"status": LONG_QUERY}))
    statement = f"/ledger/statements/{TENANT}"
    good_from, good_to = "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z"
    for value in BAD_INSTANTS:
        cases.append(Case(f"statement from {value[:30]}", "GET", statement, "from_utc",
                          params={"from_utc": value, "to_utc": good_to}))
        cases.append(Case(f"statement to {value[:30]}", "GET", statement, "to_utc",
                          params={"from_utc": good_from, "to_utc": value}))
    cases.append(Case("statement from > to", "GET", statement, "to_utc",
                      params={"from_utc": good_to, "to_utc": good_from}))
    cases.append(Case("statement year 1 to 9999", "GET", statement, "from_utc",
                      params={"from_utc": "0001-01-01T00:00:00Z", "to_utc": "9999-12-31T23:59:59Z"}))
    cases.append(Case("statement missing", "GET", statement, "from_utc"))
    cases.append(Case("disputes status long", "GET", f"/market/campuses/{CAMPUS}/disputes", "status",
                      params={"status": LONG_QUERY}))
    return cases


def _cycle_cases() -> list[Case]:
    cases = [Case(f"period {p[:20]!r}", "POST", "/cycles", "period", json_body={"campus_id": CAMPUS, "period": p})
             for p in BAD_PERIODS]
    wrong_types: list[Any] = [202601, 2026.01, None, [], {}, True]
    for value in wrong_types:
        cases.append(Case(f"period {value!r}", "POST", "/cycles", "period",
                          json_body={"campus_id": CAMPUS, "period": value}))
    cases.append(Case("campus_id long", "POST", "/cycles", "campus_id",
                      json_body={"campus_id": LONG, "period": "2026-01"}))
    for body in [b"", b"null", b"[]", b"{}", b'"2026-01"', b"{", b"\xff\xfe"]:
        cases.append(Case(f"cycle body {body[:10]!r}", "POST", "/cycles", "body", content=body,
                          headers={"content-type": "application/json"}))
    for action in ("approve", "reject", "retry", "cancel", "resettle"):
        url = f"/cycles/{CYCLE}/{action}"
        person = "approver" if action in ("approve", "reject") else "operator"
        cases.append(Case(f"{action} {person} long", "POST", url, person,
                          json_body={person: LONG, "reason": "r", "comment": "c"}))
        cases.append(Case(f"{action} {person} number", "POST", url, person,
                          json_body={person: 12, "reason": "r"}))
        cases.append(Case(f"{action} body list", "POST", url, "body", json_body=[]))
        text_field = "comment" if action == "approve" else "reason"
        cases.append(Case(f"{action} {text_field} long", "POST", url, text_field, json_body={text_field: LONG}))
    cases.append(Case("correction operator NaN", "POST", f"/cycles/{CYCLE}/corrections", "operator",
                      content=_raw_json('{"operator": @}', "NaN"), headers={"content-type": "application/json"}))
    for action in ("approve", "reject"):
        cases.append(Case(f"correction {action} comment long", "POST", f"/corrections/c1/{action}",
                          "comment" if action == "approve" else "reason",
                          json_body={"comment": LONG} if action == "approve" else {"reason": LONG}))
    return cases


CONTRACTS = f"/campuses/{CAMPUS}/contracts"


def _contract(kind: str, terms: dict[str, Any], effective_from: str = "2026-03-01") -> dict[str, Any]:
    tenant = TENANT if kind == "fixed_price" else None
    return {"contract_key": f"hostile-{kind}", "kind": kind, "tenant_id": tenant, "effective_from": effective_from,
            "terms": terms}


PPA_FIXED = {"form": "fixed", "meter_ids": ["PV1-GEN"], "price_usd_per_mwh": "40"}
ALLOCATION = {"pool": "shared_consumption", "method": "fixed", "fixed_shares": {TENANT: "1"}}


def _contract_cases() -> list[Case]:
    cases: list[Case] = []
    numeric_terms: list[tuple[str, dict[str, Any], str]] = [("ppa", PPA_FIXED, "price_usd_per_mwh"),
                     ("ppa", PPA_FIXED, "escalator_fraction_per_year"), ("ppa", PPA_FIXED, "take_or_pay_mwh_per_month"),
                     ("vppa", {"meter_ids": ["PV1-GEN"], "node": "N", "market": "rt"}, "strike_usd_per_mwh"),
                     ("allocation", {**ALLOCATION, "method": "energy"}, "price_usd_per_mwh")]
    for kind, base, name in numeric_terms:
        for token in BAD_JSON_NUMBERS:
            body = json.dumps(_contract(kind, {**base, name: 0})).replace(f'"{name}": 0', f'"{name}": {token}')
            cases.append(Case(f"{kind} {name}={token[:12]}", "POST", CONTRACTS, name, content=body.encode(),
                              headers={"content-type": "application/json"}))
        for text_value in ["NaN", "1e309", "-1e309", "Infinity", *FOREIGN_DIGITS, LONG[:5000]]:
            cases.append(Case(f"{kind} {name}='{text_value[:12]}'", "POST", CONTRACTS, name,
                              json_body=_contract(kind, {**base, name: text_value})))
    for token in BAD_JSON_NUMBERS:
        body = json.dumps(_contract("allocation", {**ALLOCATION, "fixed_shares": {TENANT: 0}}))
        cases.append(Case(f"allocation share {token[:12]}", "POST", CONTRACTS, TENANT,
                          content=body.replace(f'"{TENANT}": 0', f'"{TENANT}": {token}').encode(),
                          headers={"content-type": "application/json"}))
    for day in ["0001-01-01", "9999-12-31", "10000-01-01", "0000-01-01", "2026-02-30", "２０２６-03-01", LONG[:5000]]:
        cases.append(Case(f"effective_from {day[:12]}", "POST", CONTRACTS, "effective_from",
                          json_body=_contract("ppa", PPA_FIXED, day)))
    for raw in [b"", b"null", b"[]", b'{"terms": []}', b'{"terms": "x"}']:
        cases.append(Case(f"contract body {raw[:12]!r}", "POST", CONTRACTS, "body", content=raw,
                          headers={"content-type": "application/json"}))
    return cases


URDB = {"energyratestructure": [[{"rate": 0.1}]], "energyweekdayschedule": [[0] * 24] * 12,
        "energyweekendschedule": [[0] * 24] * 12}
LOAD = "interval_start,energy_kwh\n2026-01-01T00:00:00-05:00,10\n"


def _tariff_cases() -> list[Case]:
    cases: list[Case] = []
    for token in BAD_JSON_NUMBERS:
        body = json.dumps({"urdb": URDB, "load_csv": LOAD, "time_zone": "America/New_York"})
        cases.append(Case(f"urdb rate {token[:12]}", "POST", "/tariffs/bill", "rate",
                          content=body.replace('"rate": 0.1', f'"rate": {token}').encode(),
                          headers={"content-type": "application/json"}))
    for value in ["NaN", "inf", "1e309", HUGE, *FOREIGN_DIGITS]:
        cases.append(Case(f"load energy {value[:12]}", "POST", "/tariffs/bill", "energy_kwh",
                          json_body={"urdb": URDB, "time_zone": "America/New_York",
                                     "load_csv": f"interval_start,energy_kwh\n2026-01-01T00:00:00-05:00,{value}\n"}))
    for instant in ["0001-01-01T00:00:00+05:00", "9999-12-31T23:00:00-05:00", "9999-12-31T23:45:00+00:00",
                    "0001-01-01T00:00:00+00:00"]:
        cases.append(Case(f"load at {instant}", "POST", "/tariffs/bill", "interval_start",
                          json_body={"urdb": URDB, "time_zone": "America/New_York",
                                     "load_csv": f"interval_start,energy_kwh\n{instant},10\n"}))
    for day in ["9999-12-31", "0001-01-01"]:
        cases.append(Case(f"holiday {day}", "POST", "/tariffs/bill", "holidays",
                          json_body={"urdb": URDB, "time_zone": "America/New_York", "load_csv": LOAD,
                                     "holidays": [day]}))
    cases.append(Case("time_zone long", "POST", "/tariffs/bill", "time_zone",
                      json_body={"urdb": URDB, "time_zone": LONG, "load_csv": LOAD}))
    cases.append(Case("load_csv long line", "POST", "/tariffs/bill", "load_csv",
                      json_body={"urdb": URDB, "time_zone": "UTC", "load_csv": LONG}))
    return cases


LOT = {"lot_id": "hostile-lot", "instrument": "REC", "technology": "solar", "zone": "NYUP",
       "vintage_start_utc": "2026-01-01T00:00:00Z", "vintage_end_utc": "2026-02-01T00:00:00Z", "energy_wh": 1000,
       "emission_rate_g_co2e_per_mwh": 0, "registry": "M-RETS"}
CLAIM = {"claim_id": "hostile-claim", "lot_id": "hostile-lot", "campus_id": CAMPUS, "beneficiary": "campus",
         "energy_wh": 10, "consumption_start_utc": "2026-01-01T00:00:00Z", "consumption_end_utc": "2026-02-01T00:00:00Z"}
OVERRIDE = {"override_id": "hostile-ovr", "campus_id": CAMPUS, "meter_id": "GT1-FUEL", "kind": "stack_test",
            "parameter": "co2_kg_per_mmbtu", "value": "53.06", "valid_from": "2026-01-01", "reason": "stack test"}


def _esg_cases() -> list[Case]:
    cases: list[Case] = []
    for url, base, names in [("/esg/certificates/lots", LOT, ["energy_wh", "emission_rate_g_co2e_per_mwh"]),
                             ("/esg/certificates/claims", CLAIM, ["energy_wh"])]:
        for name in names:
            for token in BAD_JSON_NUMBERS + (["-0"] if name == "energy_wh" else []):  # a zero rate is valid
                body = json.dumps({**base, name: 7}).replace(f'"{name}": 7', f'"{name}": {token}')
                cases.append(Case(f"{url} {name}={token[:12]}", "POST", url, name, content=body.encode(),
                                  headers={"content-type": "application/json"}))
            for text_value in FOREIGN_DIGITS:
                cases.append(Case(f"{url} {name}='{text_value}'", "POST", url, name, json_body={**base, name: text_value}))
    for url, base, names in [("/esg/certificates/lots", LOT, ["vintage_start_utc", "vintage_end_utc"]),
                             ("/esg/certificates/claims", CLAIM, ["consumption_start_utc", "consumption_end_utc"])]:
        for name in names:
            for instant in BAD_INSTANTS:
                cases.append(Case(f"{url} {name}={instant[:30]}", "POST", url, name, json_body={**base, name: instant}))
    cases.append(Case("lot vintage reversed", "POST", "/esg/certificates/lots", "vintage_end_utc",
                      json_body={**LOT, "vintage_start_utc": "2026-02-01T00:00:00Z",
                                 "vintage_end_utc": "2026-01-01T00:00:00Z"}))
    cases.append(Case("lot vintage year 1 to 9999", "POST", "/esg/certificates/lots", "vintage_start_utc",
                      json_body={**LOT, "vintage_start_utc": "0001-01-01T00:00:00Z",
                                 "vintage_end_utc": "9999-12-31T23:59:59Z"}))
    for value in ["NaN", "1e309", "9" * 5000, "-0", "١٠", "0.1e5"]:
        cases.append(Case(f"override value {value[:12]}", "POST", "/esg/overrides", "value",
                          json_body={**OVERRIDE, "value": value}))
    for day in ["0001-01-01", "9999-12-31", "10000-01-01"]:
        cases.append(Case(f"override valid_from {day}", "POST", "/esg/overrides", "valid_from",
                          json_body={**OVERRIDE, "valid_from": day}))
    cases.append(Case("override valid_to before valid_from", "POST", "/esg/overrides", "valid_to",
                      json_body={**OVERRIDE, "valid_to": "2025-01-01"}))
    cases.append(Case("restate factor_edition long", "POST", f"/esg/cycles/{CYCLE}/restate", "factor_edition",
                      json_body={"factor_edition": LONG, "reason": "r"}))
    return cases


def _invoice_and_market_cases() -> list[Case]:
    cases: list[Case] = []
    url = "/invoices/INV-NONE/credit-notes"
    for token in BAD_JSON_NUMBERS + ["-0", "0"]:
        body = '{"amount_usd_cents": @, "reason": "r", "idempotency_key": "k"}'.replace("@", token)
        cases.append(Case(f"credit amount {token[:12]}", "POST", url, "amount_usd_cents", content=body.encode(),
                          headers={"content-type": "application/json"}))
    for text_value in FOREIGN_DIGITS:
        cases.append(Case(f"credit amount '{text_value}'", "POST", url, "amount_usd_cents",
                          json_body={"amount_usd_cents": text_value, "reason": "r", "idempotency_key": "k"}))
    cases.append(Case("rebill reason long", "POST", "/invoices/INV-NONE/cancel-and-rebill", "reason",
                      json_body={"reason": LONG}))
    statements = f"/market/campuses/{CAMPUS}/statements"
    line = {"line_no": 1, "charge_type": "RTEIAMT", "resource_id": "R", "node": "N",
            "interval_start_utc": "2026-01-01T05:00:00Z", "interval_minutes": 15, "quantity_mwh": "1",
            "price_usd_per_mwh": "2", "amount_usd": "2.00", "quantity_delta_mwh": "0", "amount_delta_usd": "0.00"}
    statement = {"format": "wattledger-statement/1", "statement_id": "hostile-st", "iso": "NYISO",
                 "operating_day": "2026-01-01", "run_type": "INITIAL", "run_sequence": 1,
                 "published_at_utc": "2026-01-02T00:00:00Z", "lines": [line]}
    for name in ("quantity_mwh", "price_usd_per_mwh", "amount_usd", "interval_minutes", "line_no"):
        for token in BAD_JSON_NUMBERS:
            body = json.dumps([{**statement, "lines": [{**line, name: 7}]}]).replace(f'"{name}": 7', f'"{name}": {token}')
            cases.append(Case(f"statement {name}={token[:12]}", "POST", statements, name, content=body.encode(),
                              headers={"content-type": "application/json"}))
        for text_value in ["NaN", "1e309", *FOREIGN_DIGITS]:
            cases.append(Case(f"statement {name}='{text_value}'", "POST", statements, name,
                              json_body=[{**statement, "lines": [{**line, name: text_value}]}]))
    for name, values in [("operating_day", ["0001-01-01", "9999-12-31", "10000-01-01", "２０２６-01-01"]),
                         ("published_at_utc", BAD_INSTANTS), ("run_sequence", [HUGE, "NaN", "١"])]:
        for value in values:
            cases.append(Case(f"statement {name}={value[:20]}", "POST", statements, name,
                              json_body=[{**statement, name: value}]))
    for instant in BAD_INSTANTS:
        cases.append(Case(f"statement line start {instant[:30]}", "POST", statements, "interval_start_utc",
                          json_body=[{**statement, "lines": [{**line, "interval_start_utc": instant}]}]))
    for raw in [b"", b"null", b"{}", b"[1]", b"[[]]"]:
        cases.append(Case(f"statements body {raw!r}", "POST", statements, "body", content=raw,
                          headers={"content-type": "application/json"}))
    return cases


def campus_text(replace: str, by: str, append: str = "") -> bytes:
    # A campus of its own, so each file is checked as a first apply (no history to refuse a change against).
    text = CAMPUS_FILE.read_text().replace('id = "demo-campus"', f'id = "{NEW_CAMPUS}"', 1)
    assert replace in text, replace
    return (text.replace(replace, by, 1) + append).encode()


PRICE = 'terms = { price_usd_per_mwh = "62.50" }'
ACME_METER = 'id = "ACME-A"\nrole = "tenant_consumption"'


def _campus_file_cases() -> list[tuple[str, bytes, str]]:
    """(name, TOML text, field) for PUT /campuses/demo-campus."""
    cases: list[tuple[str, bytes, str]] = []
    for token in ["nan", "inf", "-inf", "+nan", "1e309", "-1e309", '"NaN"', '"1e309"', '"Infinity"', f'"{HUGE}"',
                  '"١٠"', HUGE]:
        cases.append((f"price {token[:12]}", campus_text(PRICE, f"terms = {{ price_usd_per_mwh = {token} }}"),
                      "price_usd_per_mwh"))
        cases.append((f"multiplier {token[:12]}", campus_text(ACME_METER, f"{ACME_METER}\nmultiplier = {token}"),
                      "multiplier"))
        device = f'{ACME_METER}\ndevices = [{{ serial = "SN-1", multiplier = {token} }}]'
        cases.append((f"device multiplier {token[:12]}", campus_text(ACME_METER, device), "multiplier"))
        ppa = ("\n[[contracts]]\nkey = \"hostile-ppa\"\nkind = \"ppa\"\nversions = [{ effective_from = 2026-01-01, "
               "terms = { form = \"fixed\", meter_ids = [\"PV1-GEN\"], price_usd_per_mwh = \"40\", "
               f"escalator_fraction_per_year = {token}, take_or_pay_mwh_per_month = 5 }} }}]\n")
        cases.append((f"ppa escalator {token[:12]}", campus_text(PRICE, PRICE, ppa), "escalator_fraction_per_year"))
        allocation = ("\n[[contracts]]\nkey = \"hostile-alloc\"\nkind = \"allocation\"\nversions = [{ effective_from"
                      " = 2026-01-01, terms = { pool = \"shared_consumption\", method = \"fixed\", fixed_shares = { "
                      f"acme-ai = {token} }} }} }}]\n")
        cases.append((f"allocation share {token[:12]}", campus_text(PRICE, PRICE, allocation), "acme-ai"))
    for token in ["0", "-0", "-1", "0.0"]:
        cases.append((f"multiplier {token}", campus_text(ACME_METER, f"{ACME_METER}\nmultiplier = {token}"),
                      "multiplier"))
        cases.append((f"rated_kw {token}", campus_text("rated_kw = 32000", f"rated_kw = {token}"), "rated_kw"))
    cases.append(("rated_kw huge", campus_text('rated_kw = 32000', f"rated_kw = {HUGE}"), "rated_kw"))
    for day in ["0001-01-01", "9999-12-31"]:
        cases.append((f"effective_from {day}", campus_text("effective_from = 2026-01-01", f"effective_from = {day}"),
                      "effective_from"))
    for instant in ["9999-12-31T23:00:00-05:00", "0001-01-01T00:00:00+05:00"]:
        cases.append((f"active_from {instant}", campus_text(ACME_METER, f"{ACME_METER}\nactive_from = {instant}"),
                      "active_from"))
    cases.append(("name long", campus_text('name = "Acme AI Inc."', f'name = "{LONG}"'), "name"))
    return cases


NYISO_HEADER = ('"Time Stamp","Name","PTID","LBMP ($/MWHr)","Marginal Cost Losses ($/MWHr)",'
                '"Marginal Cost Congestion ($/MWHr)"\n')


def _page_and_price_cases() -> list[Case]:
    """The finance pages (a bearer header stands in for the session), path values, and the price-file form."""
    cases = [Case("login credential long", "POST", "/finance/login", "credential",
                  content=f"credential={LONG}".encode(), headers={"content-type": "application/x-www-form-urlencoded"}),
             Case("cycle page unknown", "GET", f"/finance/cycles/{LONG_QUERY[:1000]}", "cycle"),
             Case("draft unknown tenant", "GET", f"/finance/cycles/{CYCLE}/drafts/{'y' * 300}.pdf", "cycle"),
             Case("cycle step long", "GET", f"/cycles/{CYCLE}/steps/{'s' * 1000}", "cycle"),
             Case("statement format", "GET", f"/esg/cycles/{CYCLE}/tenants/{TENANT}/statement", "format",
                  params={"format": "xml"}),
             Case("invoice pdf odd id", "GET", "/invoices/..%2F..%2Fetc%2Fpasswd.pdf", "body")]  # no route: 404
    prices = f"/campuses/{CAMPUS}/prices"
    for value in ["NaN", "1e309", HUGE, "١٠", "-0", "0"]:
        cases.append(Case(f"prices interval_minutes {value[:12]}", "POST", prices, "interval_minutes",
                          form={"format": "nyiso-rt", "interval_minutes": value}))
    for value in ["NaN", "1e309", "-1e309", HUGE, "١٠", "inf"]:
        row = f'"02/18/2016 00:15:00","CAPITL",61757,{value},1.69,0.00\n'
        cases.append(Case(f"prices LBMP {value[:12]}", "POST", prices, "LBMP",
                          form={"format": "nyiso-rt"}, upload=(NYISO_HEADER + row).encode()))
    for stamp in ["12/31/9999 23:55:00", "01/01/0001 00:00:00", "13/01/2026 00:00:00"]:
        row = f'"{stamp}","CAPITL",61757,21.53,1.69,0.00\n'
        cases.append(Case(f"prices stamp {stamp}", "POST", prices, "Time Stamp",
                          form={"format": "nyiso-rt"}, upload=(NYISO_HEADER + row).encode()))
    cases.append(Case("prices format unknown", "POST", prices, "format", form={"format": "x" * 5000},
                      upload=b"a,b\n"))
    return cases


async def _send(fuzz: FuzzApp, case: Case) -> Any:
    kwargs: dict[str, Any] = {"params": case.params, "headers": {**fuzz.auth, **case.headers}}
    if case.form is not None:
        kwargs["data"] = case.form
        kwargs["files"] = {"file": ("prices.csv", case.upload or NYISO_HEADER.encode(), "text/csv")}
    elif case.json_body is not None:
        kwargs["json"] = case.json_body
    elif case.content is not None:
        kwargs["content"] = case.content
    elif case.method == "POST":
        kwargs["json"] = {}
    return await fuzz.http.request(case.method, case.url, **kwargs)


def _problem(case: Case, response: Any) -> str | None:
    if not 400 <= response.status_code < 500:
        return f"{case.name}: {response.status_code} {response.text[:300]}"
    if "Traceback" in response.text or 'File "' in response.text:
        return f"{case.name}: the answer shows a traceback"
    if case.field != "body" and case.field not in response.text:
        return f"{case.name}: {response.status_code} does not name {case.field!r}: {response.text[:300]}"
    return None


async def test_hostile_values_answer_4xx_naming_the_field_and_store_nothing(hostile: Hostile) -> None:
    fuzz, engine = hostile.fuzz, hostile.engine
    cases = _query_cases() + _cycle_cases() + _contract_cases() + _tariff_cases() + _esg_cases() + \
        _invoice_and_market_cases() + _page_and_price_cases()
    before = snapshot(engine)
    problems = []
    for case in cases:
        try:
            problem = _problem(case, await _send(fuzz, case))
        except Exception as error:  # noqa: BLE001 - any escaping exception is what would have been a 500
            problem = f"{case.name}: unhandled {type(error).__name__}: {str(error)[:200]}"
        if problem:
            problems.append(problem)
    assert not problems, f"{len(problems)} of {len(cases)} cases:\n" + "\n".join(problems)
    assert snapshot(engine) == before


async def test_hostile_campus_files_are_refused_with_line_and_field(hostile: Hostile) -> None:
    fuzz, engine = hostile.fuzz, hostile.engine
    before = snapshot(engine)
    problems = []
    for name, text, field_name in _campus_file_cases():
        try:
            response = await fuzz.http.put(f"/campuses/{NEW_CAMPUS}", content=text,
                                           headers={**fuzz.auth, "content-type": "application/toml"})
        except Exception as error:  # noqa: BLE001 - any escaping exception is what would have been a 500
            problems.append(f"{name}: unhandled {type(error).__name__}: {str(error)[:200]}")
            continue
        if not 400 <= response.status_code < 500:
            problems.append(f"{name}: {response.status_code} {response.text[:300]}")
            continue
        body = response.json()
        where = body.get("problems") or [{"line": body.get("line"), "field": body.get("field")}]
        if not any(p.get("line") and field_name in str(p.get("field")) for p in where):
            problems.append(f"{name}: no problem names line and {field_name!r}: {response.text[:300]}")
    assert not problems, "\n".join(problems)
    assert snapshot(engine) == before


async def test_campus_file_as_json_with_nan_and_overflow_is_refused(hostile: Hostile) -> None:
    """The same document as JSON: Python's json reads NaN and 1e309 (a float infinity) as numbers."""
    fuzz, engine = hostile.fuzz, hostile.engine
    export = await fuzz.http.get(f"/campuses/{CAMPUS}", headers=fuzz.auth)
    assert export.status_code == 200, export.text
    document = export.json()["document"]
    document["campus"]["id"] = NEW_CAMPUS
    before = snapshot(engine)
    for token in BAD_JSON_NUMBERS:
        for where, field_name in [("multiplier", "multiplier"), ("price", "price_usd_per_mwh")]:
            doc = json.loads(json.dumps(document))
            if where == "multiplier":
                doc["meters"][0]["multiplier"] = "@"
            else:
                doc["contracts"][0]["versions"][0]["terms"]["price_usd_per_mwh"] = "@"
            body = json.dumps(doc).replace('"@"', token).encode()
            response = await fuzz.http.put(f"/campuses/{NEW_CAMPUS}", content=body,
                                           headers={**fuzz.auth, "content-type": "application/json"})
            assert 400 <= response.status_code < 500, (token, where, response.status_code, response.text[:300])
            assert field_name in response.text, (token, where, response.text[:300])
    assert snapshot(engine) == before
