#!/usr/bin/env python3
"""Security properties of the real bootstrap.

* Event payloads never reach the runtime's own logs by default: invocations
  (successful, failing in the Kafka decoder, failing in the handler, events
  that are not JSON) carry a unique marker, and no line of stderr or stdout
  holds it except the lines the handler itself prints.
* Event bytes never act as a format: printf directives in topic names,
  record keys, header names and values, handler error messages and error
  types come back literally and crash nothing.
* Handler modules load only from the documented search path (task root,
  /opt/lua, the runtime's lua/ folder, then LUA_PATH): not from the current
  directory, not through LUA_INIT.
"""

import base64
import json
import os
import re
import sys
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rtutil import RuntimeTestCase, main  # noqa: E402

DIRECTIVES = "%s%n%x%p%d%%%.99999f%c%I%U"


def b64(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.b64encode(data).decode()


def kafka_event(records, source="aws:kafka"):
    return {"eventSource": source,
            "eventSourceArn": "arn:aws:kafka:us-east-1:123456789012:cluster/c/1",
            "bootstrapServers": "b-1:9092",
            "records": records}


def record(topic="orders", partition=0, offset=0, key=None, value=None,
           headers=None):
    r = {"topic": topic, "partition": partition, "offset": offset,
         "timestamp": 1700000000000, "timestampType": "CREATE_TIME",
         "headers": headers or []}
    if key is not None:
        r["key"] = key
    if value is not None:
        r["value"] = value
    return r


LEAK_HANDLER = r"""
local router = require "router"
local log = require "log"
local function handle(event, context)
  log.info("invocation started")
  if event.mode == "print" then
    -- the handler's own output may hold anything, the marker included
    print("HANDLER-LINE " .. event.note)
    return { printed = true }
  elseif event.mode == "fail" then
    error("handler failed on purpose")
  elseif event.mode == "fail_table" then
    error({ type = "App.Failure", message = "no payload here" })
  end
  local n = 0
  for _, r in ipairs(event.records or {}) do
    n = n + #(r.value or "") + #(r.key or "")
    for _, h in ipairs(r.headers) do n = n + #h.value end
  end
  if event.fail_after_decode then error("failed after decoding") end
  return { bytes = n }
end
router.kafka(handle)
router.custom(handle)
"""


class PayloadsNotLoggedTest(RuntimeTestCase):
    def test_marker_never_logged(self):
        marker = "SECRET-" + uuid.uuid4().hex
        marker_b64 = b64(marker)
        rt = self.start(LEAK_HANDLER, env={"AWS_LAMBDA_LOG_LEVEL": "INFO"})
        events = [
            # plain JSON, served
            {"mode": "ok", "payload": marker},
            # the handler prints the marker: the one allowed place
            {"mode": "print", "note": marker},
            # handler errors after seeing the payload
            {"mode": "fail", "payload": marker},
            {"mode": "fail_table", "payload": marker},
            # Kafka: decoded fine, values hold the marker
            kafka_event({"orders-0": [record(
                key=marker_b64, value=marker_b64,
                headers=[{"h": list(marker.encode())}])]}),
            # Kafka: the handler fails after decoding
            dict(kafka_event({"orders-0": [record(value=marker_b64)]}),
                 fail_after_decode=True),
            # Kafka: bad base64 whose text holds the marker
            kafka_event({"orders-0": [record(value=marker + "!!")]}),
            kafka_event({"orders-0": [record(key="%s*" % marker)]}),
            kafka_event({"orders-0": [record(
                value=marker_b64, headers=[{"h": marker + "?"}])]}),
            # Kafka: a header byte out of range next to the marker
            kafka_event({"orders-0": [record(
                value=marker_b64, headers=[{"h": [1, 2, 999]}])]}),
            # Kafka: wrong types around the marker
            kafka_event({"orders-0": [record(value=[marker])]}),
            kafka_event({"orders-0": [dict(record(value=marker_b64),
                                           offset=marker)]}),
        ]
        bodies = [json.dumps(e).encode() for e in events]
        # events that are not JSON, or nested past the cap
        bodies.append(("not json " + marker).encode())
        bodies.append(('{"payload": "%s"} trailing' % marker).encode())
        bodies.append(('{"payload": "%s", "x": ' % marker).encode())
        bodies.append(b"[" * 300 + json.dumps(marker).encode() + b"]" * 300)
        for body in bodies:
            self.mock.push_event(body)
        posts = self.posts(rt, len(bodies))
        kinds = [p.kind for p in posts]
        self.assertIn("response", kinds)
        self.assertIn("error", kinds)
        # what went to Lambda may hold the payload; what went to the logs not
        rt.close()
        printed = 0
        for stream, text in (("stderr", rt.stderr()), ("stdout", rt.stdout())):
            for line in text.splitlines():
                if marker not in line and marker_b64 not in line:
                    continue
                # the handler's own print: an INFO record of exactly its text
                if re.fullmatch(r"\S+\t[0-9a-f-]{36}\tINFO\tHANDLER-LINE "
                                + re.escape(marker), line):
                    printed += 1
                    continue
                self.fail("payload marker in the runtime's %s: %r"
                          % (stream, line[:500]))
        self.assertEqual(printed, 1, "the handler's own line must appear "
                         "exactly once (the capture works)" + rt.logs())
        # the runtime did log the failures, just not their payloads
        self.assertIn("Kafka.InvalidEvent", rt.stderr())
        self.assertIn("Runtime.InvalidEvent", rt.stderr())

    def test_marker_not_logged_in_local_invoke(self):
        marker = "SECRET-" + uuid.uuid4().hex
        self.write("handler.lua", LEAK_HANDLER)
        cases = [
            json.dumps(kafka_event({"orders-0": [record(
                value=marker + "==")]})).encode(),
            json.dumps({"mode": "fail", "payload": marker}).encode(),
            ("garbage " + marker).encode(),
        ]
        for body in cases:
            code, out, err = self.local(body)
            self.assertEqual(code, 1, out + err)
            self.assertNotIn(marker, out + err)
            self.assertIsInstance(self.last_json(out)["errorType"], str)

    def test_marker_not_logged_when_init_fails(self):
        marker = "SECRET-" + uuid.uuid4().hex
        self.write("handler.lua", "error('init failed on purpose')\n")
        code, out, err = self.local(json.dumps({"payload": marker}).encode())
        self.assertEqual(code, 2, out + err)
        self.assertIn("init failed on purpose", err)
        self.assertNotIn(marker, out + err)


FORMAT_HANDLER = r"""
local router = require "router"
local log = require "log"
local function handle(event, context)
  if event.mode == "error" then
    error(event.text)
  elseif event.mode == "typed" then
    error({ type = event.text, message = event.text })
  elseif event.mode == "log" then
    log.info(event.text, { field = event.text })
    log.error(event.text)
    return { logged = true }
  end
  local out = {}
  for _, r in ipairs(event.records) do
    local hs = {}
    for _, h in ipairs(r.headers) do hs[#hs + 1] = { h.key, h.value } end
    out[#out + 1] = { topic = r.topic, tp = r.topic_partition, key = r.key,
                      value = r.value, headers = hs }
  end
  return out
end
router.kafka(handle)
router.custom(handle)
"""


class FormatStringTest(RuntimeTestCase):
    def test_directives_in_kafka_fields(self):
        d = DIRECTIVES
        rt = self.start(FORMAT_HANDLER)
        good = kafka_event({d + "-0": [record(
            topic=d, key=b64(d), value=b64(d),
            headers=[{d: list(d.encode())}, {"key": d, "value": d}])]})
        self.mock.push_event(good)
        # decode errors whose messages name the map key and header name
        bad = [
            kafka_event({d + "-1": [record(topic=d, value=d)]}),
            kafka_event({d + "-2": [record(topic=d, value=b64("v"),
                                           headers=[{d: [1, 300]}])]}),
            kafka_event({d + "-3": [record(topic=d, value=b64("v"),
                                           headers=[{d: d}])]}),
            kafka_event({d + "-4": "not an array"}),
            kafka_event({d + "-5": [dict(record(topic=d), partition=d)]}),
        ]
        for ev in bad:
            self.mock.push_event(ev)
        self.mock.push_event({"mode": "error", "text": d})
        self.mock.push_event({"mode": "typed", "text": "App." + d})
        self.mock.push_event({"mode": "log", "text": d})
        posts = self.posts(rt, 4 + len(bad))
        p = posts[0]
        self.assertEqual(p.kind, "response", rt.logs())
        [r] = p.json()
        self.assertEqual(r["topic"], d)
        self.assertEqual(r["tp"], d + "-0")
        self.assertEqual(r["key"], d)
        self.assertEqual(r["value"], d)
        self.assertEqual(r["headers"], [[d, d], [d, d]])
        for i, post in enumerate(posts[1:1 + len(bad)]):
            body = self.assert_error(post, "Kafka.InvalidEvent", rt)
            self.assertIn('"%s-%d"' % (d, i + 1), body["errorMessage"],
                          "the map key must appear literally")
        body = self.assert_error(posts[1 + len(bad)], "Lua.RuntimeError", rt)
        self.assertIn(d, body["errorMessage"])
        body = self.assert_error(posts[2 + len(bad)], "App." + d, rt)
        self.assertEqual(body["errorMessage"], "App." + d)
        self.assertEqual(posts[3 + len(bad)].json(), {"logged": True})
        self.assertTrue(rt.running(), rt.logs())
        self.assertIn(d, rt.stderr(), "log.error must write the text as is")

    def test_directives_in_local_invoke(self):
        self.write("handler.lua", FORMAT_HANDLER)
        code, out, err = self.local(
            json.dumps({"mode": "error", "text": DIRECTIVES}).encode())
        self.assertEqual(code, 1, out + err)
        self.assertIn(DIRECTIVES, self.last_json(out)["errorMessage"])


PATH_HANDLER = r"""
local router = require "router"
local ok, helper = pcall(require, "cwd_helper")
router.custom(function(event, context)
  return { path = package.path, cpath = package.cpath,
           helper = ok and helper or false }
end)
"""


class SearchPathTest(RuntimeTestCase):
    def setUp(self):
        super().setUp()
        self.cwd = os.path.join(self.tmp, "cwd")
        os.mkdir(self.cwd)
        self.write("cwd_helper.lua", "return 'from cwd'\n", root=self.cwd)

    def test_handler_in_cwd_only_is_not_found(self):
        self.write("handler.lua", PATH_HANDLER, root=self.cwd)
        code, out, err = self.local(b"{}", cwd=self.cwd)
        self.assertEqual(code, 2, out + err)
        self.assertIn("Runtime.ImportModuleError", err)

    def test_handler_in_cwd_only_runtime_mode(self):
        self.write("handler.lua", PATH_HANDLER, root=self.cwd)
        rt = self.start(cwd=self.cwd)
        [p] = self.posts(rt, 1, kind="init_error")
        self.assert_error(p, "Runtime.ImportModuleError", rt)
        self.assertNotEqual(rt.wait(), 0)

    def test_required_module_in_cwd_only_is_not_found(self):
        self.write("handler.lua", PATH_HANDLER)
        code, out, err = self.local(b"{}", cwd=self.cwd)
        self.assertEqual(code, 0, out + err)
        res = self.last_json(out)
        self.assertIs(res["helper"], False, "a module was loaded from cwd")
        for entry in res["path"].split(";") + res["cpath"].split(";"):
            self.assertFalse(entry.startswith("./") or entry.startswith("?"),
                             "relative entry %r in %r" % (entry, res["path"]))
        self.assertTrue(res["path"].startswith(self.root + "/?.lua;"),
                        res["path"])

    def test_lua_path_extends_the_search(self):
        self.write("handler.lua", PATH_HANDLER)
        code, out, err = self.local(
            b"{}", cwd=self.cwd,
            env={"LUA_PATH": os.path.join(self.cwd, "?.lua")})
        self.assertEqual(code, 0, out + err)
        self.assertEqual(self.last_json(out)["helper"], "from cwd")

    def test_task_root_wins_over_lua_path(self):
        self.write("handler.lua", PATH_HANDLER)
        self.write("cwd_helper.lua", "return 'from root'\n")
        code, out, err = self.local(
            b"{}", cwd=self.cwd,
            env={"LUA_PATH": os.path.join(self.cwd, "?.lua")})
        self.assertEqual(code, 0, out + err)
        self.assertEqual(self.last_json(out)["helper"], "from root")

    def test_lua_init_is_not_run(self):
        self.write("handler.lua", PATH_HANDLER)
        flag = os.path.join(self.tmp, "lua_init_ran")
        code, out, err = self.local(
            b"{}", cwd=self.cwd,
            env={"LUA_INIT": "io.open(%r, 'w'):close()" % flag,
                 "LUA_INIT_5_4": "io.open(%r, 'w'):close()" % flag})
        self.assertEqual(code, 0, out + err)
        self.assertFalse(os.path.exists(flag), "LUA_INIT was executed")

    def test_precompiled_module_refused(self):
        # bytecode can crash the VM; modules load as text only
        self.write("handler.lua", 'require "router".custom(function() '
                   'return require "compiled" end)\n')
        with open(os.path.join(self.root, "compiled.lua"), "wb") as f:
            f.write(b"\x1bLua\x54\x00garbage bytecode")
        code, out, err = self.local(b"{}")
        self.assertEqual(code, 1, out + err)
        self.assertIn("errorType", self.last_json(out))


if __name__ == "__main__":
    main()
