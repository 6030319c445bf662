"""HTTP routes for meter_data; thin over the service functions of its package."""

from fastapi import APIRouter

router = APIRouter()
