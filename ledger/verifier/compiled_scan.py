"""A compiled (numba) pre-check of v1 entry bytes: canonical form and every replay rule, in one pass.

It is an accelerator, not a second authority. `scan_entries` answers either "every entry passes" or
"look at entry i". It is strict: anything it does not fully understand (a key that sorts differently
in UTF-16, an amount over 15 digits, a hash collision) also counts as "look here". When it does not
answer "pass", `ledger.verifier.replay` is run and gives the authoritative seq and reason. Its checks mirror
ledger.verifier.replay.ChainReplay one for one; the hashes are computed by the caller (hashlib).
"""

from __future__ import annotations

import json
from collections import namedtuple
from typing import Any

import numba
import numpy as np
from numba import types
from numba.typed import Dict
from numpy.typing import NDArray

from ledger.posting_rules import (
    KIND_NAMES,
    KINDS_NEEDING_REF,
    KINDS_WITHOUT_POSTINGS,
    POSTED_KINDS,
    REFERABLE_KINDS,
    pending_direction,
)
from ledger.signed_note import NoteError, parse_vkey
from ledger.verifier.entry_format import FormatError, check_idempotency_key, entry_id_for

# Kind codes: positions in KIND_NAMES (the scan stores one int8 per entry).
REVERSAL, ADJUSTMENT, PERIOD_CLOSE, ACCOUNT_OPEN, KEY_ROTATION = (
    KIND_NAMES.index(name) for name in ("reversal", "adjustment", "period_close", "account_open", "key_rotation")
)
# The posting rules of ledger.posting_rules as tables indexed by kind code (numba reads them as constants).
MOVES_POSTED = np.array([name in POSTED_KINDS for name in KIND_NAMES], dtype=np.bool_)
WITHOUT_POSTINGS = np.array([name in KINDS_WITHOUT_POSTINGS for name in KIND_NAMES], dtype=np.bool_)
NEEDS_REF = np.array([name in KINDS_NEEDING_REF for name in KIND_NAMES], dtype=np.bool_)
REFERABLE = np.array(
    [[ref in REFERABLE_KINDS.get(name, ()) for ref in KIND_NAMES] for name in KIND_NAMES], dtype=np.bool_
)
PENDING_DIRECTION = np.array([pending_direction(name) for name in KIND_NAMES], dtype=np.int64)
AMOUNT_DIGITS_MAX = 15  # keeps every running balance far inside int64; longer amounts take the slow path
TIME_LENGTH = 27  # YYYY-MM-DDTHH:MM:SS.ffffffZ


Bytes = NDArray[np.uint8]
Int64s = NDArray[np.int64]
AccountIndex = Any  # numba.typed.Dict[uint64, int64]: account (path, asset) hash -> account index


def _lit(text: str) -> Bytes:
    return np.frombuffer(text.encode(), dtype=np.uint8).copy()


LIT_START = _lit('{"accounts":[')
LIT_EFFECTIVE = _lit('],"effective_at":"')
LIT_ENTRY_ID = _lit('","entry_id":')
LIT_KEY = _lit(',"idempotency_key":')
LIT_KIND = _lit(',"kind":')
LIT_META = _lit(',"meta":{')
LIT_ORIGIN = _lit('},"origin":')
LIT_POSTINGS = _lit(',"postings":[')
LIT_RECORDED = _lit('],"recorded_at":"')
LIT_REF = _lit('","ref_seq":')
LIT_REQUEST = _lit(',"request_hash":')
LIT_SEQ = _lit(',"seq":"')
LIT_END = _lit('","v":1}')
LIT_NULL = _lit("null")
LIT_OPEN_BRACKET = _lit("[")
LIT_ACCOUNT_ASSET = _lit('{"asset":')
LIT_ACCOUNT_FLAG = _lit(',"must_not_go_negative":')
LIT_ACCOUNT_SIDE = _lit(',"normal_side":"')
LIT_ACCOUNT_PATH = _lit('","path":')
LIT_TRUE = _lit("true")
LIT_FALSE = _lit("false")
LIT_DEBIT = _lit("debit")
LIT_CREDIT = _lit("credit")
LIT_REASON = _lit('"reason_code"')
LIT_VKEY = _lit('"vkey"')
KIND_LITERALS = tuple(_lit(f'"{name}"') for name in KIND_NAMES)
# Bytes that stand for themselves inside a canonical string: printable ASCII except '"' and '\\'.
PATH_BYTE = np.array([chr(b).isascii() and (chr(b).isalnum() or chr(b) in "_.-") for b in range(256)],
                     dtype=np.bool_)
