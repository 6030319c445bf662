"""Read a workflow's history the way the Temporal server stores it (no codec) and find every payload in it."""

from __future__ import annotations

from collections.abc import Iterator

from google.protobuf.message import Message
from temporalio.api.common.v1 import Payload
from temporalio.client import Client

from runtime.codec import ENCODING_ENCRYPTED


def payloads_in(message: Message) -> Iterator[Payload]:
    """Every Payload anywhere inside `message` (inputs, results, headers, failures, update arguments...)."""
    if isinstance(message, Payload):
        yield message
        return
    for field, value in message.ListFields():
        if field.type != field.TYPE_MESSAGE:
            continue
        if field.message_type.GetOptions().map_entry:
            for item in value.values():
                if isinstance(item, Message):
                    yield from payloads_in(item)
        elif field.is_repeated:
            for item in value:
                yield from payloads_in(item)
        else:
            yield from payloads_in(value)


async def stored_history_report(address: str, workflow_id: str, markers: list[bytes]) -> tuple[int, int, list[bytes]]:
    """(payload count, encrypted count, markers found in the raw history bytes), read without any codec."""
    raw_client = await Client.connect(address, namespace="default")
    history = await raw_client.get_workflow_handle(workflow_id).fetch_history()
    payloads = [p for event in history.events for p in payloads_in(event)]
    encrypted = sum(1 for p in payloads if p.metadata.get("encoding") == ENCODING_ENCRYPTED)
    raw = b"".join(event.SerializeToString() for event in history.events)
    return len(payloads), encrypted, [marker for marker in markers if marker in raw]
