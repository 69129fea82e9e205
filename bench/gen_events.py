#!/usr/bin/env python3
"""Generate the bench's Kafka events, in the format Lambda delivers them.

Three shapes (issue 6), each written as <out>/<shape>.json with the response
every bench handler must return for it in <out>/<shape>.expected.json:

  text    ~6 MB, 8,000 records, ~400-byte JSON values, two headers each
  binary  ~6 MB, 2,700 records, 1.5 KB random binary values, no headers
  small   10 records shaped like the text batch

Records are spread over several topics and partitions (topic names with '-'
and '.'), keys are base64 like values, every 97th record has a null key and
header values are Java signed bytes (-128..127) as Lambda sends them. The
output is a pure function of the seed: the same bytes on every machine, so
figures from different runs measure the same work.

--quick writes the same shapes with a handful of records, for the smoke test.
Python 3 stdlib only.
"""

import argparse
import base64
import json
import os
import random
import sys

# Lambda's synchronous invocation payload limit: the batches must fit.
LAMBDA_PAYLOAD_MAX = 6 * 1024 * 1024

TEXT_TOPICS = [("orders", 4), ("payments.v1", 2), ("user-events", 2)]
BINARY_TOPICS = [("images", 3), ("blobs.raw-v2", 1)]

WORDS = ("alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo "
         "lima mike november oscar papa quebec romeo sierra tango uniform "
         "victor whiskey xray yankee zulu").split()


def signed_bytes(data):
    """Bytes as the JSON array Lambda sends: Java signed bytes."""
    return [b - 256 if b > 127 else b for b in data]


def json_value(rng, seq, target):
    """A ~target-byte JSON document shaped like an order event."""
    doc = {
        "order_id": "ord-%08d" % seq,
        "customer": {"id": rng.randrange(1, 10**6),
                     "name": " ".join(rng.choice(WORDS) for _ in range(2)),
                     "tier": rng.choice(["gold", "silver", "bronze"])},
        "items": [],
        "currency": rng.choice(["EUR", "USD", "GBP"]),
        "created_at": "2026-11-%02dT%02d:%02d:%02d.%03dZ" % (
            rng.randrange(1, 29), rng.randrange(24), rng.randrange(60),
            rng.randrange(60), rng.randrange(1000)),
    }
    while True:
        doc["items"].append({"sku": "SKU-%06d" % rng.randrange(10**6),
                             "qty": rng.randrange(1, 9),
                             "price": rng.randrange(100, 99999) / 100})
        text = json.dumps(doc, separators=(",", ":"))
        if len(text) >= target - 40:
            break
    pad = max(0, target - len(text) - len(',"note":""'))
    doc["note"] = " ".join(rng.choice(WORDS) for _ in range(pad))[:pad]
    return json.dumps(doc, separators=(",", ":")).encode()


def spread(rng, topics, count):
    """Assign 'count' records to topic-partitions; returns ordered groups."""
    keys = [(t, p) for t, n in topics for p in range(n)]
    groups = {k: 0 for k in keys}
    for _ in range(count):
        groups[rng.choice(keys)] += 1
    return [(t, p, n) for (t, p), n in groups.items() if n]


def make_event(rng, shape, count, source):
    topics = BINARY_TOPICS if shape == "binary" else TEXT_TOPICS
    records = {}
    expect = {"records": 0, "key_bytes": 0, "value_bytes": 0,
              "header_bytes": 0, "topics": {}}
    seq = 0
    ts = 1764220800000  # 2025-11-27T05:20:00Z, fixed for determinism
    for topic, part, n in spread(rng, topics, count):
        batch = []
        offset = rng.randrange(10**6, 10**9)
        for _ in range(n):
            seq += 1
            key = None if seq % 97 == 0 else ("key-%d-%08d" % (part, seq)).encode()
            if shape == "binary":
                value = rng.randbytes(1536)
                headers = []
            else:
                value = json_value(rng, seq, rng.randrange(325, 406))
                headers = [
                    {"content-type": signed_bytes(b"application/json")},
                    {"trace-id": signed_bytes(rng.randbytes(8))},
                ]
            rec = {
                "topic": topic,
                "partition": part,
                "offset": offset,
                "timestamp": ts + seq,
                "timestampType": "CREATE_TIME",
                "key": base64.b64encode(key).decode() if key is not None else None,
                "value": base64.b64encode(value).decode(),
                "headers": headers,
            }
            offset += 1
            batch.append(rec)
            expect["records"] += 1
            expect["key_bytes"] += len(key) if key is not None else 0
            expect["value_bytes"] += len(value)
            seen = set()
            for h in headers:  # first occurrence of a name wins
                for name, data in h.items():
                    if name not in seen:
                        seen.add(name)
                        expect["header_bytes"] += len(data)
            expect["topics"][topic] = expect["topics"].get(topic, 0) + 1
        records["%s-%d" % (topic, part)] = batch
    event = {
        "eventSource": source,
        "eventSourceArn": ("arn:aws:kafka:eu-west-1:123456789012:cluster/"
                           "bench/8d5e2a4b-1c3d-4e5f-9a8b-7c6d5e4f3a2b-2"),
        "bootstrapServers": "b-1.bench.kafka.eu-west-1.amazonaws.com:9098,"
                            "b-2.bench.kafka.eu-west-1.amazonaws.com:9098",
        "records": records,
    }
    return event, expect


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, help="output directory")
    ap.add_argument("--seed", type=int, default=20261127)
    ap.add_argument("--quick", action="store_true",
                    help="tiny batches for the smoke test")
    args = ap.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    sizes = {"text": 8000, "binary": 2700, "small": 10}
    if args.quick:
        sizes = {"text": 40, "binary": 12, "small": 10}
    for shape, count in sizes.items():
        # One generator per shape: a shape's bytes do not depend on the others.
        rng = random.Random("%d/%s" % (args.seed, shape))
        kind = "binary" if shape == "binary" else "text"
        event, expect = make_event(rng, kind, count, "aws:kafka")
        body = json.dumps(event, separators=(",", ":")).encode()
        if len(body) > LAMBDA_PAYLOAD_MAX:
            sys.exit("gen_events: %s is %d bytes, over Lambda's %d"
                     % (shape, len(body), LAMBDA_PAYLOAD_MAX))
        with open(os.path.join(args.out, shape + ".json"), "wb") as f:
            f.write(body)
        with open(os.path.join(args.out, shape + ".expected.json"), "w") as f:
            json.dump(expect, f, sort_keys=True)
        print("%-6s %5d records %9d bytes -> %s" % (
            shape, expect["records"], len(body),
            os.path.join(args.out, shape + ".json")))


if __name__ == "__main__":
    main()
