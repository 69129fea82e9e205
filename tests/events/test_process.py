#!/usr/bin/env python3
"""router.process and kafka.process: partial batch responses through the
real bootstrap (handlers/process.lua).

The identifier each source mapping wants (SQS messageId, Kinesis and
DynamoDB sequence numbers, Kafka {partition, offset}); a failing record
never stops the others unless ordered; `ordered` on by default for Kinesis,
DynamoDB and FIFO queues (per message group), off for standard queues and
Kafka, and overridable both ways; records with decode_error failed without
running fn; each failure logged; fn always gets the invocation's context
(kafka.process's old context-third form too); `[]` when all succeed.

Env: LRT_BOOTSTRAP (the built bootstrap), LRT_SOURCE_DIR (repo root).
"""

import base64
import json
import os
import subprocess
import sys
import unittest

sys.dont_write_bytecode = True

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("LRT_SOURCE_DIR") or os.path.dirname(os.path.dirname(HERE))
BOOT = os.environ.get("LRT_BOOTSTRAP") or os.path.join(SRC, "build", "bootstrap")
HANDLERS = os.path.join(HERE, "handlers")
TIMEOUT = 120 if os.environ.get("LRT_SANITIZE") == "1" else 30


def invoke(event):
    e = dict(os.environ)
    e.pop("AWS_LAMBDA_RUNTIME_API", None)
    r = subprocess.run([BOOT, "--event", "-", "--root", HANDLERS, "--handler",
                        "process"], input=json.dumps(event).encode(),
                       capture_output=True, env=e, timeout=TIMEOUT)
    # The response is the last line; log lines (local mode) come before it.
    lines = r.stdout.decode().strip().splitlines() or [""]
    return (r.returncode, lines[-1],
            "\n".join(lines[:-1]) + "\n" + r.stderr.decode())


def sqs(bodies, arn="arn:aws:sqs:r:1:q", groups=None):
    recs = []
    for i, b in enumerate(bodies, 1):
        attrs = {"ApproximateReceiveCount": "1"}
        if groups:
            attrs["MessageGroupId"] = groups[i - 1]
        recs.append({"messageId": "m%d" % i, "body": b, "attributes": attrs,
                     "eventSource": "aws:sqs", "eventSourceARN": arn})
    return {"Records": recs}


def kinesis(payloads):
    return {"Records": [{
        "eventSource": "aws:kinesis", "eventID": "s:%d" % i,
        "kinesis": {"partitionKey": "p", "sequenceNumber": "49%d" % i,
                    "data": p if p == "bad!" else
                    base64.b64encode(p.encode()).decode()}}
        for i, p in enumerate(payloads, 1)]}


def dynamodb(values):
    return {"Records": [{
        "eventSource": "aws:dynamodb", "eventName": "INSERT",
        "dynamodb": {"SequenceNumber": "70%d" % i,
                     "Keys": {"k": {"N": str(i)}},
                     "NewImage": {"v": {"S": v}}}}
        for i, v in enumerate(values, 1)]}


def kafka(values, topic="t"):
    recs = {}
    for i, (part, v) in enumerate(values):
        recs.setdefault("%s-%d" % (topic, part), []).append({
            "topic": topic, "partition": part, "offset": i,
            "timestamp": 1, "timestampType": "CREATE_TIME",
            "value": base64.b64encode(v.encode()).decode(), "headers": []})
    return {"eventSource": "aws:kafka", "records": recs}


