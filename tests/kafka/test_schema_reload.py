#!/usr/bin/env python3
"""Hot reload of schema files: with LUA_HOT_RELOAD=1 a changed .avsc or .pb
that kafka.avro / kafka.protobuf loaded is picked up before the next
invocation, in the same process, like a changed script; a broken schema
keeps the previous version serving (logged), and its fix is picked up.

Runs the real bootstrap in the Lambda loop against the mock Runtime API
(tests/integration), with the helpers of tests/reload/reload_util.py.
"""

import base64
import json
import os
import shutil
import sys
import tempfile
import unittest

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "reload"))
import reload_util as ru  # noqa: E402

mock_runtime_api = ru.import_mock()

HANDLER = """\
local router = require "router"
local kafka = require "kafka"
local reader = kafka.avro("schemas/v.avsc")
router.kafka(function(event)
  return { value = event.records[1].value, err = event.records[1].decode_error }
end, { value = reader })
"""


def schema(field):
    return json.dumps({"type": "record", "name": "V", "fields": [
        {"name": field, "type": "long"}]})


def event():
    # The Avro long 21 (zigzag 42): binary Avro has no field names, so the
    # schema file alone decides what Lua calls it.
    rec = {"topic": "t", "partition": 0, "offset": 1, "timestamp": 1,
           "timestampType": "CREATE_TIME", "headers": [],
           "value": base64.b64encode(b"\x2a").decode()}
    return {"eventSource": "aws:kafka", "records": {"t-0": [rec]}}


class SchemaReloadTest(unittest.TestCase):

    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="lrt-schema-reload-")
        self.addCleanup(shutil.rmtree, self.root, True)
        self.api = mock_runtime_api.MockRuntimeAPI().start()
        self.addCleanup(self.api.stop)
        self.sent = 0
        ru.write_script(os.path.join(self.root, "handler.lua"), HANDLER)
        self.write_schema(schema("a"))
        env = dict(os.environ)
        env.update({"AWS_LAMBDA_RUNTIME_API": self.api.endpoint,
                    "LAMBDA_TASK_ROOT": self.root, "_HANDLER": "handler",
                    "LUA_HOT_RELOAD": "1"})
        for k in ("LUA_PATH", "AWS_LAMBDA_LOG_FORMAT", "AWS_LAMBDA_LOG_LEVEL"):
            env.pop(k, None)
        self.child = ru.Child([ru.bootstrap_path()], env=env)
        self.addCleanup(self.child.stop)

    def write_schema(self, text):
        ru.write_script(os.path.join(self.root, "schemas", "v.avsc"), text)

    def invoke(self):
        self.api.push_event(event())
        self.sent += 1
        try:
            posts = self.api.wait_for_posts(self.sent, timeout=10 * ru.SLOW)
        except AssertionError:
            self.fail("no answer\n" + self.child.transcript())
        self.assertEqual(posts[-1].kind, "response", self.child.transcript())
        return posts[-1].json()

    def test_changed_schema_is_picked_up_and_a_broken_one_is_not(self):
        pid = self.child.pid
        self.assertEqual(self.invoke(), {"value": {"a": 21}})
        self.write_schema(schema("b"))
        self.assertEqual(self.invoke(), {"value": {"b": 21}})
        self.write_schema('{"type": "record", "name": "V", "fields": [')
        self.assertEqual(self.invoke(), {"value": {"b": 21}})
        self.child.wait_line("err", lambda l: "v.avsc" in l and
                             "not an Avro schema" in l)
        self.write_schema(schema("c"))
        self.assertEqual(self.invoke(), {"value": {"c": 21}})
        self.assertEqual(self.child.pid, pid)
        self.assertTrue(self.child.alive())
        self.assertEqual(self.api.get_posts("init_error"), [])


if __name__ == "__main__":
    unittest.main()
