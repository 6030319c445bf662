"""The AES-GCM payload codec: payloads become ciphertext, decode exactly, rotate keys, and refuse tampering.

Pure tests (no server): encode/decode through `EncryptionCodec`, keyring files on disk, and the converter
that the clients use, so the same bytes Temporal would store are checked here.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from temporalio.api.common.v1 import Payload

from runtime.codec import (
    ENCODING_ENCRYPTED,
    ENCODING_REFUSED,
    EncryptionCodec,
    Keyring,
    PayloadKeyError,
    encrypted_data_converter,
    ensure_payload_keyring,
    generate_keyring,
    load_keyring,
    rotate_keyring,
)
from runtime.temporal import DATA_CONVERTER, data_converter_for
from settings import Settings

SECRET_TEXT = b"meter GT1 energy_wh=123456789 amount_usd_micros=987654321"


@dataclass
class InvoiceAmount:
    invoice_id: str
    amount_usd: Decimal


def _plain(data: bytes) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=data)


async def test_encoded_payload_is_ciphertext_and_decodes_to_the_same_bytes(tmp_path: Path) -> None:
    """No byte of the plaintext survives in the encoded payload; decode returns the original exactly."""
    codec = EncryptionCodec(generate_keyring(tmp_path / "ring.json"))
    [sealed] = await codec.encode([_plain(SECRET_TEXT)])
    assert sealed.metadata["encoding"] == ENCODING_ENCRYPTED
    assert sealed.metadata["encryption-key-id"].decode() == codec.current_key_id
    assert b"GT1" not in sealed.SerializeToString() and b"987654321" not in sealed.SerializeToString()
    [opened] = await codec.decode([sealed])
    assert opened == _plain(SECRET_TEXT)


async def test_same_payload_encrypts_differently_each_time(tmp_path: Path) -> None:
    """A fresh random nonce per payload: equal amounts do not give equal ciphertexts in history."""
    codec = EncryptionCodec(generate_keyring(tmp_path / "ring.json"))
    first, second = await codec.encode([_plain(SECRET_TEXT), _plain(SECRET_TEXT)])
    assert first.data != second.data


async def test_rotation_keeps_old_payloads_readable_and_uses_the_new_key(tmp_path: Path) -> None:
    """After rotation, payloads sealed with the old key still open; new payloads name the new key id."""
    path = tmp_path / "ring.json"
    old_codec = EncryptionCodec(generate_keyring(path))
    [old_sealed] = await old_codec.encode([_plain(SECRET_TEXT)])
    rotated = rotate_keyring(path)
    new_codec = EncryptionCodec(load_keyring(path))
    assert rotated.current_key_id != old_codec.current_key_id and len(rotated.keys) == 2
    [new_sealed] = await new_codec.encode([_plain(SECRET_TEXT)])
    assert new_sealed.metadata["encryption-key-id"].decode() == rotated.current_key_id
    assert (await new_codec.decode([old_sealed, new_sealed])) == [_plain(SECRET_TEXT)] * 2


async def test_unknown_key_tampered_data_and_relabelled_key_are_refused(tmp_path: Path) -> None:
    """A payload under a key we lack, a flipped ciphertext bit, or a swapped key id: clear errors, no output."""
    codec = EncryptionCodec(generate_keyring(tmp_path / "a.json"))
    stranger = EncryptionCodec(generate_keyring(tmp_path / "b.json"))
    [sealed] = await stranger.encode([_plain(SECRET_TEXT)])
    with pytest.raises(PayloadKeyError, match="does not hold"):
        await codec.decode([sealed])
    [mine] = await codec.encode([_plain(SECRET_TEXT)])
    flipped = Payload(metadata=dict(mine.metadata), data=mine.data[:-1] + bytes([mine.data[-1] ^ 1]))
    with pytest.raises(PayloadKeyError, match="failed authentication"):
        await codec.decode([flipped])
    both = Keyring(codec.current_key_id, {**load_keyring(tmp_path / "a.json").keys,
                                          **load_keyring(tmp_path / "b.json").keys})
    relabelled = Payload(metadata={**dict(mine.metadata), "encryption-key-id": stranger.current_key_id.encode()},
                         data=mine.data)
    with pytest.raises(PayloadKeyError, match="failed authentication"):
        await EncryptionCodec(both).decode([relabelled])


async def test_unencrypted_payloads_are_refused_unless_accepted_for_old_histories(tmp_path: Path) -> None:
    """A plain payload decodes to an empty one no converter reads (its content is dropped); a deployment that
    turned encryption on while older histories are open accepts them explicitly, and converters built from
    settings follow WATTLEDGER_PAYLOAD_PLAINTEXT_ACCEPTED."""
    keyring = generate_keyring(tmp_path / "ring.json")
    [refused] = await EncryptionCodec(keyring).decode([_plain(b'"x"')])
    assert refused.metadata["encoding"] == ENCODING_REFUSED and refused.data == b""
    with pytest.raises(KeyError, match="unencrypted-refused"):
        await encrypted_data_converter(DATA_CONVERTER, keyring).decode([_plain(b'"x"')], [str])
    assert await EncryptionCodec(keyring, accept_plaintext=True).decode([_plain(b'"x"')]) == [_plain(b'"x"')]
    home = tmp_path / "home"
    strict = data_converter_for(Settings(home=home))
    lenient = data_converter_for(Settings(home=home, payload_plaintext_accepted=True))
    assert await lenient.decode([_plain(b'"x"')], [str]) == ["x"]
    with pytest.raises(KeyError, match="unencrypted-refused"):
        await strict.decode([_plain(b'"x"')], [str])


async def test_converter_round_trips_decimal_amounts_through_ciphertext(tmp_path: Path) -> None:
    """The clients' converter (Pydantic + codec) gives back the exact Decimal, and the wire form is sealed."""
    converter = encrypted_data_converter(DATA_CONVERTER, generate_keyring(tmp_path / "ring.json"))
    value = InvoiceAmount("WL-2026-000042", Decimal("123456.789012"))
    [payload] = await converter.encode([value])
    assert b"WL-2026-000042" not in payload.SerializeToString()
    [back] = await converter.decode([payload], [InvoiceAmount])
    assert back == value


