"""The Lua floor (bench/floor/, docs/performance.md "The Lua floor").

The floor is only a floor if lua_floor.c rebuilds exactly the values the
runtime decoded. For real sample events of each source, a Kafka fixture
and a batch of Protobuf and Avro values written by python3-protobuf and
python3-avro (bench/schema/gen_events.py), this runs the built bootstrap
($LRT_BOOTSTRAP) with bench/floor/capture.lua, which writes the tape and
the values' canonical form, rebuilds the values from the tape with
`lua_floor --canon` and requires the same text. It also checks that the
timing mode prints its figure line and that a corrupt tape is refused.
Timings are printed, never asserted.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

SOURCE = os.environ.get("LRT_SOURCE_DIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
BOOTSTRAP = os.environ.get("LRT_BOOTSTRAP") or os.path.join(
    SOURCE, "build", "bootstrap")
FLOOR = os.path.join(SOURCE, "bench", "floor")
EVENTS = os.path.join(SOURCE, "tests", "fixtures", "events")
KAFKA = os.path.join(SOURCE, "tests", "fixtures", "kafka")


def pkg_config(*args):
    return subprocess.run(["pkg-config", *args], check=True,
                          capture_output=True, text=True).stdout.split()


@unittest.skipUnless(os.path.exists(BOOTSTRAP), "no bootstrap built")
class LuaFloor(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="lrt-floor-")
        cls.floor = os.path.join(cls.tmp, "lua_floor")
        subprocess.run(
            ["gcc", "-std=c11", "-O2", "-Wall", "-Wextra", "-Werror",
             "-D_XOPEN_SOURCE=700",
             "-I" + os.path.join(SOURCE, "src", "support"),
             os.path.join(FLOOR, "lua_floor.c"),
             os.path.join(SOURCE, "src", "support", "heap.c"),
             *pkg_config("--cflags", "--libs", "lua5.4"), "-o", cls.floor],
            check=True)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def capture(self, event, **env):
        tape = os.path.join(self.tmp, "t.tape")
        canon = os.path.join(self.tmp, "runtime.canon")
        for f in (tape, canon):
            if os.path.exists(f):
                os.unlink(f)
        run_env = dict(os.environ, FLOOR_TAPE=tape, FLOOR_CANON=canon, **env)
        r = subprocess.run([BOOTSTRAP, "--event", event, "--handler",
                            "capture", "--root", FLOOR], env=run_env,
                           capture_output=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertNotIn(b"errorType", r.stdout, r.stdout)
        return tape, canon

    def assert_rebuilt_equal(self, event, **env):
        tape, canon = self.capture(event, **env)
        rebuilt = os.path.join(self.tmp, "floor.canon")
        subprocess.run([self.floor, "--canon", tape, rebuilt], check=True)
        with open(canon, "rb") as a, open(rebuilt, "rb") as b:
            want, got = a.read(), b.read()
        self.assertGreater(len(want), 100)
        self.assertEqual(got, want, event)
        return tape

    def test_every_source_rebuilds_the_runtime_values(self):
        for name in ("aws__aws-lambda-go__dynamodb-event.json",
                     "aws-powertools__powertools-lambda-python__sqsEvent.json",
                     "aws__aws-lambda-go__kinesis-event.json"):
            with self.subTest(name):
                self.assert_rebuilt_equal(os.path.join(EVENTS, name))
        kafka = sorted(f for f in os.listdir(KAFKA) if f.endswith(".json"))
        self.assertTrue(kafka)
        self.assert_rebuilt_equal(os.path.join(KAFKA, kafka[0]))

    def test_schema_values_rebuild_the_decoded_values(self):
        events = os.path.join(self.tmp, "events")
        subprocess.run([sys.executable, os.path.join(
            SOURCE, "bench", "schema", "gen_events.py"), "--out", events,
            "--count", "40"], check=True, capture_output=True)
        readers = os.path.join(self.tmp, "readers.lua")
        handlers = os.path.join(SOURCE, "bench", "schema", "handlers")
        with open(readers, "w") as f:
            f.write('local kafka = require "kafka"\nreturn {\n'
                    '  ["1"] = kafka.avro("%s/order.avsc"),\n'
                    '  ["2"] = kafka.protobuf("%s/order.pb", '
                    '"bench.v1.Order"),\n}\n' % (handlers, handlers))
        for shape in ("avro", "protobuf"):
            with self.subTest(shape):
                tape = self.assert_rebuilt_equal(
                    os.path.join(events, shape + ".json"),
                    FLOOR_SCHEMA=readers, FLOOR_PART="value")
                with open(os.path.join(self.tmp, "runtime.canon"), "rb") as f:
                    values = f.read().split(b"\n")[:-1]
                # 40 decoded orders, not raw bytes: each has its items.
                self.assertEqual(len(values), 40)
                self.assertTrue(all(v.startswith(b"{") and b"s5:items{" in v
                                    for v in values), values[0][:200])
        r = subprocess.run([self.floor, tape, "20000", "0.05"],
                           capture_output=True, text=True, check=True)
        sys.stderr.write(r.stdout)
        self.assertRegex(r.stdout, r"ms per event \(\d+ runs.*ms per MB.*"
                         r"MB/s, \d+ strings")

    def test_a_corrupt_tape_is_refused(self):
        tape, _ = self.capture(os.path.join(
            EVENTS, "aws__aws-lambda-go__kinesis-event.json"))
        with open(tape, "rb") as f:
            data = bytearray(f.read())
        data[0] = ord("?")
        bad = os.path.join(self.tmp, "bad.tape")
        with open(bad, "wb") as f:
            f.write(data)
        r = subprocess.run([self.floor, "--canon", bad,
                            os.path.join(self.tmp, "x")],
                           capture_output=True, text=True)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("bad tape byte", r.stderr)


if __name__ == "__main__":
    unittest.main()
