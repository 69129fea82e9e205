#!/usr/bin/env python3
"""Limits that become clear invocation errors instead of kills.

The real bootstrap against the mock Runtime API: a handler that allocates
without bound, loops past its deadline, returns a response Lambda would
refuse or a value JSON cannot hold, or is given an event that is empty, not
JSON or nested past the cap, gets an error of a documented type; and every
time the SAME process then serves a normal invocation (the warm state
survives, which is the point: a crash would lose the Kafka batch).
"""

import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rtutil import RESPONSE_LIMIT, WAIT, RuntimeTestCase, main  # noqa: E402
from c_constants import c_constant  # noqa: E402 (rtutil sets the path)

MAX_DEPTH = c_constant("JSON_LUA_MAX_DEPTH")
EVENT_CAP = c_constant("RUNTIME_API_MAX_EVENT")
EVENT_DRAIN = c_constant("RUNTIME_API_MAX_DRAIN")

# One handler for every case: the event says what to do; "ok" is the
# normal invocation that must follow each failure. n counts invocations, so
# an answer with the expected n proves the process (and its state) survived.
HANDLER = r"""
local router = require "router"
local json = require "json"
local n = 0
-- the same in every answer of one process, different across processes
local process = tostring({})
local parked = coroutine.wrap(function()
  coroutine.yield()
  while true do end
end)
parked()

local function nest(depth, leaf)
  local v = leaf
  for _ = 1, depth do v = { v } end
  return v
end

router.custom(function(event, context)
  n = n + 1
  local m = event.mode
  if m == "ok" then
    return { n = n, ok = true, process = process }
  elseif m == "oom" then
    local t = {}
    while true do t[#t + 1] = string.rep("x", 1024 * 1024 - 64) .. #t end
  elseif m == "oom_table" then
    local t = {}
    local i = 0
    while true do i = i + 1; t[i] = { i, i } end
  elseif m == "loop" then
    while true do end
  elseif m == "loop_pcall" then
    -- a retry loop that swallows every error, the timeout included
    while true do pcall(function() while true do end end) end
  elseif m == "loop_coroutine" then
    -- a coroutine created at init, before the invocation's hook was set
    parked()
  elseif m == "gc_loop" then
    -- a finalizer that never returns, then a failure: the collection the
    -- runtime runs after a failed invocation must not hang on it
    setmetatable({}, { __gc = function() while true do end end })
    error("failed after creating a looping finalizer")
  elseif m == "big" then
    return string.rep("y", event.size)
  elseif m == "cycle" then
    local t = {}
    t.self = t
    return t
  elseif m == "function" then
    return { f = print }
  elseif m == "nan" then
    return { v = 0 / 0 }
  elseif m == "inf" then
    return { v = math.huge }
  elseif m == "-inf" then
    return { v = -math.huge }
  elseif m == "userdata" then
    return { f = io.stdout }
  elseif m == "deep" then
    return nest(event.depth, 1)
  elseif m == "decode_deep" then
    local text = string.rep("[", event.depth) .. string.rep("]", event.depth)
    local ok, err = pcall(json.decode, text)
    return { ok = ok, err = not ok and tostring(err) or false }
  elseif m == "decode_deep_raise" then
    json.decode(string.rep("[", event.depth) .. string.rep("]", event.depth))
  end
  error("unknown mode " .. tostring(m))
end)
"""


