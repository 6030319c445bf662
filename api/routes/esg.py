"""HTTP routes for esg; thin over the service functions of its package."""

from fastapi import APIRouter

router = APIRouter()
