"""The campus engine: interval files and contract versions in, settlement lines out."""
