"""Read a workflow's history the way the Temporal server stores it (no codec) and find every payload in it."""

from __future__ import annotations

from collections.abc import Iterator

from google.protobuf.message import Message
from temporalio.api.common.v1 import Payload
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
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


def _sdk_metadata(event: HistoryEvent) -> bool:
    """Events the SDK and server write in plain form by design, holding no business data: search attribute
    upserts (the server indexes them; `TemporalChangeVersion` names patches) and `workflow.patched` markers
    (the patch id). The raw-bytes marker search still covers them."""
    if event.event_type == EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
        return True
    return (event.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
            and event.marker_recorded_event_attributes.marker_name == "core_patch")


async def stored_history_report(address: str, workflow_id: str, markers: list[bytes]) -> tuple[int, int, list[bytes]]:
    """(payload count, encrypted count, markers found in the raw history bytes), read without any codec.

    A payload that is not encrypted is named in the marker list as `plain:<event type>:<encoding>`.
    """
    raw_client = await Client.connect(address, namespace="default")
    history = await raw_client.get_workflow_handle(workflow_id).fetch_history()
    payloads = [(event, p) for event in history.events if not _sdk_metadata(event) for p in payloads_in(event)]
    plain = [f"plain:{EventType.Name(event.event_type)}:{p.metadata.get('encoding', b'?').decode(errors='replace')}:"
             f"{p.data[:60]!r}".encode() for event, p in payloads if p.metadata.get("encoding") != ENCODING_ENCRYPTED]
    raw = b"".join(event.SerializeToString() for event in history.events)
    return len(payloads), len(payloads) - len(plain), [marker for marker in markers if marker in raw] + plain
