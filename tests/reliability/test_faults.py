#!/usr/bin/env python3
"""Fault injection against the mock Runtime API, beyond what
tests/integration/test_runtime_loop.py already pins down (it covers one
refused start, one dropped body, a 0.5 s /next, a few bad request ids, the
4xx on response/error posts in one process, 500 on response, error and /next,
SIGTERM idle and mid-invocation). Here each fault is pushed to its edge:

* connection refused at start: 1 + 3 attempts, each logged, then exit 1
  after the handler was loaded once; the API vanishing mid-life: the same;
* a connection dropped mid-body: up to three in a row are absorbed (the
  retry budget resets after a good /next), a fourth in a row ends the
  process; a dropped event is never answered nor shown to the handler;
* a slow /next (longer than the connect timeout): waited for, not retried;
* request id headers: missing, empty, unsafe in a URL, one byte over the
  cap -> skipped without a post; exactly at the cap -> served; a missing or
  garbage deadline header -> served;
* 400, 403, 413 and 500 on each kind of POST (response, error, init
  error): for response/error, 4xx ends the invocation and the next is
  served, 500 ends the process non-zero; any refused init error ends the
  process non-zero; every refusal is logged with its status;
* SIGTERM during an invocation that fails: its error is posted, exit 0; a
  second SIGTERM changes nothing.
"""

import json
import os
import re
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rtutil import (  # noqa: E402
    NEXT_PATH, WAIT, MockRuntimeAPI, RuntimeTestCase, free_port, main)

COUNTER = r"""
local router = require "router"
print("INIT-DONE")
local n = 0
router.custom(function(event, context)
  n = n + 1
  if event.fail then error("asked to fail") end
  return { n = n, echo = event, id = context.aws_request_id }
end)
"""


