#!/usr/bin/env python3
"""Kafka events through the real bootstrap, checked against an independent model.

Every fixture in tests/fixtures/kafka (real events from other projects) and
tests/fixtures/kafka-synthetic (one per rule) is run through
`bootstrap --event F --root handlers --handler dump`. The dump handler
(handlers/dump.lua) returns the event exactly as Lua sees it, bytes as hex.
This file computes what Lua must see from the JSON alone (its own base64
decoder and the rules of docs/kafka.md) and compares field by field.

Then: every bad-input rule gives exit 1 with errorType Kafka.InvalidEvent and
a message naming the record and field; a bad event in the Runtime API loop
does not stop the next one; a batch of Lambda's maximum size decodes; and the
kafka helper module (header, headers, json, by_topic, process) behaves as the
contract says, partial batch response included.

Env: LRT_BOOTSTRAP (the built bootstrap), LRT_SOURCE_DIR (repo root).
"""

import json
import re
import os
import random
import subprocess
import sys
import tempfile
import unittest

sys.dont_write_bytecode = True  # no __pycache__ in the source tree

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("LRT_SOURCE_DIR") or os.path.dirname(os.path.dirname(HERE))
BOOT = os.environ.get("LRT_BOOTSTRAP") or os.path.join(SRC, "build", "bootstrap")
HANDLERS = os.path.join(HERE, "handlers")
FIXTURES = os.path.join(SRC, "tests", "fixtures", "kafka")
SYNTHETIC = os.path.join(SRC, "tests", "fixtures", "kafka-synthetic")
SANITIZE = os.environ.get("LRT_SANITIZE") == "1"
TIMEOUT = 120 if SANITIZE else 30

sys.path.insert(0, os.path.join(SRC, "tests", "integration"))


# ---- the model: what Lua must see, computed from the JSON ----------------

class Bad(Exception):
    """The event breaks a rule: the runtime must reject it."""