class LimitsTest(RuntimeTestCase):
    def run_cases(self, cases, env=None):
        """cases: [(event body or dict, check(post))]; each case is followed
        by an "ok" event that must be served by the same process."""
        rt = self.start(HANDLER, env=env)
        self.mock.push_event({"mode": "ok"})
        [first] = self.posts(rt, 1)
        process = first.json()["process"]
        for i, (event, _) in enumerate(cases):
            self.mock.push_event(event)
            self.mock.push_event({"mode": "ok"})
        posts = self.posts(rt, 1 + 2 * len(cases))[1:]
        last_n = 1
        for i, (_, check) in enumerate(cases):
            with self.subTest(case=i):
                check(posts[2 * i], rt)
                follow = posts[2 * i + 1]
                self.assertEqual(follow.kind, "response", rt.logs())
                body = follow.json()
                self.assertEqual((body["ok"], body["process"]),
                                 (True, process),
                                 "the next invocation was not served by the "
                                 "same warm process" + rt.logs())
                self.assertGreater(body["n"], last_n, "state was lost")
                last_n = body["n"]
        self.assertTrue(rt.running(), rt.logs())
        return rt

    def expect(self, error_type, *fragments):
        def check(post, rt):
            body = self.assert_error(post, error_type, rt)
            for frag in fragments:
                self.assertIn(frag, body["errorMessage"], body)
        return check

    # ---- memory ----

    def test_out_of_memory_then_served(self):
        self.run_cases([
            ({"mode": "oom"}, self.expect("Runtime.OutOfMemory", "memory")),
            ({"mode": "oom_table"},
             self.expect("Runtime.OutOfMemory", "memory")),
            ({"mode": "oom"}, self.expect("Runtime.OutOfMemory", "memory")),
        ], env={"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128"})

    # ---- deadline ----

    def timeout_case(self, mode):
        deadline = int(time.time() * 1000) + 1500
        rt = self.start(HANDLER)
        rid = self.mock.push_event({"mode": mode}, deadline_ms=deadline)
        self.mock.push_event({"mode": "ok"})
        p1, p2 = self.posts(rt, 2)
        self.assertEqual(p1.request_id, rid)
        body = self.assert_error(p1, "Runtime.Timeout", rt)
        self.assertIn("deadline", body["errorMessage"])
        # The mock stamps each request on arrival (monotonic clock); the
        # error must be there before Lambda would have killed the sandbox.
        arrived_ms = (time.time() - (time.monotonic() - p1.request.time)) * 1000
        self.assertLess(arrived_ms, deadline,
                        "the timeout error arrived after the deadline")
        self.assertEqual((p2.kind, p2.json()["n"]), ("response", 2), rt.logs())

    def test_timeout_then_served(self):
        self.timeout_case("loop")

    def test_timeout_not_swallowed_by_pcall(self):
        self.timeout_case("loop_pcall")

    def test_timeout_in_coroutine_created_at_init(self):
        self.timeout_case("loop_coroutine")

    def test_looping_finalizer_answered_then_process_replaced(self):
        # Lua runs __gc finalizers with hooks off: nothing can interrupt one
        # that never returns. The runtime answers the invocation first, then
        # its collection watchdog ends the process with a clear line, so
        # Lambda starts a fresh runtime for the next event instead of the
        # sandbox hanging until its timeout.
        deadline = int(time.time() * 1000) + 1500
        rt = self.start(HANDLER)
        rid = self.mock.push_event({"mode": "gc_loop"}, deadline_ms=deadline)
        (p1,) = self.posts(rt, 1)
        self.assertEqual((p1.request_id, p1.kind), (rid, "error"), rt.logs())
        self.assertIn(p1.json()["errorType"], ("Lua.RuntimeError", "Runtime.Timeout"))
        self.assertEqual(rt.wait(WAIT), 1, rt.logs())
        self.assertIn("__gc finalizer) did not finish within its budget",
                      rt.stderr())
        # A fresh runtime (what Lambda starts next) serves the next event.
        self.mock.push_event({"mode": "ok"})
        rt2 = self.start(HANDLER)
        p2 = self.posts(rt2, 2)[1]
        self.assertEqual(p2.kind, "response", rt2.logs())

    # ---- responses ----

    def test_response_too_large_names_its_size(self):
        size = 7 * 1024 * 1024
        self.run_cases([
            ({"mode": "big", "size": size},
             self.expect("Runtime.ResponseTooLarge", str(size + 2),
                         str(RESPONSE_LIMIT))),
            ({"mode": "big", "size": RESPONSE_LIMIT - 1},
             self.expect("Runtime.ResponseTooLarge", str(RESPONSE_LIMIT + 1))),
        ])

    def test_unencodable_responses(self):
        bad = "Runtime.InvalidResponse"
        self.run_cases([
            ({"mode": "cycle"}, self.expect(bad, "cycle")),
            ({"mode": "function"}, self.expect(bad, "function")),
            ({"mode": "nan"}, self.expect(bad, "NaN")),
            ({"mode": "inf"}, self.expect(bad, "infinity")),
            ({"mode": "-inf"}, self.expect(bad, "infinity")),
            ({"mode": "userdata"}, self.expect(bad, "userdata")),
            ({"mode": "deep", "depth": MAX_DEPTH + 50},
             self.expect(bad, "nesting", str(MAX_DEPTH))),
            ({"mode": "deep", "depth": 100000},
             self.expect(bad, "nesting", str(MAX_DEPTH))),
        ])

    def test_nesting_at_the_cap_is_encoded(self):
        rt = self.start(HANDLER)
        # nest(d, 1) has d tables; the cap counts tables.
        self.mock.push_event({"mode": "deep", "depth": MAX_DEPTH})
        [p] = self.posts(rt, 1)
        self.assertEqual(p.kind, "response", rt.logs())
        self.assertEqual(p.body, b"[" * MAX_DEPTH + b"1" + b"]" * MAX_DEPTH)

    # ---- json.decode ----

    def test_json_decode_nesting_cap(self):
        def ok_at_cap(post, rt):
            self.assertEqual(post.json(), {"ok": True, "err": False},
                             rt.logs())

        def caught(post, rt):
            body = post.json()
            self.assertIs(body["ok"], False, body)
            self.assertRegex(body["err"], r"^json\.decode: .*nesting.*%d"
                             % MAX_DEPTH)

        def raised(post, rt):
            body = self.assert_error(post, "Lua.RuntimeError", rt)
            self.assertIn("json.decode", body["errorMessage"])
            self.assertIn("nesting", body["errorMessage"])

        self.run_cases([
            ({"mode": "decode_deep", "depth": MAX_DEPTH}, ok_at_cap),
            ({"mode": "decode_deep", "depth": MAX_DEPTH + 1}, caught),
            ({"mode": "decode_deep", "depth": 5000}, caught),
            ({"mode": "decode_deep", "depth": 1000000}, caught),
            ({"mode": "decode_deep_raise", "depth": 300}, raised),
        ])

    # ---- events ----

    def test_invalid_events(self):
        inv = "Runtime.InvalidEvent"
        self.run_cases([
            (b"", self.expect(inv, "empty")),
            (b"not json at all", self.expect(inv, "JSON")),
            (b"{\"mode\": \"ok\"", self.expect(inv, "JSON")),
            (b"\xff\xfe{}", self.expect(inv, "JSON")),
            (b"{\"mode\": \"ok\"} trailing", self.expect(inv, "JSON")),
            (b"{\"mode\": \"ok\"}\x01", self.expect(inv, "JSON")),
            # the Kafka fast path must judge trailing bytes as the general
            # parser does (found by fuzz_kafka)
            (b'{"eventSource": "aws:kafka", "records": {}}\x01',
             self.expect(inv, "JSON")),
            (b'{"eventSource": "aws:kafka", "records": {}}\x00',
             self.expect(inv, "JSON")),
            (b'{"eventSource": "aws:kafka", "records": {}} x',
             self.expect(inv, "JSON")),
        ])

    def test_event_nested_past_the_cap(self):
        deep = b"[" * (MAX_DEPTH + 10) + b"]" * (MAX_DEPTH + 10)
        deeper = b"[" * 100000 + b"]" * 100000

        self.run_cases([(deep, self.expect("Runtime.InvalidEvent", "nest",
                                           str(MAX_DEPTH))),
                        (deeper, self.expect("Runtime.InvalidEvent", "nest",
                                             str(MAX_DEPTH)))])

    # ---- event size ----

    def test_event_over_the_cap_is_answered_and_not_kept(self):
        """docs/reliability.md, "Event body size": over the cap the body is
        not kept and Runtime.EventTooLarge is posted; up to the drain limit
        it is read and dropped on the same connection, past it the
        connection ends at the head without reading the body. Either way the
        same process serves the next event."""
        rt = self.start(HANDLER)
        self.mock.push_event({"mode": "ok"})
        self.posts(rt, 1)
        over = b" " * (EVENT_CAP - 13) + b'{"mode":"ok"}' + b" "
        self.assertEqual(len(over), EVENT_CAP + 1)
        big = self.mock.push_event(over)
        self.mock.push_event({"mode": "ok"})
        # Content-Length past the drain limit, and only 16 bytes of the
        # body ever sent: a runtime that tried to read it would hang.
        huge = self.mock.push_event(b"x" * (EVENT_DRAIN + 1), truncate_at=16)
        self.mock.push_event({"mode": "ok"})
        posts = self.posts(rt, 5)[1:]
        for post, rid in ((posts[0], big), (posts[2], huge)):
            self.assertEqual(post.request_id, rid)
            body = self.assert_error(post, "Runtime.EventTooLarge", rt)
            self.assertIn(str(EVENT_CAP), body["errorMessage"])
        for post in (posts[1], posts[3]):
            self.assertEqual(post.kind, "response", rt.logs())
            self.assertTrue(post.json()["ok"])
        self.assertEqual([p.json()["n"] for p in (posts[1], posts[3])], [2, 3],
                         "the handler saw an oversized event")
        # The drained one kept its connection: its /next, its error post and
        # the next /next share one; the one past the drain limit did not.
        reqs = self.mock.get_requests()
        nexts = [r for r in reqs if r.path.endswith("/invocation/next")]
        by_rid = {}
        for r in reqs:
            for rid in (big, huge):
                if rid in r.path:
                    by_rid[rid] = r.conn
        self.assertEqual(by_rid[big], nexts[1].conn)
        self.assertEqual(nexts[2].conn, nexts[1].conn, "a drained body "
                         "should keep the connection")
        self.assertNotEqual(nexts[4].conn, nexts[3].conn, "a body past the "
                            "drain limit should end the connection")
        self.assertTrue(rt.running(), rt.logs())


if __name__ == "__main__":
    main()
