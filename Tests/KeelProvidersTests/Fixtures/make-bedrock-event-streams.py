#!/usr/bin/env python3
"""Builds the bedrock-converse-stream-*.bin fixtures from their readable sources.

Each `bedrock-converse-stream-<scenario>.events.json` lists the events of one Converse stream:
`{"event": <:event-type>, "payload": <JSON>}` for an event message, `{"exception":
<:exception-type>, "payload": <JSON>}` for an exception message, and optional `extraHeaders`
(`{"name", "type", "value"}`; types 0 true, 4 int32, 6 bytes as base64, 7 string) that exercise
the decoder's skipping of non-string headers. Every message is framed as
`application/vnd.amazon.eventstream`: total length and headers length (UInt32 BE), the CRC32 of
those 8 bytes, the headers, the payload and the CRC32 of the whole message. The CRCs come from
Python's zlib, independently of the Swift decoder under test.

Run from this folder: `python3 make-bedrock-event-streams.py`.
"""
import base64
import glob
import json
import struct
import zlib


def header(name, type_, value=None):
    encoded = name.encode()
    out = struct.pack(">B", len(encoded)) + encoded + struct.pack(">B", type_)
    if type_ in (0, 1):
        return out
    if type_ == 4:
        return out + struct.pack(">i", value)
    if type_ == 6:
        raw = base64.b64decode(value)
        return out + struct.pack(">H", len(raw)) + raw
    if type_ == 7:
        raw = value.encode()
        return out + struct.pack(">H", len(raw)) + raw
    raise ValueError(type_)


def frame(headers, payload):
    total = 12 + len(headers) + len(payload) + 4
    prelude = struct.pack(">II", total, len(headers))
    prelude += struct.pack(">I", zlib.crc32(prelude) & 0xFFFFFFFF)
    message = prelude + headers + payload
    return message + struct.pack(">I", zlib.crc32(message) & 0xFFFFFFFF)


for source in sorted(glob.glob("bedrock-converse-stream-*.events.json")):
    out = b""
    for item in json.load(open(source, encoding="utf-8")):
        if "exception" in item:
            headers = header(":exception-type", 7, item["exception"]) + header(":content-type", 7, "application/json") \
                + header(":message-type", 7, "exception")
        else:
            headers = header(":event-type", 7, item["event"]) + header(":content-type", 7, "application/json") \
                + header(":message-type", 7, "event")
        for extra in item.get("extraHeaders", []):
            headers += header(extra["name"], extra["type"], extra.get("value"))
        payload = json.dumps(item["payload"], ensure_ascii=False, separators=(",", ":")).encode()
        out += frame(headers, payload)
    target = source.replace(".events.json", ".bin")
    open(target, "wb").write(out)
    print(target, len(out))
