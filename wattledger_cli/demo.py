"""`wattledger demo`: a whole billing cycle for the sample campus, through the real API, Temporal and
PostgreSQL, approved as finance, ending with invoices and a verified ledger."""

from __future__ import annotations

import contextlib
import functools
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from common.errors import DomainError

if TYPE_CHECKING:
    import httpx
    from rich.console import Console
    from rich.table import Table

    from settings import Settings

POLL_INTERVAL_S = 0.5
PHASE_WAIT_S_MAX = 600.0
TERMINAL = {"completed", "failed", "cancelled"}
DEMO_USER = "demo.finance@wattledger.local"


@functools.cache
def _console() -> Console:
    # rich loads when the demo prints, not when `wattledger --help` lists the demo; piped, lines are not wrapped
    from wattledger_cli.output import console

    return console()


def _table(title: str) -> Table:
    from rich.table import Table

    return Table(title=title)


def demo_command(
    period: str = typer.Option("2026-10", help="local month to bill, YYYY-MM (must be in the past)"),
    seed: int = typer.Option(7, help="seed of the generated meter data"),
    corrupt: bool = typer.Option(False, help="break one CSV value to show a bad-input failure"),
    live: bool = typer.Option(False, "--live", help="feed one day of four meters from a simulated plant through "
                              "MQTT and Modbus into the connectors before the cycle (docs/connectors.md)"),
) -> None:
    """Run one billing cycle end to end on the embedded defaults and print what it produced."""
    import asyncio

    from settings import Settings

    started = time.monotonic()
    settings = Settings()
    with _iso_endpoint(settings, period) as settings_with_iso:
        ok = asyncio.run(_run(settings_with_iso, period, seed, corrupt, live))
    _console().print(f"demo finished in {time.monotonic() - started:.1f} s")
    raise typer.Exit(code=0 if ok else 1)


@contextlib.contextmanager
def _iso_endpoint(settings: Settings, period: str) -> Iterator[Settings]:
    """The configured ISO, or a fake NYISO on loopback (mutual TLS) so the demo's submission is acknowledged."""
    if settings.iso_base_url:
        yield settings
        return
    from devtools.fake_iso.demo import DEMO_PASSWORD, DEMO_USER, demo_state
    from devtools.fake_iso.pki import make_test_pki
    from devtools.fake_iso.runner import running_fake_iso

    year, month = (int(part) for part in period.split("-"))
    pki = make_test_pki(settings.home_abs / "fake-iso-pki", DEMO_USER)
    with running_fake_iso(demo_state(date(year, month, 1), 31), pki=pki) as base_url:
        _console().print(f"fake NYISO metering API on {base_url} (mutual TLS)")
        yield settings.model_copy(update={
            "iso_base_url": base_url, "iso_username": DEMO_USER, "iso_password": DEMO_PASSWORD,
            "iso_client_cert_path": str(pki.client_cert_path), "iso_client_key_path": str(pki.client_key_path),
            "iso_ca_bundle_path": str(pki.ca_cert_path)})


def _generate_site_export(settings: Settings, period: str, seed: int, corrupt: bool) -> list[Path]:
    """The month's site export, as the campus's SCADA would write it: one CSV per meter."""
    from demo.site_export import corrupt_one_value, write_site_export

    year, month = (int(part) for part in period.split("-"))
    if date(year, month, 1) >= date.today().replace(day=1):
        raise typer.BadParameter(f"{period} is not a complete past month")
    paths = write_site_export(settings.home_abs / "demo-export" / period, year, month, seed)
    if corrupt:
        corrupt_one_value(paths[-1], 42, "12x.5")
        _console().print(f"[yellow]corrupted {paths[-1].name} line 42 field 'value'[/yellow]")
    return paths