DAYS_IN_MONTH = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)
PLAIN_BYTE = np.array([0x20 <= b < 0x80 and b not in (0x22, 0x5C) for b in range(256)], dtype=np.bool_)


@numba.njit(cache=True)
def _expect(data: Bytes, pos: int, lit: Bytes) -> int:
    if pos < 0 or pos + lit.size > data.size:
        return -1
    for k in range(lit.size):
        if data[pos + k] != lit[k]:
            return -1
    return pos + lit.size


@numba.njit(cache=True)
def _utf8_length(data: Bytes, pos: int, end: int) -> int:
    """Length of the valid, shortest-form UTF-8 sequence at pos, or -1 (surrogates refused)."""
    lead = data[pos]
    if lead < 0xC2:
        return -1
    length = 2 if lead < 0xE0 else 3 if lead < 0xF0 else 4 if lead < 0xF5 else -1
    if length < 0 or pos + length > end:
        return -1
    for k in range(1, length):
        if data[pos + k] & 0xC0 != 0x80:
            return -1
    second = data[pos + 1]
    if (lead == 0xE0 and second < 0xA0) or (lead == 0xED and second >= 0xA0):
        return -1
    if (lead == 0xF0 and second < 0x90) or (lead == 0xF4 and second >= 0x90):
        return -1
    return length


@numba.njit(cache=True)
def _string(data: Bytes, pos: int, end: int) -> int:
    """End of the canonical JSON string starting at pos (after the closing quote), or -1."""
    if pos < 0 or pos >= end or data[pos] != 34:
        return -1
    pos += 1
    while pos < end:
        byte = data[pos]
        if PLAIN_BYTE[byte]:  # the common case first: one table load per byte
            pos += 1
            continue
        if byte == 34:
            return pos + 1
        if byte < 0x20:
            return -1
        if byte == 92:
            if pos + 1 >= end:
                return -1
            escaped = data[pos + 1]
            if escaped == 34 or escaped == 92 or escaped == 98 or escaped == 102 or escaped == 110 \
                    or escaped == 114 or escaped == 116:
                pos += 2
                continue
            # Only \u00XX for the controls without a short form, lowercase hex.
            if escaped != 117 or pos + 6 > end or data[pos + 2] != 48 or data[pos + 3] != 48:
                return -1
            high, low = data[pos + 4], data[pos + 5]
            if high != 48 and high != 49:
                return -1
            if not (48 <= low <= 57 or 97 <= low <= 102):
                return -1
            value = (high - 48) * 16 + (low - 48 if low <= 57 else low - 87)
            if value == 8 or value == 9 or value == 10 or value == 12 or value == 13:
                return -1
            pos += 6
        elif byte >= 0x80:
            length = _utf8_length(data, pos, end)
            if length < 0:
                return -1
            pos += length
        else:
            pos += 1
    return -1


@numba.njit(cache=True)
def _hash(data: Bytes, start: int, stop: int, seed: int | np.uint64) -> np.uint64:
    value = np.uint64(seed)
    for k in range(start, stop):
        value = (value ^ np.uint64(data[k])) * np.uint64(1099511628211)
    return value


@numba.njit(cache=True)
def _same_bytes(data: Bytes, a_start: int, a_stop: int, b_start: int, b_stop: int) -> bool:
    if a_stop - a_start != b_stop - b_start:
        return False
    for k in range(a_stop - a_start):
        if data[a_start + k] != data[b_start + k]:
            return False
    return True


@numba.njit(cache=True)
def _number(data: Bytes, pos: int, width: int) -> int:
    value = 0
    for k in range(width):
        value = value * 10 + (data[pos + k] - 48)
    return value