class FaultsTest(RuntimeTestCase):
    def assert_exit(self, rt, nonzero=True):
        code = rt.wait()
        self.assertIsNotNone(code, "the runtime did not exit" + rt.logs())
        if nonzero:
            self.assertNotEqual(code, 0, rt.logs())
            self.assertGreater(code, 0, "killed by a signal" + rt.logs())
        else:
            self.assertEqual(code, 0, rt.logs())

    # ---- connection refused ----

    def test_refused_at_start_four_attempts_then_exit(self):
        rt = self.start(COUNTER, endpoint="127.0.0.1:%d" % free_port())
        self.assert_exit(rt)
        err = rt.stderr()
        self.assertEqual(rt.stdout().count("INIT-DONE"), 1, rt.logs())
        attempts = [ln for ln in err.splitlines() if "/next failed" in ln]
        self.assertEqual(len(attempts), 3, "one warning per retry" + rt.logs())
        self.assertRegex(err, r"giving up on /next after 4 attempts")
        for line in err.splitlines():
            self.assertRegex(line, r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\t")

    def test_api_vanishes_mid_life(self):
        rt = self.start(COUNTER)
        self.mock.push_event({"a": 1})
        [p] = self.posts(rt, 1)
        self.assertEqual(p.json()["n"], 1)
        self.mock.wait_for_next_waiting(1, timeout=WAIT)
        self.mock.stop()
        self.assert_exit(rt)
        self.assertIn("giving up on /next", rt.stderr())

    # ---- dropped connections ----

    def test_three_dropped_bodies_absorbed(self):
        rt = self.start(COUNTER)
        dropped = [self.mock.push_event({"cut": i, "pad": "x" * 1000},
                                        truncate_at=20) for i in range(3)]
        rid = self.mock.push_event({"after": True})
        # a big body cut halfway, after the budget was reset by a good /next
        big = self.mock.push_event({"big": "y" * (1 << 20)},
                                   truncate_at=1 << 19)
        rid2 = self.mock.push_event({"after": 2})
        p1, p2 = self.posts(rt, 2)
        self.assertEqual((p1.request_id, p1.kind), (rid, "response"), rt.logs())
        self.assertEqual(p1.json()["n"], 1, "a cut event reached the handler")
        self.assertEqual((p2.request_id, p2.json()["n"]), (rid2, 2))
        answered = {p.request_id for p in self.mock.get_posts()}
        self.assertFalse(answered & set(dropped + [big]))
        self.assertTrue(rt.running(), rt.logs())

    def test_four_dropped_bodies_in_a_row_exit(self):
        rt = self.start(COUNTER)
        for i in range(4):
            self.mock.push_event({"cut": i, "pad": "x" * 1000}, truncate_at=20)
        self.mock.push_event({"never": True})
        self.assert_exit(rt)
        self.assertEqual(self.mock.get_posts(), [])
        self.assertEqual(len(self.mock.get_requests(NEXT_PATH)), 4)

    # ---- slow /next ----

    def test_slow_next_longer_than_connect_timeout(self):
        rt = self.start(COUNTER)
        self.mock.set_next_delay(2.5)
        rid = self.mock.push_event({"slow": True})
        [p] = self.posts(rt, 1)
        self.assertEqual((p.request_id, p.json()["n"]), (rid, 1), rt.logs())
        self.mock.wait_for_next_waiting(1, timeout=WAIT)
        self.assertEqual(len(self.mock.get_requests(NEXT_PATH)), 2,
                         "a slow /next must not be retried")
        self.assertNotIn("/next failed", rt.stderr())

    def test_idle_wait_is_not_a_failure(self):
        rt = self.start(COUNTER)
        self.mock.wait_for_next_waiting(1, timeout=WAIT)
        time.sleep(2.0)  # no event for a while: /next just blocks
        rid = self.mock.push_event({"late": True})
        [p] = self.posts(rt, 1)
        self.assertEqual(p.request_id, rid)
        self.mock.wait_for_next_waiting(1, timeout=WAIT)
        self.assertEqual(len(self.mock.get_requests(NEXT_PATH)), 2, rt.logs())
        self.assertNotIn("/next failed", rt.stderr())

    # ---- headers ----

    def test_request_id_edges(self):
        rt = self.start(COUNTER)
        skipped = ["", " ", "a/b", "..", "id?x=1", "id#f", "id%2F", "\u00e9t\u00e9",
                   "x" * 257]
        for i, rid in enumerate(skipped):
            self.mock.push_event({"skipped": i}, request_id=rid)
        at_cap = self.mock.push_event({"cap": True}, request_id="a" * 256)
        no_deadline = self.mock.push_event(
            {"deadline": None},
            headers={"Lambda-Runtime-Deadline-Ms": None})
        bad_deadline = self.mock.push_event(
            {"deadline": "garbage"},
            headers={"Lambda-Runtime-Deadline-Ms": "soon%n%s"})
        posts = self.posts(rt, 3)
        self.assertEqual([(p.request_id, p.kind) for p in posts],
                         [(at_cap, "response"), (no_deadline, "response"),
                          (bad_deadline, "response")], rt.logs())
        self.assertEqual(posts[0].json()["id"], "a" * 256)
        self.assertEqual(posts[0].json()["n"], 1,
                         "a skipped event reached the handler")
        self.mock.wait_for_next_waiting(1, timeout=WAIT)
        self.assertEqual(len(self.mock.get_posts()), 3)
        self.assertGreaterEqual(
            rt.stderr().count("Lambda-Runtime-Aws-Request-Id"), len(skipped),
            "each skipped event is logged" + rt.logs())
        self.assertTrue(rt.running(), rt.logs())

    # ---- POST statuses ----

    def test_4xx_on_response_and_error_posts(self):
        rt = self.start(COUNTER)
        cases = [(kind, status) for kind in ("response", "error")
                 for status in (400, 403, 413)]
        for kind, status in cases:
            rid = self.mock.push_event({"fail": kind == "error"})
            self.mock.fail_post(kind, status, request_id=rid)
            self.mock.push_event({"fail": False})
        posts = self.posts(rt, 2 * len(cases))
        for i, (kind, status) in enumerate(cases):
            refused, follow = posts[2 * i], posts[2 * i + 1]
            self.assertEqual((refused.kind, refused.status), (kind, status))
            self.assertEqual((follow.kind, follow.status), ("response", 202))
            self.assertEqual(follow.json()["n"], 2 * i + 2, "state lost")
        err = rt.stderr()
        for status in (400, 403, 413):
            self.assertRegex(err, r"HTTP %d" % status)
        self.assertTrue(rt.running(), rt.logs())

    def test_500_on_response_or_error_post_exits(self):
        for kind in ("response", "error"):
            with self.subTest(kind=kind):
                self.mock.reset()
                rt = self.start(COUNTER)
                rid = self.mock.push_event({"fail": kind == "error"})
                self.mock.fail_post(kind, 500, request_id=rid)
                self.mock.push_event({"fail": False})
                self.assert_exit(rt)
                posts = self.mock.get_posts()
                self.assertEqual([(p.kind, p.status) for p in posts],
                                 [(kind, 500)], rt.logs())
                self.assertIn("HTTP 500", rt.stderr())

    def test_every_status_on_init_error(self):
        for status in (400, 403, 413, 500):
            with self.subTest(status=status):
                self.mock.reset()
                self.write("broken.lua", "error('broken at init')\n")
                self.mock.fail_post("init_error", status)
                rt = self.start(handler="broken")
                self.assert_exit(rt)
                [p] = self.mock.get_posts()
                self.assertEqual((p.kind, p.status), ("init_error", status))
                self.assertIn("broken at init", p.body.decode())
                self.assertIn("HTTP %d" % status, rt.stderr(), rt.logs())
                self.assertEqual(self.mock.get_requests(NEXT_PATH), [])

    # ---- SIGTERM ----

    def test_sigterm_during_failing_invocation(self):
        marker = os.path.join(self.tmp, "started")
        rt = self.start(r"""
            local router = require "router"
            router.custom(function(event, context)
              local f = assert(io.open(event.marker, "w"))
              f:close()
              local t = os.clock()
              while os.clock() - t < 1.0 do end
              error({ type = "App.Failed", message = "failed after SIGTERM" })
            end)
        """)
        rid = self.mock.push_event({"marker": marker})
        self.mock.push_event({"marker": marker})
        deadline = time.monotonic() + WAIT
        while not os.path.exists(marker):
            self.assertTrue(rt.running(), rt.logs())
            self.assertLess(time.monotonic(), deadline, "never started")
            time.sleep(0.02)
        rt.proc.send_signal(signal.SIGTERM)
        rt.proc.send_signal(signal.SIGTERM)
        self.assert_exit(rt, nonzero=False)
        posts = self.mock.get_posts()
        self.assertEqual([(p.kind, p.request_id) for p in posts],
                         [("error", rid)], rt.logs())
        self.assert_error(posts[0], "App.Failed", rt)
        self.assertEqual(len(self.mock.get_requests(NEXT_PATH)), 1,
                         "no /next after SIGTERM")


if __name__ == "__main__":
    main()
