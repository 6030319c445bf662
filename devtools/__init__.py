"""Development tools shipped beside the product and never imported by it: the fake ISO (`fake_iso`)."""

__all__ = ["fake_iso"]
