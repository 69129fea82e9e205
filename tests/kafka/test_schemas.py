#!/usr/bin/env python3
"""Schema-aware Kafka values (contract "Schema-aware values"), end to end.

The real bootstrap decodes Kafka events whose values (and keys) are Avro,
Protobuf or JSON, framed every way the contract lists, and the handler
(handlers/schema_dump.lua) returns what Lua sees. Checked against:
  - the Powertools fixtures in tests/fixtures/kafka, field by field against
    tests/fixtures/schemas/EXPECTED.json (decoded by python3-avro and
    python3-protobuf, not by us);
  - payloads written here by independent encoders (Debian's python3-avro,
    python3-protobuf over a descriptor set protoc writes in the test),
    wrapped in every framing;
  - hostile payloads (truncated, lengths past the end, a zlib bomb, deep
    recursion, a billion-item count, unknown ids, wrong magic): decode
    errors on that record only, never a failed batch;
  - init errors for bad schemas and options.

Env: LRT_BOOTSTRAP, LRT_SOURCE_DIR.
"""

import base64
import datetime
import io
import json
import math
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest
import zlib

sys.dont_write_bytecode = True
# Debian's python3-avro and python3-protobuf, whichever python3 runs this
# (the pure-Python protobuf runtime works on any 3.x).
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
FIXTURES = os.path.join(SRC, "tests", "fixtures")
SCHEMAS = os.path.join(FIXTURES, "schemas")
HANDLER = os.path.join(HERE, "handlers", "schema_dump.lua")
TIMEOUT = 120
UUID = "574f6a9a-9548-4dea-86a3-d82c0479a116"
UUID_BYTES = bytes.fromhex(UUID.replace("-", ""))


# ==== Running the bootstrap ====

class Root:
    """A task root with the dump handler and the given schema files."""

    def __init__(self, files=()):
        self.dir = tempfile.mkdtemp(prefix="lrt-schemas-")
        shutil.copy(HANDLER, os.path.join(self.dir, "handler.lua"))
        for f in files:
            shutil.copy(f, self.dir)

    def path(self, name):
        return os.path.join(self.dir, name)

    def write(self, name, data):
        mode = "wb" if isinstance(data, bytes) else "w"
        with open(self.path(name), mode) as f:
            f.write(data)

    def run(self, spec, event):
        ev = self.path("event.json")
        if isinstance(event, str):
            ev = event
        else:
            with open(ev, "w") as f:
                json.dump(event, f)
        env = dict(os.environ)
        for k in ("AWS_LAMBDA_RUNTIME_API", "_HANDLER", "LAMBDA_TASK_ROOT",
                  "LUA_PATH", "AWS_LAMBDA_LOG_FORMAT"):
            env.pop(k, None)
        env["T_SPEC"] = json.dumps(spec)
        proc = subprocess.run(
            [BOOT, "--event", ev, "--root", self.dir, "--handler", "handler"],
            capture_output=True, timeout=TIMEOUT, env=env)
        return proc

    def records(self, spec, event):
        proc = self.run(spec, event)
        if proc.returncode != 0:
            raise AssertionError("exit %d\nstdout: %s\nstderr: %s" % (
                proc.returncode, proc.stdout.decode(errors="replace"),
                proc.stderr.decode(errors="replace")[-3000:]))
        # The last line: log lines (kafka.process logs each failure) come
        # before it.
        return json.loads(proc.stdout.strip().split(b"\n")[-1])

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def kafka_event(records, topic="orders", partition=0):
    """A Lambda MSK event; records are (value bytes, key bytes or None,
    value metadata or None[, key metadata])."""
    out = []
    for i, rec in enumerate(records):
        value, key, meta = rec[0], rec[1], rec[2]
        r = {"topic": topic, "partition": partition, "offset": 100 + i,
             "timestamp": 1700000000000, "timestampType": "CREATE_TIME",
             "headers": []}
        if value is not None:
            r["value"] = base64.b64encode(value).decode()
        if key is not None:
            r["key"] = base64.b64encode(key).decode()
        if meta is not None:
            r["valueSchemaMetadata"] = meta
        if len(rec) > 3 and rec[3] is not None:
            r["keySchemaMetadata"] = rec[3]
        out.append(r)
    return {"eventSource": "aws:kafka",
            "eventSourceArn": "arn:aws:kafka:us-east-1:123456789012:cluster/c/1",
            "bootstrapServers": "b-1:9092",
            "records": {"%s-%d" % (topic, partition): out}}


