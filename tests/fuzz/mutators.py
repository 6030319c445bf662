"""Generators of malformed input: JSON bodies broken against the OpenAPI schema, CSV and ESPI XML files.

Every generator is seeded (`random.Random`) so a failure names the seed and case number that reproduce it.
JSON cases are malformed by construction (a required field missing or of the wrong JSON type, the wrong
top-level type, broken syntax), so the only right answer is a 4xx.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

# JSON values of each type that no schema of another type accepts, Pydantic's lax mode included
# (no numeric strings for numbers, no "true"/"yes"/0/1 for booleans).
WRONG_FOR_TYPE: dict[str, list[Any]] = {
    "string": [12345, 1.5, True, {}, [], {"$gt": ""}, [["nested"]]],
    "integer": ["abc", 1.5, {}, [], "1e400", "", "NaN"],
    "number": ["abc", {}, [], "", "Infinity!"],
    "boolean": ["maybe", 2, {}, [], "", 1.5],
    "array": ["x", 5, {}, True],
    "object": ["x", 5, [], True],
}
BROKEN_JSON: list[bytes] = [
    b"", b"{", b"}", b"[", b'{"a":', b'{"a" 1}', b"{'a': 1}", b"nul", b"\xff\xfe\x00{", b'{"a":1}garbage',
    b'{"a":"\xc3\x28"}', b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    b'{"a": NaN}', b'{"a": Infinity}', b"\x00\x00\x00", b'"unterminated', b"1" * 5000, b'{"a":1,}',
]


def json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    return {float: "number", str: "string", list: "array", dict: "object"}.get(type(value), "null")


def resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def single_type(schema: dict[str, Any], components: dict[str, Any]) -> str | None:
    schema = resolve(schema, components)
    kind = schema.get("type")
    return kind if isinstance(kind, str) and kind in WRONG_FOR_TYPE and "enum" not in schema else None


def plausible(schema: dict[str, Any], components: dict[str, Any], depth: int = 0) -> Any:
    """A value of the schema's shape (not necessarily valid in every detail): the base that mutations break."""
    schema = resolve(schema, components)
    if "enum" in schema:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            return plausible(schema[key][0], components, depth + 1)
    kind = schema.get("type")
    if kind == "object" and depth < 4:
        props = schema.get("properties", {})
        return {name: plausible(props[name], components, depth + 1) for name in schema.get("required", [])}
    return {"string": "x", "integer": 1, "number": 1, "boolean": True, "array": []}.get(str(kind), {})


def malformed_bodies(schema: dict[str, Any], components: dict[str, Any], rng: random.Random,
                     count: int) -> Iterator[tuple[str, bytes]]:
    """(kind, raw body) pairs, each surely invalid for `schema`."""
    schema = resolve(schema, components)
    base = plausible(schema, components)
    kind = schema.get("type")
    required = list(schema.get("required", [])) if kind == "object" else []
    props = schema.get("properties", {})
    for index in range(count):
        choice = index % 4
        if choice == 0:
            yield "broken-json", rng.choice(BROKEN_JSON)
        elif choice == 1 or not required:
            wrong = [v for values in WRONG_FOR_TYPE.values() for v in values if json_type(v) != kind]
            yield "wrong-top-level", json.dumps(rng.choice(wrong)).encode()
        elif choice == 2:
            body = dict(base)
            body.pop(rng.choice(required), None)
            yield "missing-required", json.dumps(body).encode()
        else:
            typed = [name for name in required if single_type(props[name], components)]
            if not typed:
                yield "broken-json", rng.choice(BROKEN_JSON)
                continue
            name = rng.choice(typed)
            field_type = single_type(props[name], components)
            assert field_type is not None
            yield "wrong-type", json.dumps({**base, name: rng.choice(WRONG_FOR_TYPE[field_type])}).encode()


GARBAGE_SEGMENTS = [
    "..%2F..%2Fetc%2Fpasswd", "%00", "%FF%FE", "a" * 5000, "-1", "99999999999999999999999999", "1e309",
    "%E2%80%AE", "cycle:%0A:x", "%27%20OR%201%3D1--", "%22%3E%3Cscript%3E", "NaN", "0x10", "%C0%AF", " ",
]


def garbage_value(rng: random.Random) -> str:
    if rng.random() < 0.6:
        return rng.choice(GARBAGE_SEGMENTS)
    alphabet = "abc:;/\\%'\"<>{}[]|`~^$#@!-_.\t\u00e9\u4e2d\U0001f600"
    return quote("".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40))), safe="")


