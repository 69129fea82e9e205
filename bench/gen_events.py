#!/usr/bin/env python3
"""Generate the bench's events, in the format Lambda delivers them.

Six shapes, each written as <out>/<shape>.json with the response every bench
handler must return for it in <out>/<shape>.expected.json. Kafka (issue 6):

  text    ~6 MB, 8,000 records, ~400-byte JSON values, two headers each
  binary  ~6 MB, 2,700 records, 1.5 KB random binary values, no headers
  small   10 records shaped like the text batch

and the other batch sources (issue 15), each as many records as fit under
Lambda's 6 MB invocation payload (so the event source mapping could really
deliver it), with the fields Lambda really sends:

  sqs       ~500-byte bodies, two or three message attributes each (a
            String, a Number, every fifth a Binary): 4,491 messages. The
            issue's 10,000 x 500 B is 5 MB of bodies alone; with each
            message's receipt handle, attributes and ARN it would be ~14 MB,
            over the cap, so the largest batch that fits is used instead
  kinesis   1 KB of random data each (1.37 KB of base64 on the wire), eight
            partition keys: 3,319 records
  dynamodb  INSERT and (two in three) MODIFY changes, NEW_AND_OLD_IMAGES,
            10-attribute images (S, N, BOOL, SS, M, L, NULL): 5,650 changes

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


# ---- SQS, Kinesis, DynamoDB ----------------------------------------------

ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"


def text(rng, n):
    return "".join(rng.choice(ALNUM) for _ in range(n))


def fill(make, count):
    """Records from make(i) while the event stays under the payload cap (and
    at most 'count' of them); the event is {"Records": [...]}."""
    records, size = [], len('{"Records":[]}')
    while len(records) < count:
        rec = make(len(records))
        n = len(json.dumps(rec, separators=(",", ":"))) + 1
        if size + n > LAMBDA_PAYLOAD_MAX:
            break
        records.append(rec)
        size += n
    return {"Records": records}


def sqs_event(rng, count):
    arn = "arn:aws:sqs:eu-west-1:123456789012:orders"
    expect = {"records": 0, "body_bytes": 0, "attribute_bytes": 0,
              "attributes": {}}

    def make(i):
        attrs = {"trace_id": {"dataType": "String",
                              "stringValue": text(rng, 16),
                              "stringListValues": [], "binaryListValues": []},
                 "priority": {"dataType": "Number",
                              "stringValue": str(rng.randrange(10)),
                              "stringListValues": [], "binaryListValues": []}}
        if i % 5 == 0:
            attrs["signature"] = {
                "dataType": "Binary",
                "binaryValue": base64.b64encode(rng.randbytes(32)).decode(),
                "stringListValues": [], "binaryListValues": []}
        return {
            "messageId": "%08x-%04x-4%03x-8%03x-%012x" % (
                rng.getrandbits(32), rng.getrandbits(16), rng.getrandbits(12),
                rng.getrandbits(12), rng.getrandbits(48)),
            "receiptHandle": "AQEB" + base64.b64encode(
                rng.randbytes(132)).decode(),
            "body": json.dumps({"order": "ord-%08d" % i,
                                "note": text(rng, 460)})[:500],
            "attributes": {"ApproximateReceiveCount": "1",
                           "SentTimestamp": str(1764583200000 + i),
                           "SenderId": "AIDAIENQZJOLO23YVJ4VO",
                           "ApproximateFirstReceiveTimestamp":
                               str(1764583200100 + i)},
            "messageAttributes": attrs,
            "md5OfMessageAttributes": text(rng, 32),
            "md5OfBody": text(rng, 32), "eventSource": "aws:sqs",
            "eventSourceARN": arn, "awsRegion": "eu-west-1"}

    event = fill(make, count)
    for rec in event["Records"]:
        expect["records"] += 1
        expect["body_bytes"] += len(rec["body"].encode())
        for name, a in rec["messageAttributes"].items():
            expect["attributes"][name] = expect["attributes"].get(name, 0) + 1
            if a["dataType"] == "Binary":
                expect["attribute_bytes"] += len(
                    base64.b64decode(a["binaryValue"]))
            else:
                expect["attribute_bytes"] += len(a["stringValue"].encode())
    return event, expect


def kinesis_event(rng, count):
    expect = {"records": 0, "data_bytes": 0, "partition_keys": {}}

    def make(i):
        seq = "4959%052d" % i
        return {"kinesis": {"kinesisSchemaVersion": "1.0",
                            "partitionKey": "device-%d" % (i % 8),
                            "sequenceNumber": seq,
                            "data": base64.b64encode(
                                rng.randbytes(1024)).decode(),
                            "approximateArrivalTimestamp":
                                1764583200.123 + i / 1000},
                "eventSource": "aws:kinesis", "eventVersion": "1.0",
                "eventID": "shardId-000000000000:" + seq,
                "eventName": "aws:kinesis:record",
                "invokeIdentityArn": "arn:aws:iam::123456789012:role/bench",
                "awsRegion": "eu-west-1",
                "eventSourceARN": "arn:aws:kinesis:eu-west-1:123456789012:"
                                  "stream/bench"}

    event = fill(make, count)
    for rec in event["Records"]:
        k = rec["kinesis"]
        expect["records"] += 1
        expect["data_bytes"] += len(base64.b64decode(k["data"]))
        pk = expect["partition_keys"]
        pk[k["partitionKey"]] = pk.get(k["partitionKey"], 0) + 1
    return event, expect


def dynamodb_image(rng, i, amount):
    return {"id": {"N": str(i)}, "customer": {"S": text(rng, 12)},
            "amount": {"N": str(amount)},
            "qty": {"N": str(rng.randrange(100))}, "paid": {"BOOL": True},
            "note": {"S": text(rng, 120)},
            "tags": {"SS": [text(rng, 6), text(rng, 6)]},
            "address": {"M": {"city": {"S": text(rng, 10)},
                              "zip": {"S": text(rng, 5)}}},
            "lines": {"L": [{"N": "1"}, {"N": "2"}]}, "gone": {"NULL": True}}


def dynamodb_event(rng, count):
    expect = {"records": 0, "amount_sum": 0, "attributes": 0, "events": {}}

    def make(i):
        name = "INSERT" if i % 3 == 0 else "MODIFY"
        d = {"ApproximateCreationDateTime": 1764583200 + i,
             "Keys": {"id": {"N": str(i)}},
             "NewImage": dynamodb_image(rng, i, rng.randrange(1, 10**6)),
             "SequenceNumber": "%021d" % (10**20 + i), "SizeBytes": 612,
             "StreamViewType": "NEW_AND_OLD_IMAGES"}
        if name == "MODIFY":
            d["OldImage"] = dynamodb_image(rng, i, rng.randrange(1, 10**6))
        return {"eventID": text(rng, 32), "eventName": name,
                "eventVersion": "1.1", "eventSource": "aws:dynamodb",
                "awsRegion": "eu-west-1", "dynamodb": d,
                "eventSourceARN": "arn:aws:dynamodb:eu-west-1:123456789012:"
                                  "table/orders/stream/2026-11-27T00:00:00.000"}

    event = fill(make, count)
    for rec in event["Records"]:
        img = rec["dynamodb"]["NewImage"]
        expect["records"] += 1
        expect["amount_sum"] += int(img["amount"]["N"])
        expect["attributes"] += len(img)
        ev = expect["events"]
        ev[rec["eventName"]] = ev.get(rec["eventName"], 0) + 1
    return event, expect


SOURCES = {"sqs": sqs_event, "kinesis": kinesis_event,
           "dynamodb": dynamodb_event}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, help="output directory")
    ap.add_argument("--seed", type=int, default=20261127)
    ap.add_argument("--quick", action="store_true",
                    help="tiny batches for the smoke test")
    args = ap.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    sizes = {"text": 8000, "binary": 2700, "small": 10, "sqs": 10000,
             "kinesis": 10000, "dynamodb": 10000}
    if args.quick:
        sizes = {"text": 40, "binary": 12, "small": 10, "sqs": 20,
                 "kinesis": 12, "dynamodb": 9}
    for shape, count in sizes.items():
        # One generator per shape: a shape's bytes do not depend on the others.
        rng = random.Random("%d/%s" % (args.seed, shape))
        if shape in SOURCES:
            event, expect = SOURCES[shape](rng, count)
        else:
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
        print("%-8s %5d records %9d bytes -> %s" % (
            shape, expect["records"], len(body),
            os.path.join(args.out, shape + ".json")))


if __name__ == "__main__":
    main()