def test_keyring_file_is_owner_only_and_created_once_in_dev(tmp_path: Path) -> None:
    """Dev creates the keyring on first use with mode 0600 and reuses it; prod without one is an error."""
    settings = Settings(home=tmp_path / "home")
    first = ensure_payload_keyring(settings)
    second = ensure_payload_keyring(settings)
    assert first is not None and first == second
    mode = stat.S_IMODE(os.stat(settings.payload_keyring_file).st_mode)
    assert mode == 0o600
    with pytest.raises(PayloadKeyError, match="provision"):
        ensure_payload_keyring(Settings(home=tmp_path / "prod", env="prod"))
    assert ensure_payload_keyring(Settings(home=tmp_path / "off", payload_encryption=False)) is None


@pytest.mark.parametrize("text", ["", "{}", "[]", '{"current_key_id": "k1", "keys": {"k1": "c2hvcnQ="}}',
                                  '{"current_key_id": "k2", "keys": {"k1": "' + "A" * 44 + '"}}',
                                  '{"current_key_id": "k 1", "keys": {"k 1": "' + "A" * 44 + '"}}'])
def test_malformed_keyrings_are_refused_without_echoing_key_material(text: str) -> None:
    """Bad JSON, short keys, unknown current id or bad key ids: PayloadKeyError, and the message holds no key."""
    with pytest.raises(PayloadKeyError) as caught:
        Keyring.from_json(text)
    assert "AAAA" not in str(caught.value) and "c2hvcnQ" not in str(caught.value)
