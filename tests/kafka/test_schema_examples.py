#!/usr/bin/env python3
"""The schema-aware examples of docs/kafka.md ("Schema-aware values"), run by
the real bootstrap: each examples/kafka/schema_*/handler.lua is shown in the
doc verbatim, and its response (and printed lines) equal what is computed
here by decoding the example's event.json with Debian's python3-avro and
python3-protobuf, never copied from a previous run.

Env: LRT_BOOTSTRAP, LRT_SOURCE_DIR.
"""

import base64
import io
import json
import os
import re
import subprocess
import sys
import unittest

sys.dont_write_bytecode = True
if "/usr/lib/python3/dist-packages" not in sys.path:
    sys.path.append("/usr/lib/python3/dist-packages")
os.environ.setdefault("PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION", "python")
import avro.io  # noqa: E402
import avro.schema  # noqa: E402
from google.protobuf import descriptor_pb2, descriptor_pool  # noqa: E402
from google.protobuf import message_factory  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("LRT_SOURCE_DIR", os.path.dirname(os.path.dirname(HERE)))
BOOT = os.environ.get("LRT_BOOTSTRAP", os.path.join(SRC, "build", "bootstrap"))
EXAMPLES = os.path.join(SRC, "examples", "kafka")
NAMES = ("schema_avro_confluent", "schema_protobuf_registry",
         "schema_evolving", "schema_partial_batch")


def run(name):
    env = {k: v for k, v in os.environ.items()
           if k not in ("AWS_LAMBDA_RUNTIME_API", "_HANDLER", "LAMBDA_TASK_ROOT",
                        "AWS_LAMBDA_LOG_FORMAT", "LUA_PATH")}
    d = os.path.join(EXAMPLES, name)
    proc = subprocess.run([BOOT, "--event", os.path.join(d, "event.json"),
                           "--root", d], capture_output=True, timeout=60,
                          env=env)
    # stdout is the response alone; what the handler prints and logs is on
    # stderr: "<time>\t<request id>\t<LEVEL>\t<text>".
    lines = proc.stderr.decode().strip().split("\n")
    printed = [l.split("\t", 3)[3] for l in lines if "\tINFO\t" in l]
    return (proc.returncode, json.loads(proc.stdout), printed,
            proc.stdout + proc.stderr)


def records(name):
    with open(os.path.join(EXAMPLES, name, "event.json")) as f:
        event = json.load(f)
    out = []
    for part, recs in event["records"].items():
        for r in recs:
            r = dict(r, map_key=part)
            for k in ("key", "value"):
                if k in r:
                    r[k] = base64.b64decode(r[k])
            out.append(r)
    return out


def avro_read(name, schema, data):
    with open(os.path.join(EXAMPLES, name, "schemas", schema)) as f:
        s = avro.schema.parse(f.read())
    dec = avro.io.BinaryDecoder(io.BytesIO(data))
    return avro.io.DatumReader(s).read(dec)


class SchemaExamplesTest(unittest.TestCase):

    def test_docs_show_each_example_verbatim(self):
        with open(os.path.join(SRC, "docs", "kafka.md")) as f:
            doc = f.read()
        for n in NAMES:
            with open(os.path.join(EXAMPLES, n, "handler.lua")) as f:
                self.assertTrue("```lua\n" + f.read() + "```" in doc,
                                "%s/handler.lua is not in docs/kafka.md as is"
                                % n)

    def test_avro_confluent(self):
        rc, resp, printed, err = run("schema_avro_confluent")
        self.assertEqual(rc, 0, err)
        want_lines, total = [], 0
        recs = records("schema_avro_confluent")
        for r in recs:
            self.assertEqual(r["value"][0], 0)
            sid = int.from_bytes(r["value"][1:5], "big")
            o = avro_read("schema_avro_confluent", "order.avsc", r["value"][5:])
            want_lines.append("%s (schema %d): %s %s %d cents, note %s" % (
                r["key"].decode(), sid, o["id"], o["status"],
                o["amount_cents"], o["note"] or "-"))
            total += o["amount_cents"]
        self.assertEqual(printed, want_lines)
        self.assertEqual(resp, {"records": len(recs), "total_cents": total})

    def test_protobuf_registry(self):
        rc, resp, _, err = run("schema_protobuf_registry")
        self.assertEqual(rc, 0, err)
        fds = descriptor_pb2.FileDescriptorSet()
        with open(os.path.join(EXAMPLES, "schema_protobuf_registry", "schemas",
                               "user.pb"), "rb") as f:
            fds.ParseFromString(f.read())
        pool = descriptor_pool.DescriptorPool()
        for fd in fds.file:
            pool.Add(fd)
        desc = pool.FindMessageTypeByName("shop.User")
        cls = (message_factory.GetMessageClass(desc)
               if hasattr(message_factory, "GetMessageClass")
               else message_factory.MessageFactory(pool).GetPrototype(desc))
        want = []
        for r in records("schema_protobuf_registry"):
            data = r["value"]
            if data[0] < 0x08:  # Confluent's index [0], still in front
                self.assertEqual(data[0], 0)
                data = data[1:]
            u = cls()
            u.ParseFromString(data)
            want.append({"id": u.id, "name": u.name,
                         "tier": pool.FindEnumTypeByName(
                             "shop.Tier").values_by_number[u.tier].name,
                         "tags": len(u.tags),
                         "city": u.address.city if u.HasField("address")
                         else "(unknown)",
                         "schema_id": r["valueSchemaMetadata"]["schemaId"]})
        self.assertEqual(resp, want)

    def test_evolving(self):
        rc, resp, _, err = run("schema_evolving")
        self.assertEqual(rc, 0, err)
        want = []
        for r in records("schema_evolving"):
            sid = int.from_bytes(r["value"][1:5], "big")
            schema = {1: "order-v1.avsc", 2: "order-v2.avsc"}.get(sid)
            if schema is None:
                want.append("value of record %s offset %d: schema id %d is not "
                            "in the table of readers" % (r["map_key"],
                                                         r["offset"], sid))
                continue
            o = avro_read("schema_evolving", schema, r["value"][5:])
            want.append("%s %d %s" % (o["id"], o["amount_cents"],
                                      o.get("currency", "EUR")))
        self.assertEqual(resp, want)

    def test_partial_batch(self):
        rc, resp, _, err = run("schema_partial_batch")
        self.assertEqual(rc, 0, err)
        failed = []
        for r in records("schema_partial_batch"):
            if "value" not in r:
                continue
            try:
                o = avro_read("schema_partial_batch", "order.avsc",
                              r["value"][5:])
            except Exception:  # does not decode: reported, fn not called
                failed.append(r)
                continue
            if o["amount_cents"] < 0:
                failed.append(r)
        self.assertEqual(len(failed), 2)
        self.assertEqual(resp, {"batchItemFailures": [
            {"itemIdentifier": {"partition": r["map_key"],
                                "offset": r["offset"]}} for r in failed]})
        self.assertIn("value of record orders-0 offset 41: Avro:", err.decode())
        with open(os.path.join(SRC, "docs", "kafka.md")) as f:
            m = re.search(r"```json\n(\{\"batchItemFailures\":\[\{\"itemIdentifier"
                          r"\":\{\"offset\":41.*)\n```", f.read())
        self.assertIsNotNone(m)
        self.assertEqual(json.loads(m.group(1)), resp)


if __name__ == "__main__":
    unittest.main()