def lua_view(v):
    """What schema_dump.lua returns for a decoded Python value."""
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, float):
        return {"float": v}
    if isinstance(v, int):
        return v
    if isinstance(v, bytes):
        v = v.decode("latin-1")
    if isinstance(v, str):
        if any(ord(c) < 32 or ord(c) > 126 for c in v):
            return "hex:" + v.encode("latin-1" if all(
                ord(c) < 256 for c in v) else "utf-8").hex()
        return v
    if isinstance(v, dict):
        return {k: lua_view(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [lua_view(x) for x in v]
    raise TypeError(type(v))


def same(a, b):
    """Deep equality; floats to float32 precision; {} and [] alike (an empty
    Lua table encodes as either)."""
    if isinstance(a, dict) and set(a) == {"float"} and isinstance(
            b, dict) and set(b) == {"float"}:
        return math.isclose(a["float"], b["float"], rel_tol=1e-6,
                            abs_tol=1e-30)
    if a in ({}, []) and b in ({}, []):
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        return set(a) == set(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return type(a) == type(b) and a == b


# ==== Independent encoders ====

def avro_encode(schema_text, datum):
    schema = avro.schema.parse(schema_text)
    buf = io.BytesIO()
    avro.io.DatumWriter(schema).write(datum, avro.io.BinaryEncoder(buf))
    return buf.getvalue()


def confluent(payload, schema_id, indexes=None):
    head = b"\x00" + struct.pack(">I", schema_id)
    if indexes is None:
        return head + payload
    return head + confluent_indexes(indexes) + payload


def zigzag_varint(n):
    return varint((n << 1) ^ (n >> 63))


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def confluent_indexes(indexes):
    if indexes == [0]:
        return b"\x00"
    return zigzag_varint(len(indexes)) + b"".join(
        zigzag_varint(i) for i in indexes)


def glue(payload, compressed=False, index=None):
    if index is not None:
        payload = varint(index) + payload
    if compressed:
        return b"\x03\x05" + UUID_BYTES + zlib.compress(payload)
    return b"\x03\x00" + UUID_BYTES + payload


PROTO = r"""
syntax = "proto3";
package t.v1;
enum Color { COLOR_UNSPECIFIED = 0; RED = 1; GREEN = 2; }
message Inner { string label = 1; repeated int32 nums = 2; }
message All {
  double d = 1; float f = 2; int32 i32 = 3; int64 i64 = 4; uint32 u32 = 5;
  uint64 u64 = 6; sint32 s32 = 7; sint64 s64 = 8; fixed32 fx32 = 9;
  fixed64 fx64 = 10; sfixed32 sfx32 = 11; sfixed64 sfx64 = 12; bool b = 13;
  string s = 14; bytes by = 15; Color color = 16; Inner inner = 17;
  repeated Inner inners = 18; repeated int64 packed = 19;
  repeated string names = 20; map<string, int64> counts = 21;
  map<int32, Inner> by_id = 22;
  oneof choice { string text = 23; int32 number = 24; }
  optional int32 maybe = 25;
  repeated int32 unpacked = 26 [packed = false];
  Color unset_color = 27;
  All child = 28;
}
message Other { int32 x = 1; }
"""


class Proto:
    """The test's .proto compiled by protoc into a descriptor set (in
    'root'), and python3-protobuf message classes built from that set."""

    def __init__(self, root, text=PROTO, name="all"):
        root.write(name + ".proto", text)
        subprocess.run(["protoc", "--include_imports", "-I", root.dir,
                        "-o", root.path(name + ".pb"), root.path(name + ".proto")],
                       check=True)
        fds = descriptor_pb2.FileDescriptorSet()
        with open(root.path(name + ".pb"), "rb") as f:
            fds.ParseFromString(f.read())
        self.pool = descriptor_pool.DescriptorPool()
        for fd in fds.file:
            self.pool.Add(fd)
        self.path = name + ".pb"

    def cls(self, full_name):
        desc = self.pool.FindMessageTypeByName(full_name)
        if hasattr(message_factory, "GetMessageClass"):
            return message_factory.GetMessageClass(desc)
        return message_factory.MessageFactory(self.pool).GetPrototype(desc)


def all_defaults():
    """The Lua view of an empty t.v1.All: proto3 defaults, empty repeated
    and map fields, unset messages / oneof / optional members absent."""
    return {"d": 0.0, "f": 0.0, "i32": 0, "i64": 0, "u32": 0, "u64": 0,
            "s32": 0, "s64": 0, "fx32": 0, "fx64": 0, "sfx32": 0, "sfx64": 0,
            "b": False, "s": "", "by": "", "color": "COLOR_UNSPECIFIED",
            "inners": [], "packed": [], "names": [], "counts": {},
            "by_id": {}, "unpacked": [], "unset_color": "COLOR_UNSPECIFIED"}


def fill_all(msg):
    """Set every kind of field on a t.v1.All; returns the expected view."""
    msg.d = 2.5
    msg.f = 1.5
    msg.i32 = -7
    msg.i64 = -(2 ** 63)
    msg.u32 = 2 ** 32 - 1
    msg.u64 = 2 ** 64 - 1
    msg.s32 = -2 ** 31
    msg.s64 = -123456789012345
    msg.fx32 = 4000000000
    msg.fx64 = 2 ** 63 - 1
    msg.sfx32 = -5
    msg.sfx64 = -6
    msg.b = True
    msg.s = "h\u00e9llo"
    msg.by = b"\x00\x01\xff"
    msg.color = 2
    msg.inner.label = "in"
    msg.inner.nums.extend([1, 2, 3])
    a = msg.inners.add()
    a.label = "a"
    msg.inners.add()
    msg.packed.extend([1, -1, 2 ** 40])
    msg.names.extend(["x", "y"])
    msg.counts["k1"] = 10
    msg.counts["k2"] = -20
    msg.by_id[7].label = "seven"
    msg.number = 42
    msg.maybe = 0
    msg.unpacked.extend([5, 6])
    msg.child.i32 = 9
    view = all_defaults()
    view.update({
        "d": 2.5, "f": 1.5, "i32": -7, "i64": -(2 ** 63), "u32": 2 ** 32 - 1,
        "u64": float(2 ** 64 - 1), "s32": -2 ** 31, "s64": -123456789012345,
        "fx32": 4000000000, "fx64": 2 ** 63 - 1, "sfx32": -5, "sfx64": -6,
        "b": True, "s": "h\u00e9llo".encode().decode("latin-1"),
        "by": b"\x00\x01\xff", "color": "GREEN",
        "inner": {"label": "in", "nums": [1, 2, 3]},
        "inners": [{"label": "a", "nums": []}, {"label": "", "nums": []}],
        "packed": [1, -1, 2 ** 40], "names": ["x", "y"],
        "counts": {"k1": 10, "k2": -20},
        "by_id": {"7": {"label": "seven", "nums": []}},
        "number": 42, "maybe": 0, "unpacked": [5, 6]})
    child = all_defaults()
    child["i32"] = 9
    view["child"] = child
    return view


AVRO_SCHEMA = json.dumps({
    "type": "record", "name": "Order", "namespace": "shop",
    "fields": [
        {"name": "id", "type": "long"},
        {"name": "small", "type": "int"},
        {"name": "ok", "type": "boolean"},
        {"name": "nothing", "type": "null"},
        {"name": "ratio", "type": "float"},
        {"name": "price", "type": "double"},
        {"name": "name", "type": "string"},
        {"name": "blob", "type": "bytes"},
        {"name": "tag", "type": {"type": "fixed", "name": "Tag", "size": 3}},
        {"name": "status", "type": {"type": "enum", "name": "Status",
                                    "symbols": ["NEW", "PAID", "SHIPPED"]}},
        {"name": "note", "type": ["null", "string"]},
        {"name": "lines", "type": {"type": "array", "items": {
            "type": "record", "name": "Line", "fields": [
                {"name": "sku", "type": "string"},
                {"name": "qty", "type": "int"}]}}},
        {"name": "attrs", "type": {"type": "map", "values": "long"}},
        {"name": "day", "type": {"type": "int", "logicalType": "date"}},
        {"name": "next", "type": ["null", "Order"], "default": None},
    ]})


def avro_order(i=1, nested=None):
    return {"id": 2 ** 62 + i, "small": -3, "ok": True, "nothing": None,
            "ratio": 0.25, "price": 12.75, "name": "order-%d" % i,
            "blob": b"\x00\xfe", "tag": b"abc", "status": "PAID",
            "note": None if i % 2 else "gift", "lines": [
                {"sku": "A", "qty": 1}, {"sku": "B", "qty": 20}],
            "attrs": {"x": 1, "y": -(2 ** 40)},
            "day": datetime.date(1970, 1, 1) + datetime.timedelta(days=19700),
            "next": nested}


def avro_plain(d):
    """Logical types read as their underlying type: a date is its day."""
    v = dict(d)
    v["day"] = (v["day"] - datetime.date(1970, 1, 1)).days
    if v["next"] is not None:
        v["next"] = avro_plain(v["next"])
    return v


def avro_view(d):
    return lua_view(avro_plain(d))


# ==== The fixtures ====

class FixtureTest(unittest.TestCase):
    """Every Avro/Protobuf fixture decodes to EXPECTED.json, field by
    field, with the framing each record was written with."""

    @classmethod
    def setUpClass(cls):
        with open(os.path.join(SCHEMAS, "EXPECTED.json")) as f:
            cls.expected = json.load(f)["fixtures"]
        files = [os.path.join(SCHEMAS, n) for n in os.listdir(SCHEMAS)
                 if n.endswith((".avsc", ".pb"))]
        cls.root = Root(files)

    @classmethod
    def tearDownClass(cls):
        cls.root.close()

    def reader(self, value):
        if value["format"] == "avro":
            return {"fmt": "avro", "path": value["schema"]}
        return {"fmt": "protobuf", "path": value["schema"],
                "message": value["message"]}

    def check_fixture(self, name, exp, reader, value_of):
        got = self.root.records({"value": reader, "key": exp["key"]},
                                os.path.join(FIXTURES, "kafka", name))
        self.assertEqual(len(got), len(exp["records"]), name)
        for g, e in zip(got, exp["records"]):
            where = "%s offset %s" % (name, e["offset"])
            self.assertIsNone(g.get("err"), where)
            self.assertTrue(same(g["v"], lua_view(value_of(e))),
                            "%s: %r != %r" % (where, g["v"], value_of(e)))
            self.assertEqual(g.get("vb"), e["value_hex"], where)
            self.assertEqual(g.get("k"), e["key"], where)
            meta = e["value_schema_metadata"]
            if e["framing"] == "glue":
                want_id = e["schema_id_in_payload"]
            elif meta is not None and meta.get("schemaId") is not None:
                want_id = str(meta["schemaId"])
            else:
                want_id = None
            self.assertEqual(g.get("id"), want_id, where)

    def test_every_fixture_matches_expected(self):
        self.assertEqual(len(self.expected), 8)
        for name, exp in self.expected.items():
            with self.subTest(fixture=name):
                self.check_fixture(name, exp, self.reader(exp["value"]),
                                   lambda e: e["value"])

    def test_other_schema_readings(self):
        n = 0
        for name, exp in self.expected.items():
            others = {}
            for rec in exp["records"]:
                for o in rec.get("value_with_other_schema", []):
                    others.setdefault((o["schema"], o["message"]), {})[
                        rec["offset"]] = o["value"]
            for (schema, message), values in others.items():
                if len(values) != len(exp["records"]):
                    continue
                n += 1
                reader = {"fmt": "protobuf" if message else "avro",
                          "path": schema, "message": message}
                with self.subTest(fixture=name, schema=schema):
                    self.check_fixture(name, exp, reader,
                                       lambda e, v=values: v[e["offset"]])
        self.assertGreater(n, 0)


# ==== Independent encoders, every framing ====

class AvroTest(unittest.TestCase):

    def setUp(self):
        self.root = Root()
        self.root.write("order.avsc", AVRO_SCHEMA)

    def tearDown(self):
        self.root.close()

    def reader(self, framing=None):
        r = {"fmt": "avro", "path": "order.avsc"}
        if framing:
            r["framing"] = framing
        return r

    def test_every_type_in_every_framing(self):
        datum = avro_order(1, nested=avro_order(2))
        raw = avro_encode(AVRO_SCHEMA, datum)
        want = avro_view(datum)
        cases = [
            ("none", raw, None, None, None),
            ("auto", confluent(raw, 42), None, "42", None),
            ("auto", glue(raw), None, UUID, None),
            ("auto", glue(raw, compressed=True), None, UUID, None),
            ("auto", raw, {"dataFormat": "AVRO", "schemaId": "7"}, "7", None),
            ("auto", raw, {"dataFormat": "AVRO", "schemaId": UUID}, UUID, None),
            ("confluent", confluent(raw, 1), None, "1", None),
            ("glue", glue(raw, compressed=True), None, UUID, None),
            ("lambda", raw, None, None, None),
        ]
        for framing, value, meta, want_id, _ in cases:
            with self.subTest(framing=framing, head=value[:2].hex()):
                got = self.root.records(
                    {"value": self.reader(framing)},
                    kafka_event([(value, b"k", meta)]))
                self.assertIsNone(got[0].get("err"))
                self.assertTrue(same(got[0]["v"], want),
                                "%r\n!=\n%r" % (got[0]["v"], want))
                self.assertEqual(got[0].get("id"), want_id)
                self.assertEqual(got[0]["vb"], value.hex())

    def test_unframed_payload_starting_like_a_header_needs_framing_none(self):
        # An Order whose id is 0 starts with byte 0x00, as Confluent does.
        datum = avro_order(0)
        datum["id"] = 0
        raw = avro_encode(AVRO_SCHEMA, datum)
        self.assertEqual(raw[0], 0)
        got = self.root.records({"value": self.reader("none")},
                                kafka_event([(raw, None, None)]))
        self.assertTrue(same(got[0]["v"], avro_view(datum)))
        got = self.root.records({"value": self.reader()},
                                kafka_event([(raw, None, None)]))
        self.assertIsNotNone(got[0].get("err"))

    def test_key_and_value_both_avro(self):
        key_schema = '{"type": "record", "name": "K", "fields": [' \
                     '{"name": "tenant", "type": "string"}]}'
        self.root.write("key.avsc", key_schema)
        key = avro_encode(key_schema, {"tenant": "acme"})
        raw = avro_encode(AVRO_SCHEMA, avro_order(3))
        got = self.root.records(
            {"value": self.reader(), "key": {"fmt": "avro", "path": "key.avsc"}},
            kafka_event([(confluent(raw, 5), confluent(key, 6), None)]))
        self.assertEqual(got[0]["k"], {"tenant": "acme"})
        self.assertEqual(got[0]["kid"], "6")
        self.assertEqual(got[0]["id"], "5")
        self.assertEqual(got[0]["kb"], confluent(key, 6).hex())

    def test_id_table_picks_the_writer_schema(self):
        v2 = json.loads(AVRO_SCHEMA)
        v2["fields"] = v2["fields"][:2]  # an older writer: id and small only
        v2 = json.dumps(v2)
        self.root.write("order_v1.avsc", v2)
        old = avro_encode(v2, {"id": 5, "small": 6})
        new = avro_encode(AVRO_SCHEMA, avro_order(4))
        spec = {"value": {"ids": {
            "1": {"fmt": "avro", "path": "order_v1.avsc"},
            "2": self.reader()}}}
        got = self.root.records(spec, kafka_event([
            (confluent(old, 1), None, None),
            (confluent(new, 2), None, None),
            (new, None, {"dataFormat": "AVRO", "schemaId": 2}),
            (confluent(new, 3), None, None),
            (new, None, None)]))
        self.assertEqual(got[0]["v"], {"id": 5, "small": 6})
        self.assertTrue(same(got[1]["v"], avro_view(avro_order(4))))
        self.assertTrue(same(got[2]["v"], avro_view(avro_order(4))))
        self.assertEqual(got[2]["id"], "2")
        self.assertIn("schema id 3 is not in the table", got[3]["err"])
        self.assertIsNone(got[3].get("v"))
        self.assertIn("no schema id", got[4]["err"])


class ProtobufTest(unittest.TestCase):

    def setUp(self):
        self.root = Root()
        self.proto = Proto(self.root)
        self.All = self.proto.cls("t.v1.All")

    def tearDown(self):
        self.root.close()

    def reader(self, framing=None, message="t.v1.All"):
        r = {"fmt": "protobuf", "path": self.proto.path, "message": message}
        if framing:
            r["framing"] = framing
        return r

    def test_every_type_in_every_framing(self):
        msg = self.All()
        want = lua_view(fill_all(msg))
        raw = msg.SerializeToString()
        self.assertGreaterEqual(raw[0], 0x08)
        cases = [
            ("none", raw, None, None),
            ("auto", raw, None, None),
            ("auto", confluent(raw, 9, [0]), None, "9"),
            ("auto", confluent(raw, 9, [1, 0]), None, "9"),
            ("auto", glue(raw, index=0), None, UUID),
            ("auto", glue(raw, compressed=True, index=3), None, UUID),
            # Lambda's registry mode: the framing is gone, the index stays.
            ("auto", confluent_indexes([0]) + raw,
             {"dataFormat": "PROTOBUF", "schemaId": "12"}, "12"),
            ("auto", confluent_indexes([2, 1]) + raw,
             {"dataFormat": "PROTOBUF", "schemaId": 12}, "12"),
            ("auto", varint(1) + raw,
             {"dataFormat": "PROTOBUF", "schemaId": UUID}, UUID),
            ("auto", raw, {"dataFormat": "PROTOBUF", "schemaId": UUID}, UUID),
            ("auto", raw, {"dataFormat": "PROTOBUF", "schemaId": "3"}, "3"),
            ("lambda", confluent_indexes([0]) + raw, None, None),
            ("confluent", confluent(raw, 1, [0]), None, "1"),
            ("glue", glue(raw, index=0), None, UUID),
        ]
        for framing, value, meta, want_id in cases:
            with self.subTest(framing=framing, head=value[:3].hex(),
                              meta=meta):
                got = self.root.records({"value": self.reader(framing)},
                                        kafka_event([(value, None, meta)]))
                self.assertIsNone(got[0].get("err"))
                self.assertTrue(same(got[0]["v"], want),
                                "%r\n!=\n%r" % (got[0]["v"], want))
                self.assertEqual(got[0].get("id"), want_id)

    def test_empty_message_is_all_defaults(self):
        got = self.root.records({"value": self.reader()},
                                kafka_event([(b"", None, None)]))
        self.assertTrue(same(got[0]["v"], lua_view(all_defaults())),
                        got[0]["v"])
        self.assertNotIn("inner", got[0]["v"])
        self.assertNotIn("maybe", got[0]["v"])
        self.assertNotIn("text", got[0]["v"])

    def test_unknown_fields_are_ignored_and_messages_merge(self):
        Other = self.proto.cls("t.v1.Other")
        o = Other()
        o.x = 5
        # Field 1 of Other is All.d's number with another wire type; add an
        # unknown field 99 (varint) and 100 (length-delimited).
        extra = varint(99 << 3) + varint(1) + varint(100 << 3 | 2) + \
            varint(3) + b"abc"
        a1 = self.All()
        a1.inner.label = "first"
        a2 = self.All()
        a2.inner.nums.append(4)
        raw = a1.SerializeToString() + extra + a2.SerializeToString()
        got = self.root.records({"value": self.reader()},
                                kafka_event([(raw, None, None)]))
        self.assertIsNone(got[0].get("err"))
        self.assertEqual(got[0]["v"]["inner"], {"label": "first", "nums": [4]})

    def test_repeated_fields_in_runs_split_and_mixed(self):
        """Lists are sized from the run of elements ahead (protobuf_decode's
        run_after, packed_count): runs split by other fields, packed and
        unpacked encodings mixed, maps with a key repeated, long runs and a
        run cut short by a truncated element all read as python3-protobuf
        reads the same bytes."""
        def part(**fields):
            m = self.All()
            for name, v in fields.items():
                if name == "counts":
                    for k, x in v.items():
                        m.counts[k] = x
                elif name == "inners":
                    for label in v:
                        m.inners.add().label = label
                elif name == "i32":
                    m.i32 = v
                else:
                    getattr(m, name).extend(v)
            return m.SerializeToString()
        big = ["n%d" % i for i in range(1000)]
        cases = [
            part(inners=["a", "b"], names=["x", "y"], packed=[1, 2],
                 unpacked=[5, 6], counts={"k1": 1}) +
            part(i32=3) +
            part(inners=["c"], names=["z"], packed=[3], unpacked=[7],
                 counts={"k1": 2, "k2": 3}) +
            # unpacked written packed, packed written unpacked: both read
            varint(26 << 3 | 2) + varint(2) + b"\x08\x09" +
            varint(19 << 3) + varint(4),
            part(inners=big, names=big, packed=list(range(-500, 500)),
                 unpacked=list(range(300)),
                 counts={k: i for i, k in enumerate(big[:300])}),
            part(names=["only"]) + part(i32=1) + part(names=big[:5]),
        ]
        for raw in cases:
            with self.subTest(size=len(raw)):
                m = self.All.FromString(raw)
                want = all_defaults()
                want.update({
                    "i32": m.i32, "names": list(m.names),
                    "packed": list(m.packed), "unpacked": list(m.unpacked),
                    "counts": dict(m.counts),
                    "inners": [{"label": x.label, "nums": list(x.nums)}
                               for x in m.inners]})
                got = self.root.records({"value": self.reader()},
                                        kafka_event([(raw, None, None)]))
                self.assertIsNone(got[0].get("err"))
                want = lua_view(want)
                self.assertTrue(same(got[0]["v"], want),
                                "%r\n!=\n%r" % (got[0]["v"], want))
        # A run whose last element is cut short: a decode error, as before.
        raw = part(inners=["a", "b"]) + varint(18 << 3 | 2) + varint(50) + \
            b"ab"
        got = self.root.records({"value": self.reader()},
                                kafka_event([(raw, None, None)]))
        self.assertIsNone(got[0].get("v"))
        self.assertIn("length past the end", got[0]["err"])

    def test_unknown_enum_number_stays_an_integer(self):
        raw = varint(16 << 3) + varint(77)
        got = self.root.records({"value": self.reader()},
                                kafka_event([(raw, None, None)]))
        self.assertEqual(got[0]["v"]["color"], 77)

    def test_proto_json_value_with_confluent_framing(self):
        doc = {"a": 1, "b": [1.5, None, "x"]}
        body = json.dumps(doc).encode()
        got = self.root.records({"value": "json"}, kafka_event([
            (body, None, None), (confluent(body, 4), None, None),
            (glue(body, compressed=True), None, None),
            (b"{bad", None, None)]))
        for g in got[:3]:
            self.assertEqual(g["v"], {"a": 1, "b": [{"float": 1.5}, None, "x"]})
        self.assertEqual(got[1]["id"], "4")
        self.assertIn("JSON", got[3]["err"])

    def test_data_format_mismatch_is_a_decode_error(self):
        raw = self.All().SerializeToString()
        got = self.root.records({"value": self.reader()}, kafka_event([
            (raw, None, {"dataFormat": "AVRO", "schemaId": "1"})]))
        self.assertIn("dataFormat AVRO does not match the Protobuf reader",
                      got[0]["err"])
        self.assertIsNone(got[0].get("v"))


# ==== Hostile payloads ====

class HostileTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.root = Root()
        cls.root.write("order.avsc", AVRO_SCHEMA)
        cls.proto = Proto(cls.root)
        cls.root.write("list.avsc", json.dumps(
            {"type": "array", "items": "null"}))
        cls.root.write("longs.avsc", json.dumps(
            {"type": "array", "items": "long"}))
        cls.root.write("node.avsc", json.dumps({
            "type": "record", "name": "Node", "fields": [
                {"name": "next", "type": ["null", "Node"]}]}))

    @classmethod
    def tearDownClass(cls):
        cls.root.close()

    def check_errors(self, spec, payloads, wants, framing_meta=None):
        """Each payload is a decode error (value nil, the record named)
        while a good record after it still decodes; kafka.process reports
        exactly the bad ones without calling fn for them."""
        good = spec.pop("good")
        records = []
        for p in payloads:
            records.append((p, None, framing_meta))
            records.append((good, None, framing_meta))
        event = kafka_event(records)
        got = self.root.records(spec, event)
        for i, want in enumerate(wants):
            bad, ok = got[2 * i], got[2 * i + 1]
            self.assertIsNone(bad.get("v"), want)
            self.assertIsNotNone(bad.get("err"), want)
            self.assertIn("value of record orders-0 offset %d" % (100 + 2 * i),
                          bad["err"])
            self.assertIn(want, bad["err"])
            self.assertIsNone(ok.get("err"), ok.get("err"))
            self.assertIsNotNone(ok.get("v"))
        spec["process"] = True
        resp = self.root.records(spec, event)
        failed = [f["itemIdentifier"]["offset"]
                  for f in resp["batchItemFailures"]]
        self.assertEqual(failed, [100 + 2 * i for i in range(len(wants))])
        self.assertEqual(resp["called"],
                         [101 + 2 * i for i in range(len(wants))])

    def test_avro(self):
        raw = avro_encode(AVRO_SCHEMA, avro_order(1))
        cut = raw[:len(raw) // 2]
        self.check_errors(
            {"value": {"fmt": "avro", "path": "order.avsc", "framing": "none"},
             "good": raw},
            [cut, raw[:0], raw + b"\x00", b"\x02" + b"\xff" * 20,
             raw[:8] + b"\x7f" + raw[9:]],
            ["past the end", "past the end", "bytes left after the value",
             "past the end", "at byte"])

    def test_avro_counts_and_depth(self):
        billion = varint(2 * 1_000_000_000) + b"\x00"
        self.check_errors(
            {"value": {"fmt": "avro", "path": "list.avsc", "framing": "none"},
             "good": varint(2 * 3) + b"\x00"},
            [billion], ["too many items"])
        self.check_errors(
            {"value": {"fmt": "avro", "path": "longs.avsc", "framing": "none"},
             "good": varint(2) + b"\x02\x00"},
            [billion, varint(1), b"", varint(2) + b"\x02"],
            ["item count past the end", "block size past the end",
             "block count past the end", "block count past the end"])
        deep = b"\x02" * 200 + b"\x00"
        self.check_errors(
            {"value": {"fmt": "avro", "path": "node.avsc", "framing": "none"},
             "good": b"\x02\x00"},
            [deep, b"\x04\x00"], ["deeper than the limit",
                                  "union branch out of range"])

    def test_values_that_expand_past_the_budget(self):
        # Items that take (almost) no bytes: arrays of 65536 nulls, three
        # bytes each; Protobuf elements of 2 bytes with 300 defaults each.
        self.root.write("nested.avsc", json.dumps(
            {"type": "array", "items": {"type": "array", "items": "null"}}))
        inner = varint(2 * 65536) + b"\x00"
        bomb = varint(2 * 200) + inner * 200 + b"\x00"
        self.check_errors(
            {"value": {"fmt": "avro", "path": "nested.avsc", "framing": "none"},
             "good": varint(2) + inner + b"\x00"},
            [bomb], ["value expands past the limit"])
        wide = "syntax = \"proto3\";\nmessage Wide {\n%s  repeated Wide w = 301;\n}\n" % (
            "".join("  int32 f%d = %d;\n" % (i, i) for i in range(1, 301)))
        Proto(self.root, wide, "wide")
        elem = varint(301 << 3 | 2) + b"\x00"
        self.check_errors(
            {"value": {"fmt": "protobuf", "path": "wide.pb", "message": "Wide",
                       "framing": "none"}, "good": elem * 10},
            [elem * 2000], ["value expands past the limit"])

    def test_protobuf(self):
        All = self.proto.cls("t.v1.All")
        m = All()
        fill_all(m)
        raw = m.SerializeToString()
        deep = b""
        for _ in range(100):
            deep = varint(28 << 3 | 2) + varint(len(deep)) + deep
        self.check_errors(
            {"value": {"fmt": "protobuf", "path": "all.pb",
                       "message": "t.v1.All", "framing": "none"},
             "good": raw},
            [raw[:len(raw) - 3], varint(14 << 3 | 2) + varint(1000) + b"ab",
             b"\x0f", varint(5 << 3 | 4), b"\x80" * 11, deep,
             varint(18 << 3 | 2) + varint(2) + b"\x0a\x09"],
            ["past the end", "length past the end", "bad wire type",
             "end of group without a start", "tag past the end",
             "deeper than the limit", "field 'label'"])

    def test_framings(self):
        raw = avro_encode(AVRO_SCHEMA, avro_order(1))
        bomb = b"\x03\x05" + UUID_BYTES + zlib.compress(b"\x00" * (40 << 20), 9)
        self.assertLess(len(bomb), 100_000)
        self.check_errors(
            {"value": {"fmt": "avro", "path": "order.avsc"},
             "good": confluent(raw, 1)},
            [bomb, b"\x03\x05" + UUID_BYTES + b"not zlib",
             b"\x03\x05" + UUID_BYTES + zlib.compress(raw)[:-6],
             confluent(raw, 1)[:3] + b"\x01\x02\x03"],
            ["inflates past the cap", "corrupt zlib data", "truncated",
             "at byte"])
        self.check_errors(
            {"value": {"fmt": "avro", "path": "order.avsc",
                       "framing": "confluent"}, "good": confluent(raw, 1)},
            [raw, b"\x00\x00"], ["no Confluent framing", "header past the end"])
        self.check_errors(
            {"value": {"fmt": "avro", "path": "order.avsc", "framing": "glue"},
             "good": glue(raw)},
            [confluent(raw, 1), b"\x03\x07" + UUID_BYTES + raw],
            ["no Glue framing", "unknown Glue compression"])
        All = self.proto.cls("t.v1.All")
        pb = All().SerializeToString() + b"\x08\x01"
        self.check_errors(
            {"value": {"fmt": "protobuf", "path": "all.pb",
                       "message": "t.v1.All"}, "good": confluent(pb, 1, [0])},
            [confluent(pb, 1)[:5] + b"\x01", confluent(pb, 1)[:5] + b"\x7f"],
            ["bad Confluent message-index count", "bad Confluent message-index"])

    def test_tombstones_are_not_errors_and_keys_fail_alone(self):
        raw = avro_encode(AVRO_SCHEMA, avro_order(1))
        spec = {"value": {"fmt": "avro", "path": "order.avsc"},
                "key": {"fmt": "avro", "path": "order.avsc"}}
        got = self.root.records(spec, kafka_event([
            (None, None, None), (raw, b"\x01", None)]))
        self.assertNotIn("err", got[0])
        self.assertIsNone(got[0].get("v"))
        self.assertTrue(got[1]["err"].startswith("key of record orders-0 "
                                                 "offset 101: Avro:"),
                        got[1]["err"])
        self.assertIsNone(got[1].get("k"))
        self.assertEqual(got[1]["kb"], "01")
        self.assertIsNotNone(got[1].get("v"))


# ==== Init errors ====

class InitErrorTest(unittest.TestCase):

    def setUp(self):
        self.root = Root()
        self.root.write("order.avsc", AVRO_SCHEMA)
        self.root.write("broken.avsc", '{"type": "record", "name": "X", '
                                       '"fields": [{"name": "a", "type": "nope"}]}')
        self.root.write("text.pb", PROTO)
        self.proto = Proto(self.root)

    def tearDown(self):
        self.root.close()

    def init_error(self, spec):
        proc = self.root.run(spec, kafka_event([(b"\x02", None, None)]))
        self.assertEqual(proc.returncode, 2, proc.stdout)
        return proc.stderr.decode(errors="replace")

    def test_bad_schemas_name_the_file_and_the_problem(self):
        cases = [
            ({"fmt": "avro", "path": "missing.avsc"},
             ["missing.avsc", "cannot open"]),
            ({"fmt": "avro", "path": "broken.avsc"},
             ["broken.avsc", "not an Avro schema"]),
            ({"fmt": "avro", "path": "text.pb"},
             ["text.pb", "not an Avro schema"]),
            ({"fmt": "protobuf", "path": "text.pb", "message": "t.v1.All"},
             ["text.pb", "not a FileDescriptorSet"]),
            ({"fmt": "protobuf", "path": "order.avsc", "message": "t.v1.All"},
             ["order.avsc", "not a FileDescriptorSet"]),
            ({"fmt": "protobuf", "path": "all.pb", "message": "t.v1.Nope"},
             ["all.pb", "no message 't.v1.Nope'", "t.v1.All"]),
            ({"fmt": "avro", "path": "order.avsc", "framing": "magic"},
             ["unknown framing 'magic'"]),
        ]
        for reader, wants in cases:
            with self.subTest(reader=reader):
                err = self.init_error({"value": reader})
                for w in wants:
                    self.assertIn(w, err)

    def test_bad_router_options(self):
        self.assertIn("option 'value' must be", self.init_error(
            {"value": "yaml"}))
        self.assertIn("option 'key'", self.init_error(
            {"key": {"ids": {"1": "nope"}}}))


if __name__ == "__main__":
    unittest.main()
