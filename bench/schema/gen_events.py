#!/usr/bin/env python3
"""Generate the schema bench's Kafka events (bench/schema/run.sh).

Two ~6 MB batches of 8,000 records, each value a nested ~400-byte order
(order.avsc / order.proto), in Lambda's schema-registry mode (the event
source mapping's SchemaRegistryConfig: schema metadata on each record, the
registry framing removed):

  avro      dataFormat AVRO, schemaId "1", the Avro binary
  protobuf  dataFormat PROTOBUF, schemaId "2", Confluent's message index
            [0] (one 0x00 byte) then the Protobuf binary

with <shape>.expected.json, the response both bench handlers must return
(records, per-topic counts, the sum of total_cents), and for the decoder
microbenchmark <shape>.payloads (each value as a 4-byte length + bytes).
Written by Debian's python3-avro and python3-protobuf, independent of the
runtime; a pure function of the seed.
"""

import argparse
import base64
import io
import json
import os
import random
import struct
import sys

if "/usr/lib/python3/dist-packages" not in sys.path:
    sys.path.append("/usr/lib/python3/dist-packages")
os.environ.setdefault("PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION", "python")
import avro.io  # noqa: E402
import avro.schema  # noqa: E402
from google.protobuf import descriptor_pb2, descriptor_pool  # noqa: E402
from google.protobuf import message_factory  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
TOPICS = [("orders", 4), ("orders.eu", 2), ("refunds-v2", 2)]
WORDS = ("alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo "
         "lima mike november oscar papa quebec romeo sierra tango").split()
STATUS = ["NEW", "PAID", "SHIPPED", "CANCELLED"]


def words(rng, n):
    return " ".join(rng.choice(WORDS) for _ in range(n))


def order(rng, seq):
    items = [{"sku": "SKU-%06d" % rng.randrange(10 ** 6),
              "name": words(rng, 3).title(), "qty": rng.randrange(1, 9),
              "price_cents": rng.randrange(100, 100000)}
             for _ in range(rng.randrange(2, 5))]
    return {
        "id": 10 ** 12 + seq, "created_ms": 1764547200000 + seq * 37,
        "status": rng.choice(STATUS), "currency": rng.choice(["EUR", "USD"]),
        "customer": {
            "id": rng.randrange(10 ** 9), "name": words(rng, 2).title(),
            "email": "%s@example.com" % rng.choice(WORDS),
            "address": {"street": "%d %s St" % (rng.randrange(999),
                                                rng.choice(WORDS).title()),
                        "city": rng.choice(WORDS).title(),
                        "zip": "%05d" % rng.randrange(10 ** 5),
                        "country": rng.choice(["DE", "FR", "US", "NL"])}},
        "items": items,
        "total_cents": sum(i["qty"] * i["price_cents"] for i in items),
        "tags": [rng.choice(WORDS) for _ in range(rng.randrange(1, 4))],
        "notes": words(rng, rng.randrange(20, 30)),
    }


def avro_writer():
    with open(os.path.join(HERE, "handlers", "order.avsc")) as f:
        schema = avro.schema.parse(f.read())
    writer = avro.io.DatumWriter(schema)

    def encode(d):
        buf = io.BytesIO()
        writer.write(d, avro.io.BinaryEncoder(buf))
        return buf.getvalue()
    return encode


def protobuf_writer():
    fds = descriptor_pb2.FileDescriptorSet()
    with open(os.path.join(HERE, "handlers", "order.pb"), "rb") as f:
        fds.ParseFromString(f.read())
    pool = descriptor_pool.DescriptorPool()
    for fd in fds.file:
        pool.Add(fd)
    desc = pool.FindMessageTypeByName("bench.v1.Order")
    if hasattr(message_factory, "GetMessageClass"):
        cls = message_factory.GetMessageClass(desc)
    else:
        cls = message_factory.MessageFactory(pool).GetPrototype(desc)

    def encode(d):
        m = cls()
        for k in ("id", "created_ms", "currency", "total_cents", "notes"):
            setattr(m, k, d[k])
        m.status = STATUS.index(d["status"])
        c = d["customer"]
        m.customer.id, m.customer.name, m.customer.email = (
            c["id"], c["name"], c["email"])
        for k, v in c["address"].items():
            setattr(m.customer.address, k, v)
        for it in d["items"]:
            i = m.items.add()
            i.sku, i.name, i.qty, i.price_cents = (
                it["sku"], it["name"], it["qty"], it["price_cents"])
        m.tags.extend(d["tags"])
        # Registry mode: Confluent's message index [0] stays in front.
        return b"\x00" + m.SerializeToString()
    return encode


def make(shape, count, seed):
    rng = random.Random(seed)
    encode = avro_writer() if shape == "avro" else protobuf_writer()
    meta = {"dataFormat": shape.upper(), "schemaId": "1" if shape == "avro"
            else "2"}
    parts = [(t, p) for t, n in TOPICS for p in range(n)]
    records = {}
    expect = {"records": 0, "total_cents": 0, "topics": {}}
    payloads = []
    for seq in range(count):
        topic, part = parts[rng.randrange(len(parts))]
        d = order(rng, seq)
        value = encode(d)
        payloads.append(value)
        key = ("order-%d" % d["id"]).encode()
        rec = {"topic": topic, "partition": part, "offset": 1000 + seq,
               "timestamp": d["created_ms"], "timestampType": "CREATE_TIME",
               "key": base64.b64encode(key).decode(),
               "value": base64.b64encode(value).decode(), "headers": [],
               "valueSchemaMetadata": meta}
        records.setdefault("%s-%d" % (topic, part), []).append(rec)
        expect["records"] += 1
        expect["total_cents"] += d["total_cents"]
        expect["topics"][topic] = expect["topics"].get(topic, 0) + 1
    event = {"eventSource": "aws:kafka",
             "eventSourceArn": "arn:aws:kafka:eu-west-1:123456789012:"
                               "cluster/bench/abc",
             "bootstrapServers": "b-1.bench:9098", "records": records}
    return event, expect, payloads


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--count", type=int, default=8000)
    args = ap.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    for i, shape in enumerate(("avro", "protobuf")):
        event, expect, payloads = make(shape, args.count, 14 + i)
        body = json.dumps(event, separators=(",", ":")).encode()
        with open(os.path.join(args.out, shape + ".json"), "wb") as f:
            f.write(body)
        with open(os.path.join(args.out, shape + ".expected.json"), "w") as f:
            json.dump(expect, f, sort_keys=True)
        with open(os.path.join(args.out, shape + ".payloads"), "wb") as f:
            for p in payloads:
                f.write(struct.pack("<I", len(p)) + p)
        print("%-8s %5d records, %7d bytes, values %.0f bytes on average" % (
            shape, expect["records"], len(body),
            sum(map(len, payloads)) / len(payloads)))


if __name__ == "__main__":
    main()
