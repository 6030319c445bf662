"""URDB tariffs: parsing a rate and billing a load against it (the stand-alone calculator too)."""