CSV_HEADER = "meter_id,interval_start,value,unit"
CSV_GOOD_ROW = "GT1-GEN,2026-01-01T00:00:00-05:00,1250.5,kWh"
CSV_BAD_VALUES = ["12x.5", "", "NaN", "inf", "-inf", "1e309", "1,5", "0x1F", "١٢", "--1", "1e-400", " 1 ", "9" * 400]
CSV_BAD_TIMES = ["2026-13-01T00:00:00Z", "2026-01-01 25:00", "", "yesterday", "2026-01-01T00:00:00",
                 "2026-03-08T02:30:00", "1970-01-01T00:00:00Z", "9999-12-31T23:59:59+14:00", "2026-01-01T00:07:00Z"]


def malformed_csv(rng: random.Random) -> bytes:
    """One CSV site export broken in one or two random ways (values, times, columns, encoding, structure)."""
    rows = [CSV_GOOD_ROW.replace("00:00:00", f"{hour:02d}:00:00") for hour in range(4)]
    breakers = [
        lambda: rows.__setitem__(rng.randrange(len(rows)), f"GT1-GEN,2026-01-01T01:00:00-05:00,{rng.choice(CSV_BAD_VALUES)},kWh"),
        lambda: rows.__setitem__(rng.randrange(len(rows)), f"GT1-GEN,{rng.choice(CSV_BAD_TIMES)},1,kWh"),
        lambda: rows.__setitem__(rng.randrange(len(rows)), rng.choice(["GT1-GEN,2026", "a,b,c,d,e,f", ",,,", '"unclosed,1,2,3'])),
        lambda: rows.append(rows[0]),  # duplicate interval
        lambda: rows.__setitem__(0, rows[0].replace("GT1-GEN", rng.choice(["NOPE", "", "GT1-GEN\x00", "gt1-gen"]))),
        lambda: rows.__setitem__(0, rows[0].replace("kWh", rng.choice(["kwh", "MMBtu", "", "W", "Wh;"]))),
    ]
    for _ in range(rng.randint(1, 2)):
        rng.choice(breakers)()
    header = rng.choice([CSV_HEADER, CSV_HEADER, "meter,start,value", "", "\ufeff" + CSV_HEADER,
                         CSV_HEADER.replace(",", ";"), CSV_HEADER + ",value"])
    text = "\n".join([header, *rows]) + rng.choice(["\n", "", "\r\n", "\n\n\n"])
    data = text.encode(rng.choice(["utf-8", "utf-8", "utf-16", "latin-1"]), errors="replace")
    if rng.random() < 0.1:
        position = rng.randrange(len(data) + 1)
        data = data[:position] + bytes(rng.randrange(256) for _ in range(8)) + data[position:]
    return data


def malformed_espi(sample: str, rng: random.Random) -> bytes:
    """The published ESPI sample broken in one random way (elements, values, structure, entity tricks)."""
    edits = [
        lambda t: t.replace("<value>", "<value>x", 1),
        lambda t: t.replace("<duration>900</duration>", f"<duration>{rng.choice(['0', '-900', '7', 'abc', ''])}</duration>", 1),
        lambda t: t.replace("<start>", "<start>-", 1),
        lambda t: t.replace("</IntervalBlock>", "", 1),
        lambda t: t[: rng.randrange(len(t))],
        lambda t: t.replace("<powerOfTenMultiplier>0</powerOfTenMultiplier>", f"<powerOfTenMultiplier>{rng.choice(['99', '-99', 'x', ''])}</powerOfTenMultiplier>", 1),
        lambda t: t.replace("<uom>72</uom>", f"<uom>{rng.choice(['0', '999', 'x'])}</uom>", 1),
        lambda t: t.replace("http://naesb.org/espi", "http://example.com/not-espi"),
        lambda t: '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;"><!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;"><!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">]><feed>&f;&f;&f;</feed>',
        lambda t: '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><feed>&xxe;</feed>',
        lambda t: t.replace("<IntervalReading>", "<IntervalReading><IntervalReading>", 1),
        lambda t: "",
        lambda t: t.replace("<?xml", "\x00<?xml", 1),
        lambda t: t.replace("<value>", "<value>" + "9" * 40, 1),
    ]
    return rng.choice(edits)(sample).encode("utf-8", errors="replace")
