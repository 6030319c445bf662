"""A simulated Sparkplug B edge node for the tests: a paho client with its NDEATH will, publishing protobuf
births and data with bdSeq and seq as the specification has an edge do, and recording the commands it receives."""

from __future__ import annotations

import socket
import threading
import time

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from connectors.sparkplug.payload import DataType, Metric, Payload, decode_payload, encode_payload

GROUP, EDGE, DEVICE = "Plant", "EPMS1", "PM8000-A"


def topic(kind: str, device: bool = False) -> str:
    return f"spBv1.0/{GROUP}/{kind}/{EDGE}" + (f"/{DEVICE}" if device else "")


def now_ms() -> int:
    return int(time.time() * 1000)


class EdgeNode:
    def __init__(self, port: int, bd_seq: int) -> None:
        self.port = port
        self.bd_seq = bd_seq
        self.seq = 0
        self.commands: list[Payload] = []
        self.subscribed = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"edge-{EDGE}-{bd_seq}",
                                  clean_session=True, protocol=mqtt.MQTTv311)
        self.client.will_set(topic("NDEATH"), self.death_payload(bd_seq), qos=1, retain=False)
        self.client.on_message = lambda client, userdata, message: self.commands.append(
            decode_payload(message.payload))
        self.client.on_subscribe = lambda *args: self.subscribed.set()

    @staticmethod
    def death_payload(bd_seq: int) -> bytes:
        return encode_payload(Payload(None, (Metric("bdSeq", None, now_ms(), DataType.INT64, bd_seq),), None))

    def connect(self) -> None:
        self.client.connect("127.0.0.1", self.port, keepalive=5)
        self.client.loop_start()
        self.client.subscribe(topic("NCMD"), qos=1)
        assert self.subscribed.wait(10), "edge subscription not acknowledged"

    def publish(self, mqtt_topic: str, metrics: tuple[Metric, ...], seq: int | None) -> None:
        info = self.client.publish(mqtt_topic, encode_payload(Payload(now_ms(), metrics, seq)), qos=0)
        info.wait_for_publish(5)

    def next_seq(self) -> int:
        seq = self.seq
        self.seq = (self.seq + 1) % 256
        return seq

    def birth(self, main_wh: int, device_wh: int) -> None:
        self.seq = 0
        self.publish(topic("NBIRTH"), (Metric("bdSeq", None, now_ms(), DataType.INT64, self.bd_seq),
                                       Metric("Main/Energy Delivered", 1, now_ms(), DataType.UINT64, main_wh)),
                     self.next_seq())
        self.publish(topic("DBIRTH", device=True),
                     (Metric("Energy Delivered", 2, now_ms(), DataType.UINT64, device_wh),), self.next_seq())

    def node_data(self, main_wh: int, at_ms: int | None = None, alias: int = 1, historical: bool = False,
                  seq: int | None = None) -> None:
        metric = Metric(None, alias, at_ms or now_ms(), DataType.UINT64, main_wh, is_historical=historical)
        self.publish(topic("NDATA"), (metric,), self.next_seq() if seq is None else seq)

    def kill(self) -> None:
        """Drop the TCP connection without DISCONNECT: the broker publishes the will (NDEATH)."""
        self.client.loop_stop()
        sock = self.client.socket()
        assert isinstance(sock, socket.socket)
        sock.shutdown(socket.SHUT_RDWR)
        sock.close()

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def rebirth_requested(self) -> bool:
        return any(m.name == "Node Control/Rebirth" and m.value is True for p in self.commands for m in p.metrics)