async def _run(settings: Settings, period: str, seed: int, corrupt: bool, live: bool = False) -> bool:
    from wattledger_cli.stack import StackStopped, free_port, own_temporal_ports, running_stack

    # Ports of its own (or this home's running dev server): a second copy on the machine never collides.
    settings = own_temporal_ports(settings)
    # The worker and the API run as child processes; their logs go to files so the demo prints only its story.
    stack_context = running_stack(settings, api_port=free_port(), log_dir=settings.home_abs / "logs")
    try:
        with _console().status("starting PostgreSQL, Temporal, worker and API…"):
            stack = await stack_context.__aenter__()
    except StackStopped as stopped:
        _console().print(f"[red]{stopped}: demo stopped[/red]")
        return False
    try:
        return await stack.run(_bill_one_month(settings, stack.api_base_url, period, seed, corrupt, live))
    except StackStopped as stopped:
        _console().print(f"[red]{stopped}: demo stopped[/red]")
        return False
    finally:
        await stack_context.__aexit__(None, None, None)


async def _bill_one_month(settings: Settings, api_base_url: str, period: str, seed: int, corrupt: bool,
                          live: bool = False) -> bool:
    import httpx

    from api.auth import mint_token
    from demo.campus import CAMPUS_FILE, CAMPUS_ID

    paths = _generate_site_export(settings, period, seed, corrupt)
    # The demo acts as an operator who also holds the finance role, with a short-lived signed token.
    token = mint_token(settings, DEMO_USER, ["operator", "finance", "auditor"], None, timedelta(hours=1))
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=api_base_url, headers=headers, timeout=60) as http:
        await _apply_campus(http, CAMPUS_ID, CAMPUS_FILE)
        await _upload_prices(http, CAMPUS_ID, settings, period)
        if not await _upload_meter_data(http, CAMPUS_ID, paths):
            return False
        if live:
            await _feed_live_plant(http, settings, period, seed)
        completed = await _drive_cycle(http, CAMPUS_ID, period)
        return completed and await _verify_ledger_live(http)


async def _feed_live_plant(http: httpx.AsyncClient, settings: Settings, period: str, seed: int) -> None:
    """The campus file with the plant's channels applied, one day fed through the connectors and derived (a later
    file than the site export, so its intervals are the ones settled), then the plain file again: no campus is left
    declaring a broker that is gone (`wattledger dev` would start its connector)."""
    from demo.campus import CAMPUS_FILE, CAMPUS_ID
    from demo.live import LivePlant

    plant = LivePlant.on_free_ports(settings.home_abs / "demo-live")
    await _apply_campus(http, CAMPUS_ID, plant.campus_file())
    try:
        await plant.feed(settings, CAMPUS_ID, period, seed, _console().print)
    finally:
        await _apply_campus(http, CAMPUS_ID, CAMPUS_FILE)


async def _apply_campus(http: httpx.AsyncClient, campus_id: str, path: Path) -> None:
    """`wattledger campus apply` over HTTP: the campus file is the one source of the campus's facts."""
    response = await http.put(f"/campuses/{campus_id}", content=path.read_bytes(),
                              headers={"Content-Type": "application/toml"})
    response.raise_for_status()
    result = response.json()
    verb = "applied as" if result["applied"] else "unchanged at"
    _console().print(f"campus file {path.name}: {verb} version {result['version']}")


async def _upload_prices(http: httpx.AsyncClient, campus_id: str, settings: Settings, period: str) -> None:
    """The zone's real-time prices into the campus's price store (the shadow participation prices with them)."""
    from demo.prices import write_price_file

    year, month = (int(part) for part in period.split("-"))
    path = write_price_file(settings.home_abs / "demo-prices" / period, year, month)
    response = await http.post(f"/campuses/{campus_id}/prices", data={"format": "nyiso-rt-hourly"},
                               files={"file": (path.name, path.read_bytes(), "text/csv")})
    response.raise_for_status()
    _console().print(f"prices: {path.name} (HUD VL real-time, hourly) in the campus's price store")


