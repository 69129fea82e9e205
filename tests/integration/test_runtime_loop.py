#!/usr/bin/env python3
"""The real bootstrap against the mock Runtime API, over loopback.

Each test writes its handler into a fresh task root, starts $LRT_BOOTSTRAP
with AWS_LAMBDA_RUNTIME_API pointing at a MockRuntimeAPI (see
mock_runtime_api.py), queues events and faults, and asserts on what the
runtime posted, what it logged and how it exited. Nothing here asserts a
duration: waits have generous bounds and end as soon as the awaited thing
happens.

Observed policies the tests pin down (runtime_loop.c):
* a /next whose body is cut short by a dropped connection is a transport
  failure: retried after a short backoff, the dropped event is never
  answered (Lambda re-delivers it after its timeout), the next event is
  served normally;
* 400/403/413 on a response or error POST end that invocation only; 500 on
  any POST or on /next ends the process with a non-zero code.
"""

import os
import re
import shutil
import signal
import sys
import tempfile
import textwrap
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mock_runtime_api import MockRuntimeAPI, NEXT_PATH  # noqa: E402
from bootstrap_process import BOOTSTRAP, Runtime, free_port  # noqa: E402

SANITIZE = os.environ.get("LRT_SANITIZE") == "1"
# Upper bounds for waits only; the waits return as soon as they can.
WAIT = 60.0 if SANITIZE else 20.0

RESPONSE_LIMIT = 6291556
SANITIZER_REPORT = re.compile(
    r"ERROR: (Address|Leak|Memory|Thread)Sanitizer|runtime error: ")

COUNTER_HANDLER = """
local router = require "router"
local n = 0
router.custom(function(event, context)
  n = n + 1
  return { n = n, echo = event }
end)
"""

ERROR_TYPE_HEADER = "Lambda-Runtime-Function-Error-Type"