@numba.njit(cache=True)
def _calendar_ok(data: Bytes, pos: int) -> bool:
    """The digits at pos (already checked to be ASCII) name a real date, year 1..9999, and time of day."""
    year, month, day = _number(data, pos, 4), _number(data, pos + 5, 2), _number(data, pos + 8, 2)
    if year < 1 or month < 1 or month > 12 or day < 1:
        return False
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    days = DAYS_IN_MONTH[month - 1] + (1 if month == 2 and leap else 0)
    if day > days:
        return False
    return _number(data, pos + 11, 2) <= 23 and _number(data, pos + 14, 2) <= 59 and _number(data, pos + 17, 2) <= 59


@numba.njit(cache=True)
def _time(data: Bytes, pos: int) -> int:
    """Position after a YYYY-MM-DDTHH:MM:SS.ffffffZ instant (without quotes) of a real date, or -1."""
    if pos < 0 or pos + 27 > data.size:
        return -1
    for k in range(27):
        byte = data[pos + k]
        if k == 4 or k == 7:
            ok = byte == 45
        elif k == 10:
            ok = byte == 84
        elif k == 13 or k == 16:
            ok = byte == 58
        elif k == 19:
            ok = byte == 46
        elif k == 26:
            ok = byte == 90
        else:
            ok = 48 <= byte <= 57
        if not ok:
            return -1
    if not _calendar_ok(data, pos):
        return -1
    return pos + 27


@numba.njit(cache=True)
def _hash_hex(data: Bytes, pos: int, end: int) -> int:
    """Position after a quoted string of 64 lowercase hex digits at pos, or -1."""
    if pos < 0 or pos + 66 > end or data[pos] != 34 or data[pos + 65] != 34:
        return -1
    for k in range(pos + 1, pos + 65):
        byte = data[k]
        if not (48 <= byte <= 57 or 97 <= byte <= 102):
            return -1
    return pos + 66


@numba.njit(cache=True)
def _uuid_text(data: Bytes, pos: int, end: int) -> int:
    """Position after a quoted lowercase 8-4-4-4-12 hex UUID at pos, or -1 (its value is checked later)."""
    if pos < 0 or pos + 38 > end or data[pos] != 34 or data[pos + 37] != 34:
        return -1
    for k in range(36):
        byte = data[pos + 1 + k]
        if k == 8 or k == 13 or k == 18 or k == 23:
            if byte != 45:
                return -1
        elif not (48 <= byte <= 57 or 97 <= byte <= 102):
            return -1
    return pos + 38


@numba.njit(cache=True)
def _path_ok(data: Bytes, start: int, stop: int) -> bool:
    """The quoted string data[start:stop] is segments of [A-Za-z0-9_.-] joined by ':' (none empty)."""
    segment = 0
    for k in range(start + 1, stop - 1):
        byte = data[k]
        if byte == 58:
            if segment == 0:
                return False
            segment = 0
        elif PATH_BYTE[byte]:
            segment += 1
        else:
            return False
    return segment > 0


@numba.njit(cache=True)
def _asset_ok(data: Bytes, start: int, stop: int) -> bool:
    """The quoted string data[start:stop] is [A-Z][A-Z0-9]{0,16}(_[A-Z]{1,16})?(/[0-9]{1,2})?."""
    pos, end = start + 1, stop - 1
    if pos >= end or not 65 <= data[pos] <= 90:
        return False
    run = 0
    pos += 1
    while pos < end and (65 <= data[pos] <= 90 or 48 <= data[pos] <= 57):
        pos += 1
        run += 1
    if run > 16:
        return False
    if pos < end and data[pos] == 95:
        pos += 1
        run = 0
        while pos < end and 65 <= data[pos] <= 90:
            pos += 1
            run += 1
        if run < 1 or run > 16:
            return False
    if pos < end and data[pos] == 47:
        pos += 1
        run = 0
        while pos < end and 48 <= data[pos] <= 57:
            pos += 1
            run += 1
        if run < 1 or run > 2:
            return False
    return pos == end


@numba.njit(cache=True)
def _compare_times(data: Bytes, a: int, b: int) -> int:
    """-1, 0 or 1 for the instants at a and b (fixed-width text orders like time)."""
    for k in range(27):
        if data[a + k] != data[b + k]:
            return -1 if data[a + k] < data[b + k] else 1
    return 0