async def _upload_meter_data(http: httpx.AsyncClient, campus_id: str, paths: list[Path]) -> bool:
    """Every file goes into the campus's meter-data store, as a meter-data feed would send it."""
    counts: dict[str, int] = {}
    for path in paths:
        response = await http.post("/meter-data", params={"campus_id": campus_id, "name": path.name},
                                   content=path.read_bytes())
        outcome = response.json()
        counts[outcome.get("status", "error")] = counts.get(outcome.get("status", "error"), 0) + 1
        if response.status_code == 422:
            error = outcome.get("error") or {}
            _console().print(f"[red]{path.name} quarantined: line {error.get('line')}, field {error.get('field')!r}: "
                          f"{error.get('reason') or outcome.get('detail')}[/red]")
            return False
        response.raise_for_status()
    _console().print("meter data: " + ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
                  + f" of {len(paths)} site-export files")
    return True


async def _drive_cycle(http: httpx.AsyncClient, campus_id: str, period: str) -> bool:
    response = await http.post("/cycles", json={"campus_id": campus_id, "period": period})
    if response.status_code == 409:
        _console().print(f"[cyan]{response.json()['detail']}[/cyan] — showing the recorded result")
        cycle_id = f"cycle:{campus_id}:{period}"
    else:
        response.raise_for_status()
        cycle_id = response.json()["cycle_id"]
        _console().print(f"started {cycle_id}")
    cycle = await _wait_for(http, cycle_id, {"awaiting_approval", *TERMINAL})
    if cycle["status"] == "awaiting_approval":
        await _print_settlement(http, cycle)
        approval = await http.post(f"/cycles/{cycle_id}/approve",
                                   json={"comment": "demo run"})
        approval.raise_for_status()
        _console().print("approved by finance through the workflow's approve update")
        cycle = await _wait_for(http, cycle_id, TERMINAL)
    return await _print_outcome(http, cycle)


async def _wait_for(http: httpx.AsyncClient, cycle_id: str, states: set[str]) -> dict[str, Any]:
    import asyncio

    deadline = time.monotonic() + PHASE_WAIT_S_MAX
    last_status = None
    while time.monotonic() < deadline:
        response = await http.get(f"/cycles/{cycle_id}")
        response.raise_for_status()
        cycle: dict[str, Any] = response.json()
        if cycle["status"] != last_status:
            _console().print(f"  · {cycle['status']}")
            last_status = cycle["status"]
        if cycle["status"] in states:
            return cycle
        await asyncio.sleep(POLL_INTERVAL_S)
    raise DomainError(f"{cycle_id} did not reach {sorted(states)} within {PHASE_WAIT_S_MAX:.0f} s")


async def _verify_ledger_live(http: httpx.AsyncClient) -> bool:
    """Walk the whole chain again now, through the API an auditor would use."""
    report = (await http.get("/ledger/verify")).raise_for_status().json()
    verdict = "[green]verified[/green]" if report["ok"] else f"[red]broken at seq {report['first_bad_seq']}[/red]"
    _console().print(f"ledger verification now: {report['entries_checked']} entries, {verdict}")
    return bool(report["ok"])


def _mwh(energy_wh: int) -> str:
    return f"{energy_wh / 1_000_000:,.3f}"  # display only


def _usd(amount_usd_micros: int) -> str:
    cents = (amount_usd_micros + 5_000) // 10_000  # display only; invoices round on their own
    return f"${cents // 100:,}.{cents % 100:02d}"


async def _full_step(http: httpx.AsyncClient, cycle: dict[str, Any], step: str) -> dict[str, Any]:
    """A step's full result, from the link in the cycle's summary (`{}` when the step is not recorded)."""
    summary = cycle["steps"].get(step)
    if not summary:
        return {}
    result: dict[str, Any] = (await http.get(summary["url"])).raise_for_status().json()
    return result


