#!/usr/bin/env python3
"""Events for bench/sources (docs/performance.md, "Every event source"):
  sqs.json       10,000 messages, 500-byte bodies (the largest SQS batch)
  kinesis.json   ~6 MB: 3,300 records of 1 KB data (base64 on the wire)
  dynamodb.json  ~6 MB: 6,500 changes, a 10-attribute NewImage each
  kafka.json     ~6 MB: 10,000 records of 400-byte values, the Kafka decoder's
                 same-size comparison
Deterministic (seeded), so runs compare. Usage: gen.py OUTDIR"""
import base64
import json
import os
import random
import sys

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rnd = random.Random(15)
alnum = "abcdefghijklmnopqrstuvwxyz0123456789"


def text(n):
    return "".join(rnd.choice(alnum) for _ in range(n))


def write(name, ev):
    data = json.dumps(ev, separators=(",", ":"))
    with open(os.path.join(out, name), "w") as f:
        f.write(data)
    print("%s: %.2f MB, %d records" % (name, len(data) / 1e6,
                                       len(ev.get("Records") or [])))


arn = "arn:aws:sqs:eu-west-1:123456789012:orders"
write("sqs.json", {"Records": [{
    "messageId": "%08d-0000-4000-8000-000000000000" % i,
    "receiptHandle": "AQEB" + text(24), "body": text(500),
    "attributes": {"ApproximateReceiveCount": "1",
                   "SentTimestamp": "1764583200000"},
    "messageAttributes": {}, "md5OfBody": text(32), "eventSource": "aws:sqs",
    "eventSourceARN": arn, "awsRegion": "eu-west-1"} for i in range(10000)]})

write("kinesis.json", {"Records": [{
    "kinesis": {"kinesisSchemaVersion": "1.0", "partitionKey": "pk-%d" % (i % 50),
                "sequenceNumber": "4959%052d" % i,
                "data": base64.b64encode(rnd.randbytes(1024)).decode(),
                "approximateArrivalTimestamp": 1764583200.123},
    "eventSource": "aws:kinesis", "eventVersion": "1.0",
    "eventID": "shardId-000000000000:4959%052d" % i,
    "eventName": "aws:kinesis:record",
    "eventSourceARN": "arn:aws:kinesis:eu-west-1:123456789012:stream/s",
    "awsRegion": "eu-west-1"} for i in range(3300)]})


def image(i):
    return {"id": {"N": str(i)}, "customer": {"S": text(12)},
            "amount": {"N": "%d.%02d" % (rnd.randrange(1000), rnd.randrange(100))},
            "qty": {"N": str(rnd.randrange(100))}, "paid": {"BOOL": True},
            "note": {"S": text(200)}, "tags": {"SS": [text(6), text(6)]},
            "address": {"M": {"city": {"S": text(10)}, "zip": {"S": text(5)}}},
            "lines": {"L": [{"N": "1"}, {"N": "2"}]}, "gone": {"NULL": True}}


write("dynamodb.json", {"Records": [{
    "eventID": text(32), "eventName": "INSERT", "eventVersion": "1.1",
    "eventSource": "aws:dynamodb", "awsRegion": "eu-west-1",
    "dynamodb": {"ApproximateCreationDateTime": 1764583200,
                 "Keys": {"id": {"N": str(i)}}, "NewImage": image(i),
                 "SequenceNumber": "%021d" % i, "SizeBytes": 300,
                 "StreamViewType": "NEW_IMAGE"},
    "eventSourceARN": "arn:aws:dynamodb:eu-west-1:123456789012:table/t/stream/x"}
    for i in range(6500)]})

recs = []
for i in range(10000):
    recs.append({"topic": "orders", "partition": i % 4, "offset": i,
                 "timestamp": 1764583200000, "timestampType": "CREATE_TIME",
                 "key": base64.b64encode(b"k%d" % i).decode(),
                 "value": base64.b64encode(text(400).encode()).decode(),
                 "headers": []})
by = {}
for r in recs:
    by.setdefault("orders-%d" % r["partition"], []).append(r)
write("kafka.json", {"eventSource": "aws:kafka",
                     "eventSourceArn": "arn:aws:kafka:eu-west-1:1:cluster/c/x",
                     "bootstrapServers": "b-1:9092", "records": by})