@numba.njit(cache=True)
def _digits(data: Bytes, pos: int, end: int, leading_zero_ok: bool) -> tuple[int, int]:
    """(value, position after) of a run of 1..18 ASCII digits, or (-1, -1)."""
    start = pos
    value = 0
    while pos < end and 48 <= data[pos] <= 57 and pos - start < 18:
        value = value * 10 + (data[pos] - 48)
        pos += 1
    if pos == start or (pos < end and 48 <= data[pos] <= 57):
        return -1, -1
    if not leading_zero_ok and data[start] == 48:
        return -1, -1
    return value, pos


@numba.njit(cache=True)
def _kind(data: Bytes, pos: int) -> tuple[int, int]:
    for code in range(len(KIND_LITERALS)):
        after = _expect(data, pos, KIND_LITERALS[code])
        if after >= 0:
            return code, after
    return -1, -1


@numba.njit(cache=True)
def _pair_hash(data: Bytes, path_start: int, path_stop: int, asset_start: int, asset_stop: int) -> np.uint64:
    return _hash(data, asset_start, asset_stop, _hash(data, path_start, path_stop, 14695981039346656037) ^ np.uint64(0x9E3779B97F4A7C15))


@numba.njit(cache=True)
def _parse_accounts(data: Bytes, pos: int, end: int, spans: Int64s) -> tuple[int, int]:
    """Account objects up to (not including) the closing ']'; spans rows: asset, path, side, flag."""
    count = 0
    if data[pos] == 93:
        return pos, 0
    while True:
        if count >= spans.shape[0]:
            return -1, 0
        pos = _expect(data, pos, LIT_ACCOUNT_ASSET)
        asset_start = pos
        pos = _string(data, pos, end)
        asset_stop = pos
        pos = _expect(data, pos, LIT_ACCOUNT_FLAG)
        flag = -1
        if _expect(data, pos, LIT_TRUE) >= 0:
            flag, pos = 1, pos + 4
        elif _expect(data, pos, LIT_FALSE) >= 0:
            flag, pos = 0, pos + 5
        pos = _expect(data, pos, LIT_ACCOUNT_SIDE)
        side = -1
        if _expect(data, pos, LIT_DEBIT) >= 0:
            side, pos = 0, pos + 5
        elif _expect(data, pos, LIT_CREDIT) >= 0:
            side, pos = 1, pos + 6
        pos = _expect(data, pos, LIT_ACCOUNT_PATH)
        path_start = pos
        pos = _string(data, pos, end)
        if pos < 0 or flag < 0 or side < 0 or pos >= end or data[pos] != 125:
            return -1, 0
        if not _path_ok(data, path_start, pos) or not _asset_ok(data, asset_start, asset_stop):
            return -1, 0
        spans[count, 0], spans[count, 1], spans[count, 2], spans[count, 3] = asset_start, asset_stop, path_start, pos
        spans[count, 4], spans[count, 5] = side, flag
        count += 1
        pos += 1
        if data[pos] != 44:
            return pos, count
        pos += 1


@numba.njit(cache=True)
def _parse_meta(data: Bytes, pos: int, end: int) -> tuple[int, bool, bool, bool]:
    """(position of the closing '}', has non-empty reason_code, has vkey, needs slow path)."""
    has_reason, has_vkey = False, False
    if data[pos] == 125:
        return pos, has_reason, has_vkey, False
    previous_start, previous_stop = -1, -1
    while True:
        key_start = pos
        pos = _string(data, pos, end)
        if pos < 0:
            return -1, has_reason, has_vkey, False
        for k in range(key_start, pos):
            # Escapes or characters >= U+E000 sort differently as escaped bytes: leave to the replay.
            if data[k] == 92 or data[k] >= 0xEE:
                return -1, has_reason, has_vkey, True
        if previous_start >= 0 and not _bytes_greater(data, key_start, pos, previous_start, previous_stop):
            return -1, has_reason, has_vkey, False
        previous_start, previous_stop = key_start, pos
        if pos >= end or data[pos] != 58:
            return -1, has_reason, has_vkey, False
        value_start = pos + 1
        pos = _string(data, value_start, end)
        if pos < 0:
            return -1, has_reason, has_vkey, False
        if _expect(data, key_start, LIT_REASON) == previous_stop:
            has_reason = pos - value_start > 2  # more than the two quotes: not empty
        if _expect(data, key_start, LIT_VKEY) == previous_stop:
            has_vkey = True
        if data[pos] != 44:
            return pos, has_reason, has_vkey, False
        pos += 1