async def _print_settlement(http: httpx.AsyncClient, cycle: dict[str, Any]) -> None:
    settle = await _full_step(http, cycle, "settle")
    vee = await _full_step(http, cycle, "validate")
    if vee:
        from meterdata import report_lines

        for line in report_lines(vee["report"]):
            _console().print(line)
    balance = _table(title="Energy balance (MWh)")
    balance.add_column("flow")
    balance.add_column("MWh", justify="right")
    for name, energy_wh in settle.get("energy_balance_wh", {}).items():
        balance.add_row(name.removesuffix("_wh"), _mwh(energy_wh))
    _console().print(balance)
    tenants = _table(title="Per-tenant settlement")
    tenants.add_column("tenant")
    tenants.add_column("amount", justify="right")
    for tenant_id, amount in sorted(settle.get("tenant_totals_usd_micros", {}).items()):
        tenants.add_row(tenant_id, _usd(amount))
    _console().print(tenants)
    _print_emissions(settle.get("emissions"))


def _tonnes(grams: int) -> str:
    return f"{grams / 1_000_000:,.1f}"  # display only


def _print_emissions(emissions: dict[str, Any] | None) -> None:
    if not emissions:
        return
    table = _table(title=f"Emissions (tCO2e, {emissions.get('gwp_set', '')}, eGRID {emissions.get('campus_egrid_subregion')})")
    for column in ("tenant", "scope 2 location", "scope 2 market", "scope 3 cat. 3"):
        table.add_column(column, justify="right" if column != "tenant" else "left")
    for tenant_id, scopes in sorted(emissions.get("tenant_g_co2e", {}).items()):
        table.add_row(tenant_id, _tonnes(scopes.get("scope2_location", 0)), _tonnes(scopes.get("scope2_market", 0)),
                      _tonnes(scopes.get("scope3_cat3", 0)))
    _console().print(table)
    _console().print(f"campus scope 1 (turbine fuel): {_tonnes(emissions.get('campus_scope1_g_co2e', 0))} tCO2e")


def _print_shadow(shadow: dict[str, Any]) -> None:
    """One line of the cycle's shadow market participation (docs/market-participation.md): memo figures only."""
    if shadow.get("status") != "computed":
        return
    net = {p["program"]: p["net_usd_micros"] for p in shadow["programs"]}
    parts = ", ".join(f"{name} ${micros / 1_000_000:,.2f}" for name, micros in net.items())
    _console().print(f"shadow market participation (rules {shadow['rules_version']}, {shadow['priced_intervals']} of "
                     f"{shadow['intervals']} intervals priced at {shadow['node']}): {parts}; "
                     f"{len(shadow['bound_intervals'])} guardrail bindings (wattledger market participation "
                     f"{shadow['cycle_id']})")


async def _print_outcome(http: httpx.AsyncClient, cycle: dict[str, Any]) -> bool:
    if cycle["status"] != "completed":
        _console().print(f"[red]cycle {cycle['status']}: {cycle.get('status_detail')}[/red]")
        return False
    steps = cycle["steps"]
    if "settle" in steps and not cycle.get("live"):
        await _print_settlement(http, cycle)
    issued = (await _full_step(http, cycle, "invoice")).get("invoices", [])
    invoices = _table(title="Invoices")
    for column in ("invoice", "tenant", "total", "sha256"):
        invoices.add_column(column)
    for invoice in issued:
        cents = invoice["total_usd_cents"]
        invoices.add_row(invoice["invoice_id"], invoice["tenant_id"], f"${cents // 100:,}.{cents % 100:02d}",
                         invoice["document_sha256_hex"][:16] + "…")
    _console().print(invoices)
    pdfs = [invoice["pdf_uri"] for invoice in issued if invoice.get("pdf_uri")]
    if pdfs:
        _console().print(f"signed PDF invoices in {Path(pdfs[0]).parent} (check one: wattledger invoice verify FILE)")
    ledger = steps.get("ledger", {})
    iso = steps.get("iso", {})
    _console().print(f"ISO submission {iso.get('submission_key')}: {iso.get('status')} ({iso.get('document_uri')})")
    _print_shadow(await _full_step(http, cycle, "shadow"))
    verdict = "[green]verified[/green]" if ledger.get("verified") else "[red]NOT verified[/red]"
    _console().print(f"ledger: {ledger.get('entry_count')} entries, checkpoint size {ledger.get('checkpoint_size')}, "
                  f"{verdict}")
    return bool(ledger.get("verified"))