class RuntimeLoopTest(unittest.TestCase):
    def setUp(self):
        if not os.access(BOOTSTRAP, os.X_OK):
            self.fail("no bootstrap at %s (set LRT_BOOTSTRAP)" % BOOTSTRAP)
        self.tmp = tempfile.mkdtemp(prefix="lrt-loop-")
        self.root = os.path.join(self.tmp, "task")
        os.mkdir(self.root)
        self.mock = MockRuntimeAPI().start()
        self.runtimes = []
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        reports = []
        for rt in self.runtimes:
            rt.close()
            err = rt.stderr()
            if SANITIZER_REPORT.search(err):
                reports.append(err[-6000:])
        self.mock.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)
        # A sanitizer finding fails the test even when the behaviour was right.
        if reports:
            self.fail("sanitizer report from the runtime:\n" + reports[0])

    # ---- helpers ----

    def write(self, name, source):
        path = os.path.join(self.root, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(textwrap.dedent(source))

    def start(self, handler_source=None, handler="handler", endpoint=None,
              env=None):
        if handler_source is not None:
            self.write(handler.split(".")[0] + ".lua", handler_source)
        e = {k: v for k, v in os.environ.items()
             if not k.startswith(("AWS_", "LAMBDA_", "_HANDLER", "_X_AMZN"))
             and k.lower() not in ("http_proxy", "https_proxy", "all_proxy",
                                   "no_proxy", "lua_path", "lua_init")}
        e.update({
            "AWS_LAMBDA_RUNTIME_API": endpoint or self.mock.endpoint,
            "LAMBDA_TASK_ROOT": self.root,
            "_HANDLER": handler,
            "AWS_LAMBDA_FUNCTION_NAME": "lrt-test",
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
            "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/lrt-test",
            "AWS_LAMBDA_LOG_STREAM_NAME": "2026/11/27/[$LATEST]abc",
            "AWS_REGION": "us-east-1",
        })
        if env:
            e.update(env)
        rt = Runtime(self.tmp, e, wait=WAIT)
        self.runtimes.append(rt)
        return rt

    def posts(self, rt, n, kind=None, timeout=WAIT):
        """Wait for n POSTs; on timeout fail with the runtime's logs."""
        try:
            return self.mock.wait_for_posts(n, timeout=timeout, kind=kind)
        except AssertionError as e:
            self.fail("%s\nrunning=%s%s" % (e, rt.running(), rt.logs()))

    def assert_exits(self, rt, nonzero=True):
        code = rt.wait()
        self.assertIsNotNone(code, "the runtime did not exit" + rt.logs())
        if nonzero:
            self.assertNotEqual(code, 0, rt.logs())
        else:
            self.assertEqual(code, 0, rt.logs())
        return code

    def assert_error_body(self, post, rt=None):
        """A well-formed Lambda error: returns the decoded body."""
        logs = rt.logs() if rt else ""
        try:
            body = post.json()
        except ValueError:
            self.fail("error body is not JSON: %r%s" % (post.body[:300], logs))
        self.assertIsInstance(body, dict, logs)
        self.assertIsInstance(body.get("errorMessage"), str, body)
        self.assertIsInstance(body.get("errorType"), str, body)
        self.assertNotEqual(body["errorType"], "", body)
        self.assertIsInstance(body.get("stackTrace"), list, body)
        for line in body["stackTrace"]:
            self.assertIsInstance(line, str, body)
        self.assertEqual(post.headers.get(ERROR_TYPE_HEADER), body["errorType"],
                         "the error type header must match the body")
        return body

    # ---- the basic loop ----

    def test_one_invocation(self):
        rt = self.start("""
            local router = require "router"
            router.custom(function(event, context)
              return { hello = "world", got = event.x, list = { 1, 2, 3 },
                       f = 1.5 }
            end)
        """)
        rid = self.mock.push_event({"x": 42})
        [post] = self.posts(rt, 1)
        self.assertEqual(post.kind, "response", rt.logs())
        self.assertEqual(post.request_id, rid)
        self.assertEqual(post.status, 202)
        self.assertEqual(post.json(),
                         {"hello": "world", "got": 42, "list": [1, 2, 3],
                          "f": 1.5})
        self.assertEqual(post.headers.get("Content-Length"),
                         str(len(post.body)))
        self.assertIsNone(post.headers.get("Expect"))
        # It then waits for the next event on the same connection.
        self.mock.wait_for_next_waiting(1, timeout=WAIT)
        self.assertTrue(rt.running())
        self.assertEqual(len(self.mock.api_connections), 1)

    def test_1000_warm_invocations_one_process(self):
        rt = self.start("""
            local router = require "router"
            local f = assert(io.open("/proc/self/stat"))
            local pid = tonumber(f:read("a"):match("^(%d+)"))
            f:close()
            local n = 0
            router.custom(function(event, context)
              n = n + 1
              return { n = n, pid = pid, i = event.i }
            end)
        """)
        count = 1000
        for i in range(count):
            self.mock.push_event({"i": i})
        posts = self.posts(rt, count, timeout=WAIT * 6)
        self.assertEqual([p.kind for p in posts], ["response"] * count)
        bodies = [p.json() for p in posts]
        # One Lua state: the module-level counter runs 1..1000 in order.
        self.assertEqual([b["n"] for b in bodies], list(range(1, count + 1)))
        self.assertEqual([b["i"] for b in bodies], list(range(count)))
        self.assertEqual({b["pid"] for b in bodies}, {rt.pid})
        self.assertTrue(rt.running(), rt.logs())
        # Keep-alive: one TCP connection carried every request.
        self.assertEqual(len(self.mock.api_connections), 1)

    # ---- handler errors ----

    def test_handler_error_then_next_served(self):
        rt = self.start("""
            local router = require "router"
            local function inner(x)
              if x.fail then error("boom: " .. x.fail) end
              return { ok = true }
            end
            router.custom(function(event, context)
              return inner(event)
            end)
        """)
        rid1 = self.mock.push_event({"fail": "it broke"})
        rid2 = self.mock.push_event({"fail": False})
        p1, p2 = self.posts(rt, 2)
        self.assertEqual((p1.kind, p1.request_id), ("error", rid1), rt.logs())
        body = self.assert_error_body(p1, rt)
        self.assertIn("boom: it broke", body["errorMessage"])
        self.assertEqual(body["errorType"], "Lua.RuntimeError")
        self.assertGreater(len(body["stackTrace"]), 0)
        self.assertTrue(any("inner" in line or "handler" in line
                            for line in body["stackTrace"]), body)
        self.assertEqual(p1.headers.get("Content-Type"), "application/json")
        self.assertEqual((p2.kind, p2.request_id), ("response", rid2))
        self.assertEqual(p2.json(), {"ok": True})

    def test_error_table_type_and_message(self):
        rt = self.start("""
            local router = require "router"
            router.custom(function(event, context)
              error({ type = "Orders.Invalid", message = "order 7 has no lines" })
            end)
        """)
        self.mock.push_event({})
        [p] = self.posts(rt, 1)
        self.assertEqual(p.kind, "error", rt.logs())
        body = self.assert_error_body(p, rt)
        self.assertEqual(body["errorType"], "Orders.Invalid")
        self.assertEqual(body["errorMessage"], "order 7 has no lines")

    def test_error_values_of_any_type(self):
        rt = self.start("""
            local router = require "router"
            local values = {
              ["nil"] = function() error(nil) end,
              number = function() error(42) end,
              bool = function() error(true) end,
              table = function() error({ code = 1 }) end,
              tostring = function()
                error(setmetatable({}, { __tostring = function()
                  return "custom text" end }))
              end,
              userdata = function() error(io.stdout) end,
              badtype = function() error({ type = 12, message = {} }) end,
            }
            router.custom(function(event, context)
              if event.kind == "ok" then return "fine" end
              values[event.kind]()
            end)
        """)
        kinds = ["nil", "number", "bool", "table", "tostring", "userdata",
                 "badtype"]
        for k in kinds:
            self.mock.push_event({"kind": k})
        self.mock.push_event({"kind": "ok"})
        posts = self.posts(rt, len(kinds) + 1)
        for k, p in zip(kinds, posts):
            with self.subTest(kind=k):
                self.assertEqual(p.kind, "error", rt.logs())
                body = self.assert_error_body(p, rt)
                if k == "number":
                    self.assertIn("42", body["errorMessage"])
                if k == "tostring":
                    self.assertIn("custom text", body["errorMessage"])
        self.assertEqual(posts[-1].kind, "response", rt.logs())
        self.assertEqual(posts[-1].json(), "fine")

    # ---- init errors ----

    def check_init_error(self, files, handler, want_types, want_text):
        for name, src in files.items():
            self.write(name, src)
        rt = self.start(handler=handler)
        [p] = self.posts(rt, 1, kind="init_error")
        body = self.assert_error_body(p, rt)
        self.assertIn(body["errorType"], want_types, body)
        self.assertIn(want_text, body["errorMessage"] + "\n".join(
            body["stackTrace"]), body)
        self.assert_exits(rt)
        self.assertEqual(self.mock.get_requests(NEXT_PATH), [],
                         "no /next after a failed init")
        return body

    def test_init_error_syntax(self):
        self.check_init_error({"handler.lua": "local x = = 1\n"}, "handler",
                              ["Runtime.UserCodeSyntaxError"], "handler")

    def test_init_error_missing_module(self):
        self.check_init_error({}, "nosuchmodule", ["Runtime.ImportModuleError"],
                              "nosuchmodule")

    def test_init_error_missing_required_module(self):
        self.check_init_error(
            {"handler.lua": 'local dep = require "not_there_either"\n'},
            "handler", ["Runtime.ImportModuleError", "Runtime.InitError"],
            "not_there_either")

    def test_init_error_top_level_error(self):
        self.check_init_error(
            {"handler.lua": 'error("cannot start: no config")\n'}, "handler",
            ["Runtime.InitError", "Runtime.ImportModuleError"],
            "cannot start: no config")

    def test_init_error_no_route(self):
        self.check_init_error(
            {"handler.lua": 'local router = require "router"\nreturn {}\n'},
            "handler", ["Runtime.HandlerNotFound"], "")

    def test_init_error_post_refused_still_exits(self):
        for status in (400, 403, 413, 500):
            with self.subTest(status=status):
                self.mock.reset()
                self.mock.fail_post("init_error", status)
                self.write("handler.lua", "local x = = 1\n")
                rt = self.start()
                [p] = self.posts(rt, 1, kind="init_error")
                self.assertEqual(p.status, status)
                self.assert_exits(rt)

    # ---- per-event environment and context ----

    def test_trace_id_set_and_unset(self):
        rt = self.start("""
            local router = require "router"
            router.custom(function(event, context)
              return { trace = os.getenv("_X_AMZN_TRACE_ID") or false }
            end)
        """, env={"_X_AMZN_TRACE_ID": "from-the-environment"})
        self.mock.push_event({}, trace_id="Root=1-aaaa;Sampled=1")
        self.mock.push_event({}, trace_id=None)
        self.mock.push_event({}, trace_id="Root=1-bbbb;Sampled=0")
        self.mock.push_event({}, trace_id=None)
        posts = self.posts(rt, 4)
        self.assertEqual([p.json()["trace"] for p in posts],
                         ["Root=1-aaaa;Sampled=1", False,
                          "Root=1-bbbb;Sampled=0", False], rt.logs())

    def test_context_fields(self):
        rt = self.start("""
            local router = require "router"
            router.custom(function(event, context)
              return {
                id = context.aws_request_id,
                deadline = context.deadline_ms,
                arn = context.invoked_function_arn,
                remaining = context:get_remaining_time_in_millis(),
                name = context.function_name,
                version = context.function_version,
                memory = context.memory_limit_in_mb,
                group = context.log_group_name,
                stream = context.log_stream_name,
              }
            end)
        """)
        deadline = int(time.time() * 1000) + 600000
        arn = "arn:aws:lambda:eu-west-1:123456789012:function:ctx:live"
        rid = self.mock.push_event({}, request_id="ctx-1", deadline_ms=deadline,
                                   arn=arn)
        [p] = self.posts(rt, 1)
        self.assertEqual(p.kind, "response", rt.logs())
        b = p.json()
        self.assertEqual(b["id"], rid)
        self.assertEqual(b["deadline"], deadline)
        self.assertEqual(b["arn"], arn)
        self.assertIsInstance(b["remaining"], int)
        self.assertGreater(b["remaining"], 0)
        self.assertLessEqual(b["remaining"], 600000)
        self.assertEqual(b["name"], "lrt-test")
        self.assertEqual(b["version"], "$LATEST")
        self.assertIn(b["memory"], (256, "256"))
        self.assertEqual(b["group"], "/aws/lambda/lrt-test")
        self.assertEqual(b["stream"], "2026/11/27/[$LATEST]abc")

    def test_context_emulator_deadline_and_missing_headers(self):
        # @vercel/fun sends "Deadline-Ms: 5000"; others omit the ARN or the
        # deadline altogether. The handler must still run.
        rt = self.start("""
            local router = require "router"
            router.custom(function(event, context)
              return { remaining = context:get_remaining_time_in_millis(),
                       arn = context.invoked_function_arn or false }
            end)
        """)
        self.mock.push_event({}, deadline_ms=5000, arn=None, trace_id=None)
        self.mock.push_event({}, arn=None, trace_id=None,
                             headers={"Lambda-Runtime-Deadline-Ms": None})
        p1, p2 = self.posts(rt, 2)
        self.assertEqual((p1.kind, p2.kind), ("response", "response"),
                         rt.logs())
        self.assertGreater(p1.json()["remaining"], 0)
        self.assertLessEqual(p1.json()["remaining"], 5000)
        self.assertIsInstance(p2.json()["remaining"], int)

    # ---- POST statuses ----

    def test_413_on_response_then_next_served(self):
        rt = self.start(COUNTER_HANDLER)
        self.mock.fail_post("response", 413)
        rid1 = self.mock.push_event({"a": 1})
        rid2 = self.mock.push_event({"a": 2})
        p1, p2 = self.posts(rt, 2)
        self.assertEqual((p1.request_id, p1.status), (rid1, 413), rt.logs())
        self.assertEqual((p2.kind, p2.request_id, p2.status),
                         ("response", rid2, 202), rt.logs())
        self.assertEqual(p2.json()["n"], 2)
        self.assertTrue(rt.running(), rt.logs())
        self.assertIn("413", rt.stderr())

    def test_4xx_on_posts_carry_on(self):
        rt = self.start("""
            local router = require "router"
            router.custom(function(event, context)
              if event.fail then error("asked to fail") end
              return "ok"
            end)
        """)
        cases = [(kind, status) for kind in ("response", "error")
                 for status in (400, 403, 413)]
        for kind, status in cases:
            self.mock.fail_post(kind, status)
            self.mock.push_event({"fail": kind == "error"})
        last = self.mock.push_event({"fail": False})
        posts = self.posts(rt, len(cases) + 1)
        self.assertEqual([(p.kind, p.status) for p in posts[:-1]], cases,
                         rt.logs())
        self.assertEqual((posts[-1].request_id, posts[-1].status),
                         (last, 202), rt.logs())
        self.assertTrue(rt.running(), rt.logs())

    def test_500_on_response_exits(self):
        rt = self.start(COUNTER_HANDLER)
        self.mock.fail_post("response", 500)
        self.mock.push_event({})
        self.mock.push_event({})
        [p] = self.posts(rt, 1)
        self.assertEqual(p.status, 500)
        self.assert_exits(rt)
        self.assertEqual(len(self.mock.get_posts()), 1,
                         "nothing served after the 500")

    def test_500_on_error_post_exits(self):
        rt = self.start("""
            local router = require "router"
            router.custom(function() error("x") end)
        """)
        self.mock.fail_post("error", 500)
        self.mock.push_event({})
        self.mock.push_event({})
        [p] = self.posts(rt, 1)
        self.assertEqual((p.kind, p.status), ("error", 500))
        self.assert_exits(rt)

    def test_500_on_next_exits(self):
        rt = self.start(COUNTER_HANDLER)
        self.mock.fail_next(500)
        self.mock.push_event({})
        self.assert_exits(rt)
        self.assertEqual(self.mock.get_posts(), [])
        self.assertEqual(len(self.mock.get_requests(NEXT_PATH)), 1,
                         "a 500 on /next is not retried")

    # ---- transport faults ----

    def test_connection_refused_retries_then_exits(self):
        rt = self.start(COUNTER_HANDLER,
                        endpoint="127.0.0.1:%d" % free_port())
        self.assert_exits(rt)
        lines = [ln for ln in rt.stderr().splitlines()
                 if re.search(r"next", ln, re.I)]
        self.assertGreaterEqual(len(lines), 2,
                                "expected a log line per attempt" + rt.logs())

    def test_connection_dropped_mid_body(self):
        rt = self.start(COUNTER_HANDLER)
        dropped = self.mock.push_event(b'{"this event": "is cut short"}',
                                       truncate_at=10)
        rid = self.mock.push_event({"after": True})
        [p] = self.posts(rt, 1)
        self.assertEqual((p.kind, p.request_id), ("response", rid), rt.logs())
        self.assertEqual(p.json(), {"n": 1, "echo": {"after": True}},
                         "the cut event must not reach the handler")
        self.mock.wait_for_next_waiting(1, timeout=WAIT)
        self.assertNotIn(dropped, [q.request_id for q in self.mock.get_posts()])
        self.assertTrue(rt.running(), rt.logs())

    def test_connection_dropped_without_answer(self):
        rt = self.start(COUNTER_HANDLER)
        self.mock.drop_next(2)
        rid = self.mock.push_event({})
        [p] = self.posts(rt, 1)
        self.assertEqual((p.kind, p.request_id), ("response", rid), rt.logs())
        self.assertGreaterEqual(len(self.mock.get_requests(NEXT_PATH)), 3)

    def test_slow_next(self):
        rt = self.start(COUNTER_HANDLER)
        self.mock.set_next_delay(0.5)
        self.mock.push_event({"a": 1})
        self.mock.push_event({"a": 2}, delay=0.5)
        posts = self.posts(rt, 2)
        self.assertEqual([p.json()["n"] for p in posts], [1, 2], rt.logs())

    def test_bogus_proxy_env_ignored(self):
        bogus = "http://127.0.0.1:%d" % free_port()
        rt = self.start(COUNTER_HANDLER, env={
            "HTTP_PROXY": bogus, "http_proxy": bogus, "HTTPS_PROXY": bogus,
            "https_proxy": bogus, "ALL_PROXY": bogus, "all_proxy": bogus})
        self.mock.push_event({"p": 1})
        [p] = self.posts(rt, 1)
        self.assertEqual(p.kind, "response", rt.logs())
        self.assertTrue(self.mock.get_requests()[0].path.startswith("/2018"))

    # ---- odd headers ----

    def test_header_name_case(self):
        rt = self.start("""
            local router = require "router"
            router.custom(function(event, context)
              return { id = context.aws_request_id,
                       trace = os.getenv("_X_AMZN_TRACE_ID") or false }
            end)
        """)
        r1 = self.mock.push_event({}, header_case="lower", trace_id="T-lower")
        r2 = self.mock.push_event({}, header_case="upper", trace_id="T-upper")
        r3 = self.mock.push_event({}, trace_id="T-mixed", headers={
            "LAMBDA-runtime-AWS-request-ID": "Mixed-Case-Id"})
        posts = self.posts(rt, 3)
        self.assertEqual([(p.request_id, p.json()["id"], p.json()["trace"])
                          for p in posts],
                         [(r1, r1, "T-lower"), (r2, r2, "T-upper"),
                          (r3, "Mixed-Case-Id", "T-mixed")], rt.logs())

    def test_missing_or_garbage_request_id_skipped(self):
        rt = self.start(COUNTER_HANDLER)
        self.mock.push_event({"bad": 1},
                             headers={"Lambda-Runtime-Aws-Request-Id": None})
        self.mock.push_event({"bad": 2}, request_id="../../init/error")
        self.mock.push_event({"bad": 3}, request_id="has space")
        self.mock.push_event({"bad": 4}, request_id="x" * 5000)
        good = self.mock.push_event({"good": True})
        [p] = self.posts(rt, 1)
        self.assertEqual((p.kind, p.request_id), ("response", good), rt.logs())
        # Skipped events never reached the handler.
        self.assertEqual(p.json(), {"n": 1, "echo": {"good": True}})
        self.mock.wait_for_next_waiting(1, timeout=WAIT)
        self.assertEqual(len(self.mock.get_posts()), 1, self.mock.get_posts())
        self.assertTrue(rt.running(), rt.logs())

    # ---- size limits ----

    def test_response_too_large(self):
        rt = self.start("""
            local router = require "router"
            router.custom(function(event, context)
              return string.rep("x", event.size)
            end)
        """)
        # A JSON string is its length plus two quotes.
        at_limit = self.mock.push_event({"size": RESPONSE_LIMIT - 2})
        over = self.mock.push_event({"size": RESPONSE_LIMIT - 1})
        after = self.mock.push_event({"size": 3})
        p1, p2, p3 = self.posts(rt, 3)
        self.assertEqual((p1.kind, p1.request_id, len(p1.body), p1.status),
                         ("response", at_limit, RESPONSE_LIMIT, 202), rt.logs())
        self.assertEqual((p2.kind, p2.request_id), ("error", over), rt.logs())
        body = self.assert_error_body(p2, rt)
        self.assertEqual(body["errorType"], "Runtime.ResponseTooLarge")
        self.assertLess(len(p2.body), 100000)
        self.assertEqual((p3.kind, p3.request_id), ("response", after))
        self.assertEqual(p3.json(), "xxx")

    def test_event_over_body_cap(self):
        rt = self.start(COUNTER_HANDLER)
        big = self.mock.push_event(b'"' + b"x" * (16 * 1024 * 1024) + b'"')
        small = self.mock.push_event({"s": 1})
        p1, p2 = self.posts(rt, 2)
        self.assertEqual((p1.kind, p1.request_id), ("error", big), rt.logs())
        self.assert_error_body(p1, rt)
        self.assertEqual((p2.kind, p2.request_id), ("response", small))
        self.assertEqual(p2.json()["n"], 1)

    # ---- SIGTERM ----

    def test_sigterm_while_idle(self):
        rt = self.start(COUNTER_HANDLER)
        self.mock.push_event({})
        self.posts(rt, 1)
        self.mock.wait_for_next_waiting(1, timeout=WAIT)
        rt.signal(signal.SIGTERM)
        self.assert_exits(rt, nonzero=False)
        self.assertIn("SIGTERM", rt.stderr())

    def sigterm_mid_invocation(self, env=None):
        """Start a handler that runs 1 s, SIGTERM it once it started; the
        runtime must exit 0. Returns (runtime, request id)."""
        rt = self.start("""
            local router = require "router"
            router.custom(function(event, context)
              local f = assert(io.open(event.marker, "w"))
              f:write("started")
              f:close()
              local t = os.clock()
              while os.clock() - t < 1.0 do end
              return { finished = true }
            end)
        """, env=env)
        marker = os.path.join(self.tmp, "started")
        rid = self.mock.push_event({"marker": marker})
        deadline = time.monotonic() + WAIT
        while not os.path.exists(marker):
            self.assertTrue(rt.running(), rt.logs())
            self.assertLess(time.monotonic(), deadline,
                            "the handler never started" + rt.logs())
            time.sleep(0.02)
        rt.signal(signal.SIGTERM)
        self.assert_exits(rt, nonzero=False)
        return rt, rid

    def test_sigterm_during_invocation(self):
        rt, rid = self.sigterm_mid_invocation()
        posts = self.mock.get_posts()
        self.assertEqual([(p.kind, p.request_id, p.status) for p in posts],
                         [("response", rid, 202)], rt.logs())
        self.assertEqual(posts[0].json(), {"finished": True})
        self.assertIn("SIGTERM", rt.stderr())

    # ---- the connection is the runtime's alone ----

    def test_popen_child_inherits_no_socket(self):
        # A handler's io.popen child lists the descriptors it inherited
        # (the shell's own, $$): the Runtime API connection, open and
        # kept alive while the handler runs, must not be among them.
        rt = self.start("""
            local router = require "router"
            router.custom(function(event, context)
              local p = assert(io.popen("ls -l /proc/$$/fd"))
              local out = p:read("a")
              p:close()
              return { fds = out }
            end)
        """)
        self.mock.push_event({})
        self.mock.push_event({})
        posts = self.posts(rt, 2)
        for p in posts:
            self.assertEqual(p.kind, "response", rt.logs())
            listing = p.json()["fds"]
            self.assertIn("/proc/", listing + "/proc/")  # it did list
            inherited = [ln for ln in listing.splitlines()
                         if re.search(r" (\d+) -> ", ln)
                         and int(re.search(r" (\d+) -> ", ln).group(1)) > 2]
            self.assertEqual([ln for ln in inherited if "socket:" in ln], [],
                             listing)
        # The second listing ran with the connection reused: one in all.
        self.assertEqual(len(self.mock.api_connections), 1)

    def test_stray_bytes_on_idle_connection_never_taken(self):
        # After the event's answer the server writes a whole second answer
        # nobody asked for. The handler waits until it is out; reused, the
        # connection would hand it to the POST as its answer, or to the next
        # /next as an event.
        rt = self.start("""
            local router = require "router"
            router.custom(function(event, context)
              if event.marker then
                for _ = 1, 3000 do
                  local f = io.open(event.marker)
                  if f then f:close() break end
                  os.execute("sleep 0.01")
                end
              end
              return { id = context.aws_request_id }
            end)
        """)
        marker = os.path.join(self.tmp, "stray-sent")
        stray = (b"HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: stray-id"
                 b"\r\nContent-Length: 2\r\n\r\n{}")
        r1 = self.mock.push_event({"marker": marker}, stray=stray,
                                  stray_marker=marker)
        r2 = self.mock.push_event({})
        p1, p2 = self.posts(rt, 2)
        self.assertEqual([(p.kind, p.request_id, p.status) for p in (p1, p2)],
                         [("response", r1, 202), ("response", r2, 202)],
                         rt.logs())
        self.assertEqual(p1.json(), {"id": r1})
        self.mock.wait_for_next_waiting(1, timeout=WAIT)
        self.assertNotIn("stray-id",
                         [p.request_id for p in self.mock.get_posts()])
        warns = [ln for ln in rt.stderr().splitlines()
                 if "nobody asked for" in ln]
        self.assertEqual(len(warns), 1, rt.logs())
        self.assertIn("WARN", warns[0])
        # The POST went out on a new connection, and stayed on it.
        reqs = self.mock.get_requests()
        self.assertEqual(len({r.conn for r in reqs}), 2, reqs)
        self.assertNotEqual(reqs[0].conn, reqs[1].conn)
        self.assertTrue(rt.running(), rt.logs())

    def test_post_not_sent_twice_when_server_hangs_up(self):
        # The server reads the response POST (and may have acted on it),
        # then closes without answering. curl would send it again on a
        # fresh connection; the runtime must not: one POST, one log line,
        # and the next event served.
        rt = self.start(COUNTER_HANDLER)
        self.mock.hang_up_posts(1)
        r1 = self.mock.push_event({"a": 1})
        r2 = self.mock.push_event({"a": 2})
        posts = self.posts(rt, 2)
        self.mock.wait_for_next_waiting(1, timeout=WAIT)
        posts = self.mock.get_posts()
        self.assertEqual([(p.request_id, p.status) for p in posts],
                         [(r1, None), (r2, 202)], rt.logs())
        self.assertEqual(len([r for r in self.mock.get_requests()
                              if r1 in r.path]), 1, rt.logs())
        self.assertIn("not sent again", rt.stderr())
        self.assertEqual(posts[1].json()["n"], 2)
        self.assertTrue(rt.running(), rt.logs())

if __name__ == "__main__":
    unittest.main()