@numba.njit(cache=True)
def _bytes_greater(data: Bytes, a_start: int, a_stop: int, b_start: int, b_stop: int) -> bool:
    length = min(a_stop - a_start, b_stop - b_start)
    for k in range(length):
        if data[a_start + k] != data[b_start + k]:
            return bool(data[a_start + k] > data[b_start + k])
    return a_stop - a_start > b_stop - b_start


@numba.njit(cache=True)
def _amount(data: Bytes, pos: int, end: int) -> tuple[int, int]:
    """(amount, position after the closing quote) of a leg amount, or (0, -1); long ones -> (0, -2)."""
    negative = pos < end and data[pos] == 45
    if negative:
        pos += 1
    if pos >= end or not 49 <= data[pos] <= 57:
        return 0, -1
    value, after = _digits(data, pos, end, False)
    if after < 0:
        return 0, -2
    if after - pos > AMOUNT_DIGITS_MAX:
        return 0, -2
    if after >= end or data[after] != 34:
        return 0, -1
    return (-value if negative else value), after + 1


@numba.njit(cache=True)
def _parse_postings(
    data: Bytes, pos: int, end: int, first: int, state: ScanState, account_index: AccountIndex
) -> tuple[int, int]:
    """(position of the closing ']', legs) with legs stored from `first`; (-1, 0) if any is wrong."""
    count = 0
    if data[pos] == 93:
        return pos, 0
    while True:
        pos = _expect(data, pos, LIT_OPEN_BRACKET)
        path_start = pos
        path_stop = _string(data, pos, end)
        if path_stop < 0 or data[path_stop] != 44:
            return -1, 0
        asset_start = path_stop + 1
        asset_stop = _string(data, asset_start, end)
        if asset_stop < 0 or data[asset_stop] != 44 or data[asset_stop + 1] != 34:
            return -1, 0
        amount, pos = _amount(data, asset_stop + 2, end)
        if pos < 0 or data[pos] != 93 or first + count >= state.p_account.size:
            return -1, 0
        pair = _pair_hash(data, path_start, path_stop, asset_start, asset_stop)
        if pair not in account_index:
            return -1, 0
        index = account_index[pair]
        spans = state.acc_spans
        if not (_same_bytes(data, path_start, path_stop, spans[index, 2], spans[index, 3])
                and _same_bytes(data, asset_start, asset_stop, spans[index, 0], spans[index, 1])):
            return -1, 0
        state.p_account[first + count] = index
        state.p_amount[first + count] = amount
        count += 1
        pos += 1
        if data[pos] != 44:
            return pos, count
        pos += 1


@numba.njit(cache=True)
def _parse_head(
    data: Bytes, s: int, end: int, origin_json: Bytes, spans: Int64s
) -> tuple[int, int, int, bool, bool, int, int, int]:
    """Members up to the postings array: (position of the array's first element or -1, kind,
    account count, has reason code, has vkey, effective-time position, key start, key stop)."""
    pos = _expect(data, s, LIT_START)
    if pos < 0:
        return -1, -1, 0, False, False, -1, -1, -1
    pos, account_count = _parse_accounts(data, pos, end, spans)
    pos = _expect(data, pos, LIT_EFFECTIVE)
    effective = pos
    pos = _expect(data, _time(data, pos), LIT_ENTRY_ID)
    pos = _expect(data, _uuid_text(data, pos, end), LIT_KEY)
    key_start = pos
    key_stop = _string(data, pos, end)
    pos = _expect(data, key_stop, LIT_KIND)
    if pos < 0:
        return -1, -1, 0, False, False, -1, -1, -1
    kind, pos = _kind(data, pos)
    pos = _expect(data, pos, LIT_META)
    if pos < 0:
        return -1, -1, 0, False, False, -1, -1, -1
    pos, has_reason, has_vkey, _ = _parse_meta(data, pos, end)
    pos = _expect(data, _expect(data, _expect(data, pos, LIT_ORIGIN), origin_json), LIT_POSTINGS)
    return pos, kind, account_count, has_reason, has_vkey, effective, key_start, key_stop


