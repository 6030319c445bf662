"""The campus model: one vocabulary (campus, meter and its role, tenant), one repository, the campus file.

Every other package reads campus facts through the names exported here.
"""

from campus.errors import CampusNotFound
from campus.model import ISOS, Campus, Device, Meter, MeterRole, Tenant
from campus.repository import campus_exists, load_campus, load_meters, load_tenants

__all__ = [
    "ISOS",
    "Campus",
    "CampusNotFound",
    "Device",
    "Meter",
    "MeterRole",
    "Tenant",
    "campus_exists",
    "load_campus",
    "load_meters",
    "load_tenants",
]
