"""Development and test tooling that production code never imports: the demo and tests use it.

`devtools.fake_iso` is a fake ISO (NYISO metering, file drops, price feeds, statements) served on loopback.
"""

__all__: list[str] = []