@numba.njit(cache=True)
def _parse_tail(data: Bytes, pos: int, end: int, seq_expected: int) -> tuple[int, int]:
    """Members after the postings array: (recorded-time position, ref seq or -1 for null; or -1, -1)."""
    pos = _expect(data, pos, LIT_RECORDED)
    recorded = pos
    pos = _expect(data, _time(data, pos), LIT_REF)
    if pos < 0:
        return -1, -1
    ref = -1
    if data[pos] == 34:
        ref, pos = _digits(data, pos + 1, end, False)
        if pos < 0 or data[pos] != 34:
            return -1, -1
        pos += 1
    else:
        pos = _expect(data, pos, LIT_NULL)
    pos = _expect(data, _hash_hex(data, _expect(data, pos, LIT_REQUEST), end), LIT_SEQ)
    if pos < 0:
        return -1, -1
    seq, pos = _digits(data, pos, end, False)
    if seq != seq_expected or _expect(data, pos, LIT_END) != end:
        return -1, -1
    return recorded, ref


@numba.njit(cache=True)
def _open_accounts(
    data: Bytes, spans: Int64s, account_count: int, state: ScanState, account_index: AccountIndex
) -> bool:
    """Register an account_open entry's accounts; False if one is open already (or collides)."""
    for a in range(account_count):
        pair = _pair_hash(data, spans[a, 2], spans[a, 3], spans[a, 0], spans[a, 1])
        opened = state.accounts_opened[0]
        if pair in account_index or opened >= state.acc_spans.shape[0]:
            return False
        account_index[pair] = opened
        for column in range(6):
            state.acc_spans[opened, column] = spans[a, column]
        state.accounts_opened[0] = opened + 1
    return True


