"""The campus model: one vocabulary (campus, meter and its role, tenant), one repository, the campus file.

Every other package reads campus facts through the names exported here. The campus file is reached through three
public modules, imported by name rather than re-exported: `file` (read and check a campus file into a
CampusDocument), `schema` (its JSON Schema) and `service` (plan, apply, show, list, history and export). The file
checks and the service stand on settlement's contract and tariff vocabulary, and settlement's engine stands on this
package, so `import campus` loads neither; `schema` builds the pydantic model of the file, which the readers of
campus facts do not need.
"""

from campus.errors import CampusFileInvalid, CampusNotFound, Problem
from campus.model import ISOS, Campus, Device, Meter, MeterRole, StorageAsset, StorageService, Tenant
from campus.plan import Change
from campus.repository import (
    campus_address,
    campus_exists,
    campuses_with_channels,
    csv_layout_default,
    emissions_enabled,
    esg_settings,
    iso_submission_settings,
    latest_version_number,
    load_campus,
    load_channel_declarations,
    load_csv_layouts,
    load_meters,
    load_storage_assets,
    load_tenants,
    market_settings,
)

__all__ = [
    "ISOS",
    "Campus",
    "CampusFileInvalid",
    "CampusNotFound",
    "Change",
    "Device",
    "Meter",
    "MeterRole",
    "Problem",
    "StorageAsset",
    "StorageService",
    "Tenant",
    "campus_address",
    "campus_exists",
    "campuses_with_channels",
    "csv_layout_default",
    "emissions_enabled",
    "esg_settings",
    "file",
    "iso_submission_settings",
    "latest_version_number",
    "load_campus",
    "load_channel_declarations",
    "load_csv_layouts",
    "load_meters",
    "load_storage_assets",
    "load_tenants",
    "market_settings",
    "schema",
    "service",
]