class ProcessTest(unittest.TestCase):
    def run_ok(self, event):
        code, out, err = invoke(event)
        self.assertEqual(code, 0, err)
        return json.loads(out), out, err

    def ids(self, got):
        return [f["itemIdentifier"] for f in got["resp"]["batchItemFailures"]]

    def test_all_succeed_is_an_empty_array(self):
        got, text, _ = self.run_ok(sqs(["a", "b"]))
        self.assertIn('"batchItemFailures":[]', text)
        self.assertEqual(got["ran"], ["m1", "m2"])
        self.assertTrue(got["ctx_ok"])

    def test_standard_sqs_unordered(self):
        got, _, err = self.run_ok(sqs(["a", "fail", "b", "fail", "c"]))
        self.assertEqual(self.ids(got), ["m2", "m4"])
        self.assertEqual(got["ran"], ["m1", "m2", "m3", "m4", "m5"])
        self.assertIn("SQS message failed (message_id m2)", err)
        self.assertIn("boom m2", err)

    def test_standard_sqs_ordered_on_request(self):
        got, _, _ = self.run_ok(sqs(["ordered", "fail", "b"]))
        self.assertEqual(self.ids(got), ["m2", "m3"])
        self.assertEqual(got["ran"], ["m1", "m2"])

    def test_fifo_stops_the_message_group(self):
        ev = sqs(["a", "fail", "b", "c", "d"], arn="arn:aws:sqs:r:1:q.fifo",
                 groups=["A", "A", "B", "A", "B"])
        got, _, err = self.run_ok(ev)
        self.assertEqual(self.ids(got), ["m2", "m4"])
        self.assertEqual(got["ran"], ["m1", "m2", "m3", "m5"])
        self.assertIn("not run", err)
        ev = sqs(["unordered", "fail", "b"], arn="arn:aws:sqs:r:1:q.fifo",
                 groups=["A", "A", "A"])
        got, _, _ = self.run_ok(ev)
        self.assertEqual(self.ids(got), ["m2"])
        self.assertEqual(got["ran"], ["m1", "m2", "m3"])

    def test_kinesis_ordered_by_default(self):
        got, _, _ = self.run_ok(kinesis(["a", "fail", "b", "c"]))
        self.assertEqual(self.ids(got), ["492", "493", "494"])
        self.assertEqual(got["ran"], ["491", "492"])
        got, _, _ = self.run_ok(kinesis(["unordered", "fail", "b"]))
        self.assertEqual(self.ids(got), ["492"])

    def test_decode_error_fails_without_running(self):
        got, _, err = self.run_ok(kinesis(["unordered", "bad!", "b"]))
        self.assertEqual(self.ids(got), ["492"])
        self.assertEqual(got["ran"], ["491", "493"])
        self.assertIn("decode error", err)
        got, _, _ = self.run_ok(kinesis(["a", "bad!", "b"]))
        self.assertEqual(self.ids(got), ["492", "493"])
        self.assertEqual(got["ran"], ["491"])

    def test_dynamodb_ordered_by_default(self):
        got, _, err = self.run_ok(dynamodb(["a", "fail", "b"]))
        self.assertEqual(self.ids(got), ["702", "703"])
        self.assertEqual(got["ran"], ["701", "702"])
        self.assertIn("DynamoDB record failed (sequence_number 702)", err)

    def test_kafka_unordered_by_default_ordered_per_partition(self):
        got, _, err = self.run_ok(kafka([(0, "a"), (0, "fail"), (0, "b"),
                                         (1, "c")]))
        self.assertEqual(self.ids(got), [{"partition": "t-0", "offset": 1}])
        self.assertEqual(got["ran"], [0, 1, 2, 3])
        self.assertIn("Kafka record failed (topic t, partition 0, offset 1)",
                      err)
        got, _, _ = self.run_ok(kafka([(0, "ordered"), (0, "fail"),
                                       (0, "b"), (1, "c")]))
        self.assertEqual(self.ids(got), [{"partition": "t-0", "offset": 1},
                                         {"partition": "t-0", "offset": 2}])
        self.assertEqual(got["ran"], [0, 1, 3])

    def test_kafka_process_old_context_form(self):
        got, _, _ = self.run_ok(kafka([(0, "ok"), (0, "fail")], "old-form"))
        self.assertEqual(got["ran"], [True, True])
        self.assertEqual(self.ids(got), [{"partition": "old-form-0",
                                          "offset": 1}])

    def test_not_a_batch_event_is_an_error(self):
        code, out, _ = invoke({"source": "s", "detail-type": "d",
                               "detail": {}})
        self.assertEqual(code, 1)
        self.assertIn("not a Kafka, SQS, Kinesis or DynamoDB event",
                      json.loads(out)["errorMessage"])


if __name__ == "__main__":
    unittest.main()