@numba.njit(cache=True, nogil=True)  # nogil: the caller hashes on another thread meanwhile
def _scan(
    data: Bytes, starts: Int64s, origin_json: Bytes, state: ScanState, account_index: AccountIndex,
    key_hashes: NDArray[np.uint64], entry_bytes_max: int,
) -> int:
    """Index of the first entry needing the replay's verdict, or -1 when every entry passes."""
    # Sized by the longest entry: an account object takes over 64 bytes and a leg at least 12.
    spans = np.empty((entry_bytes_max // 64 + 1, 6), dtype=np.int64)
    touched = np.empty(entry_bytes_max // 12 + 1, dtype=np.int64)
    asset_spans = np.empty((64, 2), dtype=np.int64)
    asset_sums = np.empty(64, dtype=np.int64)
    last_recorded, closed_until = -1, -1
    state.p_start[0] = 0
    for i in range(starts.size - 1):
        s, end = starts[i], starts[i + 1] - 1
        if end <= s or data[end] != 10:
            return i
        pos, kind, account_count, has_reason, has_vkey, effective, key_start, key_stop = _parse_head(
            data, s, end, origin_json, spans
        )
        if pos < 0:
            return i
        first = state.p_start[i]
        pos, count = _parse_postings(data, pos, end, first, state, account_index)
        if pos < 0:
            return i
        recorded, ref = _parse_tail(data, pos, end, i + 1)
        if recorded < 0:
            return i
        state.p_start[i + 1] = first + count
        state.kinds[i] = kind
        if not _rules(data, i, kind, ref, count, account_count, has_reason, has_vkey, effective, recorded,
                      last_recorded, closed_until, state):
            return i
        if kind == PERIOD_CLOSE:
            closed_until = effective
        last_recorded = recorded
        key_hashes[i] = _hash(data, key_start, key_stop, 14695981039346656037)
        state.key_spans[i, 0], state.key_spans[i, 1] = key_start, key_stop
        if kind == ACCOUNT_OPEN and not _open_accounts(data, spans, account_count, state, account_index):
            return i
        if not _apply(i, kind, first, count, state, touched, asset_spans, asset_sums, data):
            return i
    return -1


@numba.njit(cache=True)
def _rules(
    data: Bytes, i: int, kind: int, ref: int, count: int, account_count: int, has_reason: bool, has_vkey: bool,
    effective: int, recorded: int, last_recorded: int, closed_until: int, state: ScanState,
) -> bool:
    """The replay's per-entry rules (ledger.verifier.replay), minus balances; True when the entry passes."""
    if kind < 0 or effective < 0 or recorded < 0:
        return False
    if last_recorded >= 0 and _compare_times(data, recorded, last_recorded) <= 0:
        return False
    internal = WITHOUT_POSTINGS[kind]
    if (count == 0) != internal or (account_count > 0) != (kind == ACCOUNT_OPEN):
        return False
    if (not internal or kind == PERIOD_CLOSE) and closed_until >= 0 \
            and _compare_times(data, effective, closed_until) < 0:
        return False
    if kind == KEY_ROTATION and not has_vkey:
        return False
    if not NEEDS_REF[kind]:
        return ref == -1
    if ref < 1 or ref > i:
        return False
    if not REFERABLE[kind, state.kinds[ref - 1]]:
        return False
    if kind == ADJUSTMENT:
        return has_reason
    # A reversal negates its reference (flag 1 = reversed); a resolution copies it (flag 2 = resolved).
    flag, sign = (1, -1) if kind == REVERSAL else (2, 1)
    if state.done[ref - 1] & flag:
        return False
    state.done[ref - 1] |= flag
    first, ref_first = state.p_start[i], state.p_start[ref - 1]
    if state.p_start[ref] - ref_first != count:
        return False
    for k in range(count):
        if state.p_account[first + k] != state.p_account[ref_first + k]:
            return False
        if state.p_amount[first + k] != sign * state.p_amount[ref_first + k]:
            return False
    return True


@numba.njit(cache=True)
def _apply(
    i: int, kind: int, first: int, count: int, state: ScanState, touched: Int64s, asset_spans: Int64s,
    asset_sums: Int64s, data: Bytes,
) -> bool:
    """Per-asset zero sum, running balances, non-negative accounts; True when the entry passes."""
    if count > touched.size:
        return False
    assets = 0
    touched_count = 0
    posts = MOVES_POSTED[kind]
    direction = PENDING_DIRECTION[kind]
    for k in range(first, first + count):
        index, amount = state.p_account[k], state.p_amount[k]
        spans = state.acc_spans
        slot = -1
        for a in range(assets):  # assets compared by their bytes: a handful per entry
            if _same_bytes(data, spans[index, 0], spans[index, 1], asset_spans[a, 0], asset_spans[a, 1]):
                slot = a
                break
        if slot < 0:
            if assets >= asset_sums.size:
                return False
            slot = assets
            asset_spans[slot, 0], asset_spans[slot, 1], asset_sums[slot] = spans[index, 0], spans[index, 1], 0
            assets += 1
        asset_sums[slot] += amount
        balances = state.balances
        if posts:
            balances[index, 0] += amount
        if direction != 0:
            if amount > 0:
                balances[index, 1] += direction * amount
            else:
                balances[index, 2] -= direction * amount
        state.p_balances[k, 0], state.p_balances[k, 1], state.p_balances[k, 2] = (
            balances[index, 0], balances[index, 1], balances[index, 2]
        )
        seen = False
        for t in range(touched_count):
            if touched[t] == index:
                seen = True
        if not seen:
            touched[touched_count] = index
            touched_count += 1
    for a in range(assets):
        if asset_sums[a] != 0:
            return False
    for t in range(touched_count):
        index = touched[t]
        posted, pending_debits, pending_credits = state.balances[index, 0], state.balances[index, 1], state.balances[index, 2]
        if abs(posted) > 4 * 10**18 or pending_debits > 4 * 10**18 or pending_credits > 4 * 10**18:
            return False  # near the int64 edge: the replay's unbounded integers decide
        if state.acc_spans[index, 5] == 1:
            available = posted - pending_credits if state.acc_spans[index, 4] == 0 else -posted - pending_debits
            if available < 0:
                return False
    return True


# Per entry: kinds, done (1 = reversed, 2 = resolved), p_start (first leg), key_spans (the quoted
# idempotency key; the entry id's 36 characters end 18 bytes before it). Per leg: account index,
# amount, and the account's running balances after it. Per account: spans (asset start/stop, path
# start/stop, side 0 debit / 1 credit, must-not-go-negative) and balances (posted, pending
# debits, pending credits).
ScanState = namedtuple(
    "ScanState",
    "kinds done p_start p_account p_amount p_balances acc_spans balances accounts_opened key_spans",
)


def scan_entries(data: Bytes, starts: Int64s, origin_json: bytes) -> tuple[int, ScanState]:
    """(first entry index, 0-based, that the replay must judge, or -1 when all pass; the scan state).

    `data` holds every entry's canonical bytes, each followed by a newline; entry i spans
    data[starts[i] : starts[i+1] - 1]. `origin_json` is the origin as a JSON string (with quotes).
    """
    entries = starts.size - 1
    entries = max(0, entries)
    legs_max = data.size // 12 + 1  # a leg is at least 12 bytes: ["a","B","1"]
    accounts_max = data.size // 64 + 64  # an account object is longer than 64 bytes
    state = ScanState(
        np.zeros(entries, dtype=np.int8), np.zeros(entries, dtype=np.uint8),
        np.zeros(entries + 1, dtype=np.int64), np.zeros(legs_max, dtype=np.int64),
        np.zeros(legs_max, dtype=np.int64), np.zeros((legs_max, 3), dtype=np.int64),
        np.zeros((accounts_max, 6), dtype=np.int64), np.zeros((accounts_max, 3), dtype=np.int64),
        np.zeros(1, dtype=np.int64), np.zeros((entries, 2), dtype=np.int64),
    )
    account_index = Dict.empty(key_type=types.uint64, value_type=types.int64)
    origin = np.frombuffer(origin_json, dtype=np.uint8).copy()
    entry_bytes_max = int(np.diff(starts).max()) if entries else 0
    key_hashes = np.zeros(entries, dtype=np.uint64)
    bad = int(_scan(data, starts, origin, state, account_index, key_hashes, entry_bytes_max))
    if bad < 0 and entries > 1:
        # Idempotency keys must be unique: equal hashes (a repeat, or a collision) send the whole
        # export to the replay, which names the entry. Sorting once beats a dictionary per entry.
        ordered = np.sort(key_hashes)
        if np.any(ordered[1:] == ordered[:-1]):
            bad = int(np.flatnonzero(np.isin(key_hashes, ordered[1:][ordered[1:] == ordered[:-1]]))[0])
    if bad < 0:
        bad = first_bad_key_or_id(data, starts, state, json.loads(origin_json))
    return bad, state


ENTRY_ID_END_BEFORE_KEY = len(b'","idempotency_key":')  # the scan checked this layout byte for byte


def first_bad_key_or_id(data: Bytes, starts: Int64s, state: ScanState, origin: str) -> int:
    """Index of the first entry whose idempotency key breaks its grammar, whose entry id is not the
    UUIDv5 of origin and key, or whose key rotation names no valid vkey of this origin; -1 if none.
    The rules are ledger.verifier.entry_format's (Unicode printability and SHA-1 are not numba's)."""
    view = data.data  # a memoryview: slices copy only the bytes they take
    for index, (start, stop) in enumerate(state.key_spans.tolist()):
        quoted = bytes(view[start:stop])
        key = quoted[1:-1].decode() if b"\\" not in quoted else json.loads(quoted)
        id_stop = start - ENTRY_ID_END_BEFORE_KEY
        try:
            check_idempotency_key(key)
        except FormatError:
            return index
        if bytes(view[id_stop - 36:id_stop]) != entry_id_for(origin, key).encode():
            return index
    for index in np.flatnonzero(state.kinds == KEY_ROTATION).tolist():
        document = json.loads(bytes(view[int(starts[index]):int(starts[index + 1]) - 1]))
        try:
            if parse_vkey(document["meta"]["vkey"]).name != origin:
                return int(index)
        except NoteError:
            return int(index)
    return -1