B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def b64(text):
    """Standard alphabet; up to two '=' at the end, only where a full
    quantum would have them; non-zero trailing bits ignored. A bit-string
    decoder, deliberately unlike the C one."""
    n, pad = len(text), 0
    while pad < 2 and n > 0 and text[n - 1] == "=":
        n, pad = n - 1, pad + 1
    body = text[:n]
    for c in body:
        if c not in B64:
            raise Bad("base64 alphabet")
    if n % 4 == 1:
        raise Bad("base64 length")
    if pad and (n % 4 == 0 or pad > 4 - n % 4):
        raise Bad("base64 padding")
    bits = "".join(format(B64.index(c), "06b") for c in body)
    return bytes(int(bits[i:i + 8], 2) for i in range(0, len(bits) // 8 * 8, 8))


def as_int(v):
    """JSON number -> Lua integer, as a parser storing doubles sees it."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise Bad("not a number")
    d = float(v)  # cJSON keeps a double: exact only up to 2^53
    if not d.is_integer() or not -2.0**63 <= d < 2.0**63:
        raise Bad("not integral")
    return int(d)


def opt_str(obj, name):
    v = obj.get(name)
    if v is None:
        return None
    if not isinstance(v, str):
        raise Bad(name)
    return v


def header_value(v):
    if v is None:
        return b""
    if isinstance(v, str):
        return b64(v)  # Jackson's byte[] form
    if not isinstance(v, list):
        raise Bad("header value")
    out = bytearray()
    for b in v:
        b = as_int(b)
        if not -128 <= b <= 255:
            raise Bad("header byte")
        out.append(b & 0xFF)
    return bytes(out)


def headers(v):
    if v is None:
        return []
    if not isinstance(v, list):
        raise Bad("headers")
    out = []
    for e in v:
        if not isinstance(e, dict):
            raise Bad("header entry")
        if set(e) == {"key", "value"} and isinstance(e["key"], str):
            val = e["value"]
            out.append((e["key"], val.encode() if isinstance(val, str)
                        else header_value(val)))
        else:
            out.extend((k, header_value(val)) for k, val in e.items())
    return out


def schema(v):
    if v is None:
        return None
    if not isinstance(v, dict):
        raise Bad("schema")
    sid = v.get("schemaId")
    if sid is not None and not isinstance(sid, str):
        sid = as_int(sid)
    return {"data_format": opt_str(v, "dataFormat"), "schema_id": sid}


def expected_event(ev):
    src = ev["eventSource"]
    records = ev.get("records")
    if not isinstance(records, dict):
        raise Bad("records")
    out = []
    for map_key, arr in records.items():
        if not isinstance(arr, list):
            raise Bad("partition entry")
        for r in arr:
            if not isinstance(r, dict):
                raise Bad("record")
            topic = r.get("topic")
            if not isinstance(topic, str):
                raise Bad("topic")
            key, value = r.get("key"), r.get("value")
            for x in (key, value):
                if x is not None and not isinstance(x, str):
                    raise Bad("key/value")
            out.append({
                "topic": topic,
                "partition": as_int(r.get("partition")),
                "offset": as_int(r.get("offset")),
                "timestamp": None if r.get("timestamp") is None
                else as_int(r["timestamp"]),
                "timestamp_type": opt_str(r, "timestampType"),
                "key": None if key is None else b64(key),
                "value": None if value is None else b64(value),
                "headers": headers(r.get("headers")),
                "key_schema_metadata": schema(r.get("keySchemaMetadata")),
                "value_schema_metadata": schema(r.get("valueSchemaMetadata")),
                "topic_partition": map_key,
            })
    return {
        "event_source": "SelfManagedKafka" if src == "aws:SelfManagedKafka"
        else src,
        "event_source_arn": opt_str(ev, "eventSourceArn"),
        "bootstrap_servers": opt_str(ev, "bootstrapServers"),
        "records": out,
    }


def load_event(path):
    with open(path, "rb") as f:
        data = f.read()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    return json.loads(data)


def event_files():
    out = []
    for d in (FIXTURES, SYNTHETIC):
        for name in sorted(os.listdir(d)):
            if name.endswith(".json") and "_response" not in name:
                out.append(os.path.join(d, name))
    return out


# ---- running the binary ---------------------------------------------------

# print() writes an INFO record: "<timestamp>\t<request id>\tINFO\t<text>".
PRINT_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\t"
                      r"(?:[0-9a-f-]{36}\t)?INFO\t(.*)$", re.S)


def printed_text(line):
    """The text a handler printed, from its TEXT log record (other lines as
    they are)."""
    m = PRINT_RE.match(line)
    return m.group(1) if m else line


class Result:
    def __init__(self, proc):
        self.rc = proc.returncode
        self.stdout = proc.stdout.decode("utf-8", "replace")
        self.stderr = proc.stderr.decode("utf-8", "replace")
        # stdout is the response alone; what the handler printed is on
        # stderr, with the runtime's own lines.
        self.lines = self.stdout.splitlines()
        if len(self.lines) > 1:
            raise AssertionError("more than the response on stdout: %r"
                                 % self.lines)
        self.last = self.lines[-1] if self.lines else ""
        self.printed = [printed_text(l) for l in self.stderr.splitlines()]

    def json(self):
        return json.loads(self.last)


def invoke(handler, event_path=None, event_bytes=None, root=HANDLERS, env=None):
    args = [BOOT, "--event", event_path or "-", "--root", root,
            "--handler", handler]
    e = dict(os.environ)
    for k in ("AWS_LAMBDA_RUNTIME_API", "_HANDLER", "LAMBDA_TASK_ROOT",
              "AWS_LAMBDA_LOG_FORMAT", "AWS_LAMBDA_LOG_LEVEL", "LUA_PATH"):
        e.pop(k, None)
    e.update(env or {})
    proc = subprocess.run(args, input=event_bytes, capture_output=True,
                          timeout=TIMEOUT, env=e)
    return Result(proc)


def needs_binary(cls):
    if not os.access(BOOT, os.X_OK):
        return unittest.skip("no bootstrap at %s" % BOOT)(cls)
    return cls


def hexb(b):
    return None if b is None else b.hex()


RECORD_KEYS = ("topic", "partition", "offset", "timestamp", "timestamp_type",
               "key", "value", "headers", "key_schema_metadata",
               "value_schema_metadata", "topic_partition")


# ---- tests ----------------------------------------------------------------

class ModelSelfTest(unittest.TestCase):
    """The model's base64 against Python's own, so the model can be trusted."""

    def test_b64_matches_stdlib_on_canonical_input(self):
        import base64
        rnd = random.Random(7)
        for n in range(0, 70):
            data = bytes(rnd.randrange(256) for _ in range(n))
            text = base64.b64encode(data).decode()
            self.assertEqual(b64(text), data)
            self.assertEqual(b64(text.rstrip("=")), data)

    def test_b64_rules(self):
        self.assertEqual(b64("QR=="), b"A")
        for bad in ("Q", "QUJD=", "Zm8==", "Zg===", "ab-_", "ab c", "=", "=="):
            with self.assertRaises(Bad, msg=bad):
                b64(bad)


@needs_binary
class FixtureDecodeTest(unittest.TestCase):
    """Each fixture, every field, against the model."""

    def check_event(self, path):
        ev = load_event(path)
        want = expected_event(ev)
        res = invoke("dump", path)
        self.assertEqual(res.rc, 0, res.stdout + res.stderr)
        got = res.json()
        self.assertEqual(got["event_source"], want["event_source"])
        self.assertEqual(got["event_source_arn"], want["event_source_arn"])
        self.assertEqual(got["bootstrap_servers"], want["bootstrap_servers"])
        self.assertEqual(sorted(got["fields"]), sorted(
            ["event_source", "records"]
            + [k for k in ("event_source_arn", "bootstrap_servers")
               if want[k] is not None]))
        self.assertEqual(got["records_len"], len(want["records"]))
        self.assertEqual(len(got["records"]), len(want["records"]))
        for i, (g, w) in enumerate(zip(got["records"], want["records"])):
            with self.subTest(record=i + 1):
                self.check_record(g, w)
        return want

    def check_record(self, g, w):
        for k in ("topic", "partition", "offset", "timestamp",
                  "timestamp_type", "topic_partition"):
            self.assertEqual(g[k], w[k], k)
        for k in ("partition", "offset"):
            self.assertEqual(g["types"][k], "integer", k)
        self.assertEqual(g["types"]["timestamp"],
                         "nil" if w["timestamp"] is None else "integer")
        self.assertEqual(g["key"], hexb(w["key"]))
        self.assertEqual(g["value"], hexb(w["value"]))
        self.assertEqual(g["headers_len"], len(w["headers"]))
        self.assertEqual([(h["key"], h["value"]) for h in g["headers"]],
                         [(k, v.hex()) for k, v in w["headers"]])
        for h in g["headers"]:
            self.assertEqual(sorted(h["fields"]), ["key", "value"])
        for k in ("key_schema_metadata", "value_schema_metadata"):
            if w[k] is None:
                self.assertIsNone(g[k], k)
            else:
                self.assertEqual(g[k]["data_format"], w[k]["data_format"])
                self.assertEqual(g[k]["schema_id"], w[k]["schema_id"])
                self.assertEqual(sorted(g[k]["fields"]), sorted(
                    f for f in ("data_format", "schema_id")
                    if w[k][f] is not None))
        self.assertEqual(sorted(g["fields"]), sorted(
            k for k in RECORD_KEYS if w[k] is not None))

    def test_every_real_fixture(self):
        files = [p for p in event_files() if os.path.dirname(p) == FIXTURES]
        self.assertEqual(len(files), 28)
        for path in files:
            with self.subTest(fixture=os.path.basename(path)):
                self.check_event(path)

    def test_every_synthetic_fixture(self):
        files = [p for p in event_files() if os.path.dirname(p) == SYNTHETIC]
        self.assertGreaterEqual(len(files), 7)
        for path in files:
            with self.subTest(fixture=os.path.basename(path)):
                self.check_event(path)

    # Rule-by-rule checks on the synthetic fixtures, so a failure names the
    # rule (the model above already covers them wholesale).

    def dump(self, name):
        res = invoke("dump", os.path.join(SYNTHETIC, name))
        self.assertEqual(res.rc, 0, res.stdout + res.stderr)
        return res.json()

    def test_delivery_order_and_map_key(self):
        got = self.dump("multi-partition.json")
        self.assertEqual(
            [(r["topic_partition"], r["offset"]) for r in got["records"]],
            [("orders.v1-eu-3", 100), ("orders.v1-eu-3", 101), ("users-0", 7),
             ("orders.v1-eu-1", 5), ("remapped-0", 0)])
        self.assertEqual(got["records"][4]["partition"], 12)
        self.assertEqual(got["records"][0]["topic"], "orders.v1-eu")

    def test_key_and_value_nil_empty_binary(self):
        rs = self.dump("key-value-forms.json")["records"]
        self.assertEqual([r["key"] for r in rs],
                         ["6b6579", None, None, "", "6b6579", "6b6579",
                          "000102ff00fe"])
        self.assertEqual([r["value"] for r in rs],
                         ["76616c7565", "76616c7565", "76616c7565", "", None,
                          None, "fffefd0001028080" "81c0c1e0e1f0f1f8f9fcfdfeff"])
        self.assertNotIn("key", rs[1]["fields"])
        self.assertNotIn("value", rs[4]["fields"])

    def test_signed_header_bytes_and_forms(self):
        rs = self.dump("headers.json")["records"]
        h = [(x["key"], x["value"]) for x in rs[0]["headers"]]
        self.assertEqual(h[0], ("signed", "80ffc3ab007f"))
        self.assertEqual(h[1], ("unsigned", "80ffc3ab00"))
        self.assertEqual([k for k, _ in h],
                         ["signed", "unsigned", "dup", "Message-Type", "dup",
                          "empty", "nul", "version"])
        self.assertEqual(h[2][1], "31")
        self.assertEqual(h[4][1], "32")
        self.assertEqual(h[7][1], "000000000000012c")
        h2 = [(x["key"], x["value"]) for x in rs[1]["headers"]]
        self.assertEqual(h2, [("message-type", b"standard".hex()),
                              ("bytes-form", "6869"),
                              ("b64", b"headerValue".hex()),
                              ("first", "61"), ("second", "62"),
                              ("key", "6b")])
        for r in rs[2:]:
            self.assertEqual(r["headers"], [])
            self.assertEqual(r["headers_len"], 0)

    def test_two_pow_53(self):
        rs = self.dump("integers.json")["records"]
        self.assertEqual(rs[0]["offset"], 9007199254740992)
        self.assertEqual(rs[0]["timestamp"], 9007199254740991)
        # 2^53 + 1 is not a double: documented rounding to 2^53.
        self.assertEqual(rs[1]["offset"], 9007199254740992)
        self.assertEqual(rs[1]["timestamp"], 1000)
        self.assertEqual(rs[1]["types"]["timestamp"], "integer")
        self.assertEqual(rs[0]["partition"], 2147483647)
        for r in rs[2:]:
            self.assertIsNone(r["timestamp"])
            self.assertIsNone(r["timestamp_type"])

    def test_self_managed_normalised(self):
        got = self.dump("integers.json")
        self.assertEqual(got["event_source"], "SelfManagedKafka")
        self.assertIsNone(got["event_source_arn"])
        self.assertIsNone(got["bootstrap_servers"])

    def test_lenient_base64(self):
        rs = self.dump("base64-lenient.json")["records"]
        self.assertEqual(rs[0]["value"], "41")  # "QR==": trailing bits 0001
        self.assertEqual((rs[1]["key"], rs[1]["value"]), ("41", "4142"))
        self.assertEqual((rs[2]["key"], rs[2]["value"]), ("41", "414243"))
        self.assertEqual((rs[3]["key"], rs[3]["value"]), ("4142", "41424344"))
        self.assertEqual(bytes.fromhex(rs[4]["value"]), b"Hello, world!")

    def test_bom_and_stdin(self):
        path = os.path.join(FIXTURES, "aws__aws-lambda-dotnet__kafka-event.json")
        with open(path, "rb") as f:
            data = f.read()
        self.assertTrue(data.startswith(b"\xef\xbb\xbf"))
        res = invoke("dump", event_bytes=data)
        self.assertEqual(res.rc, 0, res.stdout + res.stderr)
        self.assertEqual(res.json()["records"][0]["partition"], 12)


# Bad events: (name, records JSON or whole event, message parts).
def ev(records):
    return ('{"eventSource":"aws:kafka","eventSourceArn":"arn",'
            '"records":%s}' % records)


def rec(extra):
    return ev('{"t-0":[{"topic":"t","partition":0,"offset":1,"value":"eA=="},'
              '{"topic":"t","partition":0,"offset":42%s}]}' % extra)


BAD_EVENTS = [
    ("records array", ev("[]"), ["records", "must be an object"]),
    ("records missing", '{"eventSource":"SelfManagedKafka"}', ["records"]),
    ("records string", ev('"x"'), ["records", "got a string"]),
    ("partition entry", ev('{"t-0":{"topic":"t"}}'),
     ['"t-0"', "partition entry", "array"]),
    ("record not object", ev('{"t-0":[[]]}'),
     ['record "t-0" #1', "must be an object"]),
    ("topic missing", ev('{"t-0":[{"partition":0,"offset":9}]}'),
     ['"t-0"', "offset 9", "topic"]),
    ("topic number", ev('{"t-0":[{"topic":"t","partition":0,"offset":1},'
                        '{"topic":5,"partition":0,"offset":42}]}'),
     ['"t-0" #2', "offset 42", "topic", "must be a string"]),
    ("offset string", ev('{"t-0":[{"topic":"t","partition":0,"offset":"1"}]}'),
     ['"t-0" #1', "offset", "got a string"]),
    ("offset fraction", ev('{"t-0":[{"topic":"t","partition":0,"offset":2.5}]}'),
     ["offset", "integer"]),
    ("partition bool", ev('{"t-0":[{"topic":"t","partition":true,"offset":3}]}'),
     ["offset 3", "partition", "got a boolean"]),
    ("partition fraction",
     ev('{"t-0":[{"topic":"t","partition":0.5,"offset":3}]}'),
     ["offset 3", "partition", "integer"]),
    ("timestamp string", rec(',"timestamp":"2024"'),
     ["offset 42", "timestamp", "got a string"]),
    ("timestampType number", rec(',"timestampType":3'),
     ["offset 42", "timestampType", "string"]),
    ("key number", rec(',"key":5'), ["offset 42", "key", "base64"]),
    ("value object", rec(',"value":{}'), ["offset 42", "value", "got an object"]),
    ("value bad char", rec(',"value":"SGVsbG8*"'),
     ["offset 42", "value", "invalid base64 at position 7"]),
    ("value url-safe", rec(',"value":"SGV-bG8_"'),
     ["offset 42", "value", "invalid base64 at position 3"]),
    ("key whitespace", rec(',"key":"SGVs bG8="'),
     ["offset 42", "key", "invalid base64 at position 4"]),
    ("value lone char", rec(',"value":"SGVsb"'),
     ["offset 42", "value", "invalid base64"]),
    ("value extra padding", rec(',"value":"SGVs="'),
     ["offset 42", "value", "invalid base64"]),
    ("headers object", rec(',"headers":{"a":[1]}'),
     ["offset 42", "headers", "must be an array"]),
    ("header entry string", rec(',"headers":[{"a":[1]},"b"]'),
     ["offset 42", "headers[2]", "must be an object"]),
    ("header byte 256", rec(',"headers":[{"h":[1,2,256]}]'),
     ["offset 42", "headers[1]", '"h" byte 3', "256", "-128..255"]),
    ("header byte -129", rec(',"headers":[{"h":[-129]}]'),
     ["offset 42", "headers[1]", "-129", "-128..255"]),
    ("header byte fraction", rec(',"headers":[{"h":[1.5]}]'),
     ["offset 42", "headers[1]", "1.5"]),
    ("header byte string", rec(',"headers":[{"h":["7"]}]'),
     ["offset 42", "headers[1]", "must be a number"]),
    ("header value number", rec(',"headers":[{"h":7}]'),
     ["offset 42", 'headers[1] "h"', "array of bytes"]),
    ("header base64 bad", rec(',"headers":[{"h":"a b"}]'),
     ["offset 42", 'headers[1] "h"', "invalid base64"]),
    ("schema string", rec(',"valueSchemaMetadata":"AVRO"'),
     ["offset 42", "valueSchemaMetadata", "must be an object"]),
    ("schema format number", rec(',"keySchemaMetadata":{"dataFormat":2}'),
     ["offset 42", "keySchemaMetadata.dataFormat"]),
    ("arn number", '{"eventSource":"aws:kafka","eventSourceArn":1,'
     '"records":{}}', ["eventSourceArn", "must be a string"]),
    ("servers array", '{"eventSource":"aws:kafka","bootstrapServers":["a"],'
     '"records":{}}', ["bootstrapServers", "must be a string"]),
]


@needs_binary
class BadEventTest(unittest.TestCase):

    def test_every_bad_event_is_an_invocation_error(self):
        for name, text, parts in BAD_EVENTS:
            with self.subTest(case=name):
                with self.assertRaises(Bad):
                    expected_event(json.loads(text))
                res = invoke("dump", event_bytes=text.encode())
                self.assertEqual(res.rc, 1, res.stdout + res.stderr)
                err = res.json()
                self.assertEqual(err["errorType"], "Kafka.InvalidEvent", err)
                for p in parts:
                    self.assertIn(p, err["errorMessage"])
                self.assertIsInstance(err.get("stackTrace"), list)
                self.assertNotIn("AddressSanitizer", res.stderr)

    def test_error_message_never_carries_value_bytes(self):
        secret = "c2VjcmV0LXBhc3N3b3JkLTEyMzQ1Njc4"
        res = invoke("dump", event_bytes=rec(',"value":"%s!"' % secret).encode())
        self.assertEqual(res.rc, 1)
        self.assertNotIn(secret[:12], res.stdout + res.stderr)
        self.assertIn("position %d" % len(secret), res.json()["errorMessage"])

    def test_truncated_json(self):
        path = os.path.join(FIXTURES, "aws__aws-lambda-go__kafka-event.json")
        with open(path, "rb") as f:
            data = f.read()
        res = invoke("dump", event_bytes=data[: len(data) // 2])
        self.assertEqual(res.rc, 1, res.stdout + res.stderr)
        err = res.json()
        self.assertEqual(err["errorType"], "Runtime.InvalidEvent")
        self.assertNotEqual(err["errorMessage"], "")

    def test_bad_event_then_good_event_in_runtime_loop(self):
        """In the Runtime API loop a bad event is an invocation error and the
        next event is served normally."""
        from mock_runtime_api import MockRuntimeAPI
        good = os.path.join(FIXTURES, "aws__aws-lambda-go__kafka-event.json")
        with open(good, "rb") as f:
            good_body = f.read()
        with MockRuntimeAPI() as api:
            bad_id = api.push_event(rec(',"value":"*"').encode())
            trunc_id = api.push_event(good_body[:40])
            good_id = api.push_event(good_body)
            env = dict(os.environ)
            env.update({"AWS_LAMBDA_RUNTIME_API": api.endpoint,
                        "_HANDLER": "dump", "LAMBDA_TASK_ROOT": HANDLERS})
            proc = subprocess.Popen([BOOT], env=env, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE)
            try:
                api.wait_for_posts(3, timeout=TIMEOUT)
            finally:
                proc.terminate()
                try:
                    proc.communicate(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.communicate()
            posts = {p.request_id: p for p in api.get_posts()}
        self.assertEqual(posts[bad_id].kind, "error")
        self.assertEqual(posts[bad_id].json()["errorType"], "Kafka.InvalidEvent")
        self.assertEqual(
            posts[bad_id].headers.get("Lambda-Runtime-Function-Error-Type"),
            "Kafka.InvalidEvent")
        self.assertEqual(posts[trunc_id].kind, "error")
        self.assertEqual(posts[good_id].kind, "response")
        got = posts[good_id].json()
        self.assertEqual(got["records"][0]["topic"], "AWSKafkaTopic")


@needs_binary
class LargeBatchTest(unittest.TestCase):
    """A batch at Lambda's limits: 8,000 records, ~6 MB of JSON."""

    def test_max_batch(self):
        import base64
        rnd = random.Random(1)
        parts = {}
        values = []
        for i in range(8000):
            size = rnd.choice((0, 1, 2, 3, 100, 500, 700, 1200))
            v = bytes(rnd.randrange(256) for _ in range(size)) if i % 50 == 0 \
                else bytes([i % 256]) * size
            values.append(v)
            key = "topic.%d-%d" % (i % 3, i % 5)
            parts.setdefault(key, []).append({
                "topic": "topic.%d" % (i % 3), "partition": i % 5,
                "offset": 10**12 + i, "timestamp": 1700000000000 + i,
                "timestampType": "CREATE_TIME",
                "key": base64.b64encode(b"k%d" % i).decode(),
                "value": base64.b64encode(v).decode(),
                "headers": [{"n": [i % 256 - 128, 1]}]})
        body = json.dumps({"eventSource": "aws:kafka",
                           "eventSourceArn": "arn:x", "bootstrapServers": "b:1",
                           "records": parts}).encode()
        self.assertGreater(len(body), 4_000_000)
        order = [(k, r["offset"]) for k, rs in parts.items() for r in rs]
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "big.json")
            with open(path, "wb") as f:
                f.write(body)
            res = invoke("summary", path)
        self.assertEqual(res.rc, 0, res.stderr[-2000:])
        got = res.json()
        self.assertEqual(got["count"], 8000)
        by_off = {10**12 + i: v for i, v in enumerate(values)}
        self.assertEqual(got["value_bytes"], sum(len(v) for v in values))
        self.assertEqual(got["key_bytes"],
                         sum(len(b"k%d" % i) for i in range(8000)))
        for idx, (tp, off, hexval, hdr) in got["samples"].items():
            k, o = order[int(idx) - 1]
            self.assertEqual((tp, off), (k, o))
            self.assertEqual(hexval, by_off[off].hex())
            i = off - 10**12
            self.assertEqual(hdr, bytes([(i % 256 - 128) & 0xFF, 1]).hex())


def model_helpers(want):
    """What handlers/helpers.lua must return for an expected event."""
    recs = []
    for r in want["records"]:
        names = {}
        for k, v in r["headers"]:
            names.setdefault(k, v.hex())
        lookups = {}
        for k, _ in r["headers"]:
            for n in (k, k.upper(), k.lower()):
                first = next(v for hk, v in r["headers"]
                             if hk.lower() == n.lower())
                lookups[n] = first.hex()
        decoded, err = None, False
        if r["value"] is None:
            err = True
        else:
            try:
                decoded = json.loads(r["value"].decode("utf-8"),
                                     parse_constant=lambda c: 1 / 0)
            except (ValueError, ZeroDivisionError):
                err = True
        recs.append({"headers": names, "header": lookups, "json": decoded,
                     "json_error": err, "json_nil": err})
    groups = {}
    for r in want["records"]:
        groups.setdefault(r["topic"], []).append(
            [r["topic_partition"], r["offset"]])
    return {"records": recs, "by_topic": groups}


@needs_binary
class HelperTest(unittest.TestCase):
    """The kafka module: header, headers, json, by_topic."""

    def test_helpers_on_every_fixture(self):
        for path in event_files():
            with self.subTest(fixture=os.path.basename(path)):
                want = model_helpers(expected_event(load_event(path)))
                res = invoke("helpers", path)
                self.assertEqual(res.rc, 0, res.stdout + res.stderr)
                got = res.json()
                self.assertEqual(got["by_topic"], want["by_topic"])
                self.assertEqual(len(got["records"]), len(want["records"]))
                for i, (g, w) in enumerate(zip(got["records"],
                                               want["records"])):
                    with self.subTest(record=i + 1):
                        self.assertEqual(g["headers"], w["headers"])
                        self.assertEqual(g["header"], w["header"])
                        self.assertIsNone(g["missing"])
                        self.assertEqual(g["json_error"], w["json_error"])
                        self.assertEqual(g["json_nil"], w["json_nil"])
                        if not w["json_error"]:
                            self.assertEqual(g["json"], w["json"])

    def test_header_case_insensitive_first_match(self):
        res = invoke("helpers", os.path.join(SYNTHETIC, "headers.json"))
        self.assertEqual(res.rc, 0, res.stderr)
        r1 = res.json()["records"][0]
        self.assertEqual(r1["header"]["message-type"], b"priority".hex())
        self.assertEqual(r1["header"]["MESSAGE-TYPE"], b"priority".hex())
        self.assertEqual(r1["header"]["dup"], "31")  # first of two
        self.assertEqual(r1["headers"]["dup"], "31")
        self.assertEqual(r1["headers"]["Message-Type"], b"priority".hex())
        self.assertNotIn("message-type", r1["headers"])  # spelling kept

    def test_json_valid_and_invalid(self):
        res = invoke("helpers", os.path.join(SYNTHETIC, "key-value-forms.json"))
        self.assertEqual(res.rc, 0, res.stderr)
        rs = res.json()["records"]
        # "value" is not JSON; "" is not JSON; nil has no value.
        self.assertTrue(rs[0]["json_error"])
        self.assertTrue(rs[3]["json_error"])
        self.assertTrue(rs[4]["json_error"])
        res = invoke("helpers", os.path.join(
            FIXTURES, "aws-powertools__powertools-lambda-python__kafkaEventMsk.json"))
        self.assertEqual(res.json()["records"][0]["json"], {"key": "value"})
        self.assertFalse(res.json()["records"][0]["json_error"])


PROCESS_EVENT = {
    "eventSource": "aws:kafka", "eventSourceArn": "arn:x",
    "bootstrapServers": "b:1",
    "records": {
        "orders-0": [
            {"topic": "orders", "partition": 0, "offset": o,
             "timestamp": 1, "timestampType": "CREATE_TIME",
             "value": None, "headers": []} for o in (1, 2, 3)],
        "orders.eu-1": [
            {"topic": "orders.eu", "partition": 1, "offset": o,
             "timestamp": 1, "timestampType": "CREATE_TIME",
             "value": None, "headers": []} for o in (9007199254740000, 41)],
    },
}


def process_event(fail):
    """PROCESS_EVENT with record values {"fail": fail.get((key, offset))}."""
    import base64
    ev = json.loads(json.dumps(PROCESS_EVENT))
    for key, rs in ev["records"].items():
        for r in rs:
            v = {"fail": fail.get((key, r["offset"]), False)}
            r["value"] = base64.b64encode(json.dumps(v).encode()).decode()
    return json.dumps(ev).encode()


@needs_binary
class ProcessTest(unittest.TestCase):
    """kafka.process: partial batch responses."""

    def run_process(self, fail):
        res = invoke("process", event_bytes=process_event(fail))
        self.assertEqual(res.rc, 0, res.stdout + res.stderr)
        handled = [l for l in res.printed if l.startswith("handled ")]
        # Every record ran, failures or not, in delivery order.
        self.assertEqual(handled, [
            "handled orders-0 1", "handled orders-0 2", "handled orders-0 3",
            "handled orders.eu-1 9007199254740000", "handled orders.eu-1 41"])
        return res

    def test_all_succeed_gives_empty_json_array(self):
        res = self.run_process({})
        self.assertEqual(res.json(), {"batchItemFailures": []})
        self.assertRegex(res.last.replace(" ", ""), r'"batchItemFailures":\[\]')
        self.assertNotIn("Kafka record failed", res.stderr)

    def test_failures_reported_by_map_key_and_offset(self):
        res = self.run_process({("orders-0", 2): True,
                                ("orders.eu-1", 9007199254740000): "table",
                                ("orders.eu-1", 41): True})
        self.assertEqual(res.json(), {"batchItemFailures": [
            {"itemIdentifier": {"partition": "orders-0", "offset": 2}},
            {"itemIdentifier": {"partition": "orders.eu-1",
                                "offset": 9007199254740000}},
            {"itemIdentifier": {"partition": "orders.eu-1", "offset": 41}},
        ]})
        # The offset is a JSON integer, not a float or string.
        self.assertIn('"offset":9007199254740000', res.last.replace(" ", ""))
        errors = [l for l in (res.stdout + res.stderr).splitlines()
                  if "Kafka record failed" in l]
        self.assertEqual(len(errors), 3, errors)
        self.assertIn("ERROR", errors[0])
        self.assertIn("topic orders", errors[0])
        self.assertIn("partition 0", errors[0])
        self.assertIn("offset 2", errors[0])
        self.assertIn("boom at 2", errors[0])
        self.assertIn("table error 9007199254740000", errors[1])
        self.assertIn("partition 1", errors[2])

    def test_failure_fields_in_json_logs(self):
        res = invoke("process", event_bytes=process_event({("orders-0", 3): True}),
                     env={"AWS_LAMBDA_LOG_FORMAT": "JSON"})
        self.assertEqual(res.rc, 0, res.stdout + res.stderr)
        self.assertEqual(res.json(), {"batchItemFailures": [
            {"itemIdentifier": {"partition": "orders-0", "offset": 3}}]})
        logs = []
        for line in (res.stdout + res.stderr).splitlines():
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if isinstance(obj, dict) and "Kafka record failed" in str(
                    obj.get("message")):
                logs.append(obj)
        self.assertEqual(len(logs), 1)
        self.assertEqual(logs[0]["level"], "ERROR")
        self.assertEqual(logs[0]["topic"], "orders")
        self.assertEqual(logs[0]["partition"], 0)
        self.assertEqual(logs[0]["offset"], 3)
        self.assertEqual(logs[0]["topic_partition"], "orders-0")


if __name__ == "__main__":
    unittest.main()
