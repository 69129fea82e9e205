#!/usr/bin/env python3
"""The `metrics` module: CloudWatch Embedded Metric Format records.

Every record the runtime writes is checked with emf_validator.py (written
from the EMF specification; its own tests below show it rejects what the
specification forbids). In the Lambda loop (against the mock Runtime API)
records are JSON lines on stdout: one per invocation that added metrics,
none otherwise, also after a handler error, split at 100 metrics and at 100
values of one metric; namespace and service from Powertools' variables. In
local invoke they go to stderr and stdout stays the response. Misuse (bad
unit, bad name, too many dimensions) is a clear invocation error, and a
handler that breaks the module does not stop the runtime.

Environment: LRT_BOOTSTRAP, LRT_SOURCE_DIR. Python 3.11 standard library.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))
import emf_validator as emf  # noqa: E402
from mock_runtime_api import MockRuntimeAPI  # noqa: E402
from bootstrap_process import BOOTSTRAP, SOURCE_DIR, Runtime  # noqa: E402

SANITIZE = os.environ.get("LRT_SANITIZE") == "1"
WAIT = 60.0 if SANITIZE else 20.0

HANDLER = textwrap.dedent("""\
    local router = require "router"
    local metrics = require "metrics"
    local original_flush = metrics._flush
    router.custom(function(event)
      if event.restore then metrics._flush = original_flush end
      for _, d in ipairs(event.dims or {}) do metrics.dimension(d[1], d[2]) end
      for i = 1, event.metrics or 0 do
        metrics.add("m" .. i, i, event.unit)
      end
      for i = 1, event.repeats or 0 do metrics.add("same", i, "Milliseconds") end
      if event.property then metrics.property("order", event.property) end
      if event.bad_unit then metrics.add("x", 1, "Furlongs") end
      if event.bad_name then metrics.add(("n"):rep(256), 1) end
      if event.bad_value then metrics.add("v", 0/0) end
      if event.raw_name then metrics.add(event.raw_name, 1) end
      if event.fail then error({ type = "Test.Failed", message = "after adding" }) end
      if event.break_flush == "raise" then
        metrics._flush = function() error("broken flush") end
      elseif event.break_flush == "spin" then
        metrics._flush = function() while true do end end
      elseif event.break_flush == "junk" then
        metrics._flush = function() return { 42, {}, print } end
      end
      return { ok = true }
    end)
    """)


def emf_lines(text):
    return [l for l in text.splitlines() if '"_aws"' in l]


class ValidatorRejects(unittest.TestCase):
    """The validator is a real check: records against the spec fail it."""

    GOOD = {"_aws": {"Timestamp": 1764547200000, "CloudWatchMetrics": [
        {"Namespace": "ns", "Dimensions": [["d"]],
         "Metrics": [{"Name": "m", "Unit": "Count"}]}]}, "d": "x", "m": 1}

    def mutate(self, fn):
        rec = json.loads(json.dumps(self.GOOD))
        fn(rec)
        return json.dumps(rec)

    def test_good_passes_and_each_violation_fails(self):
        emf.validate(json.dumps(self.GOOD))
        d = lambda r: r["_aws"]["CloudWatchMetrics"][0]  # noqa: E731
        bad = {
            "no timestamp": lambda r: r["_aws"].pop("Timestamp"),
            "seconds timestamp": lambda r: r["_aws"].update(Timestamp=1764547200),
            "unknown unit": lambda r: d(r)["Metrics"][0].update(Unit="Furlongs"),
            "value a string": lambda r: r.update(m="1"),
            "value missing": lambda r: r.pop("m"),
            "dimension missing": lambda r: r.pop("d"),
            "dimension a number": lambda r: r.update(d=1),
            "101 metrics": lambda r: [
                (d(r)["Metrics"].append({"Name": "k%d" % i}), r.update({"k%d" % i: 1}))
                for i in range(100)],
            "31 dimensions": lambda r: [
                (d(r)["Dimensions"][0].append("e%d" % i), r.update({"e%d" % i: "v"}))
                for i in range(30)],
            "101 values": lambda r: r.update(m=list(range(101))),
            "empty namespace": lambda r: d(r).update(Namespace=""),
            "long name": lambda r: d(r)["Metrics"][0].update(Name="n" * 256),
            "extra member": lambda r: d(r).update(Extra=1),
            "AWS/ namespace": lambda r: d(r).update(Namespace="AWS/Lambda"),
            "namespace with !": lambda r: d(r).update(Namespace="a!b"),
            "non-ASCII dimension": lambda r: r.update(d="caf\u00e9"),
            "blank dimension": lambda r: r.update(d="  "),
        }
        for what, fn in bad.items():
            with self.subTest(what):
                with self.assertRaises(emf.EMFError):
                    emf.validate(self.mutate(fn))


class MetricsInTheLambdaLoop(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="lrt-metrics-")
        self.root = os.path.join(self.tmp, "task")
        os.mkdir(self.root)
        with open(os.path.join(self.root, "handler.lua"), "w") as f:
            f.write(HANDLER)
        self.mock = MockRuntimeAPI().start()
        self.rt = None
        self.addCleanup(self.cleanup)

    def cleanup(self):
        if self.rt:
            self.rt.close()
        self.mock.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def start(self, **env):
        e = {k: v for k, v in os.environ.items()
             if not k.startswith(("AWS_", "LAMBDA_", "_HANDLER", "POWERTOOLS_"))
             and k.lower() not in ("http_proxy", "https_proxy", "all_proxy",
                                   "no_proxy", "lua_path", "lua_init")}
        e.update({"AWS_LAMBDA_RUNTIME_API": self.mock.endpoint,
                  "LAMBDA_TASK_ROOT": self.root, "_HANDLER": "handler",
                  "AWS_LAMBDA_FUNCTION_NAME": "orders-fn",
                  "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256"})
        e.update(env)
        self.rt = Runtime(self.tmp, e, wait=WAIT)
        self.posted = 0

    def invoke(self, event, deadline_ms=None):
        """One invocation; returns (post, the EMF records it wrote)."""
        before = len(emf_lines(self.rt.stdout()))
        self.mock.push_event(event, deadline_ms=deadline_ms)
        self.posted += 1
        try:
            post = self.mock.wait_for_posts(self.posted, timeout=WAIT)[-1]
        except AssertionError as e:
            self.fail("%s%s" % (e, self.rt.logs()))
        # records are written before the answer is posted
        lines = emf_lines(self.rt.stdout())[before:]
        return post, [emf.validate(l) for l in lines]

    def test_one_record_per_invocation_that_added_metrics(self):
        self.start()
        post, recs = self.invoke({"metrics": 2, "dims": [["topic", "orders"]],
                                  "property": {"id": 7}})
        self.assertEqual(post.kind, "response", self.rt.logs())
        self.assertEqual(len(recs), 1)
        rec = recs[0]
        d = rec["_aws"]["CloudWatchMetrics"][0]
        self.assertEqual(d["Namespace"], "orders-fn")  # the function name
        self.assertEqual(d["Dimensions"], [["topic"]])
        self.assertEqual(d["Metrics"], [{"Name": "m1", "Unit": "Count"},
                                        {"Name": "m2", "Unit": "Count"}])
        self.assertEqual((rec["m1"], rec["m2"], rec["topic"]), (1, 2, "orders"))
        self.assertEqual(rec["order"], {"id": 7})
        now = time.time() * 1000
        self.assertLess(abs(rec["_aws"]["Timestamp"] - now), 10 * 60 * 1000)
        # then nothing for an invocation that adds none: it was cleared
        post, recs = self.invoke({})
        self.assertEqual((post.kind, recs), ("response", []))

    def test_flushed_after_a_handler_error(self):
        self.start()
        post, recs = self.invoke({"metrics": 1, "fail": True})
        self.assertEqual(post.kind, "error")
        self.assertEqual(post.json()["errorType"], "Test.Failed")
        self.assertEqual([r["m1"] for r in recs], [1])

    def test_over_100_metrics_and_values_are_split(self):
        self.start()
        post, recs = self.invoke({"metrics": 150, "unit": "Bytes"})
        self.assertEqual(post.kind, "response", self.rt.logs())
        self.assertEqual(len(recs), 2)
        names = [m["Name"] for r in recs
                 for m in r["_aws"]["CloudWatchMetrics"][0]["Metrics"]]
        self.assertEqual(sorted(names), sorted("m%d" % i for i in range(1, 151)))
        post, recs = self.invoke({"repeats": 250})
        self.assertEqual([emf.values(r, "same") for r in recs],
                         [list(range(1, 101)), list(range(101, 201)),
                          list(range(201, 251))])
        for r in recs:
            self.assertEqual(r["_aws"]["CloudWatchMetrics"][0]["Metrics"],
                             [{"Name": "same", "Unit": "Milliseconds"}])

    def test_powertools_namespace_and_service_dimension(self):
        self.start(POWERTOOLS_METRICS_NAMESPACE="Shop",
                   POWERTOOLS_SERVICE_NAME="checkout")
        post, recs = self.invoke({"metrics": 1, "dims": [["topic", "t"]]})
        d = recs[0]["_aws"]["CloudWatchMetrics"][0]
        self.assertEqual(d["Namespace"], "Shop")
        self.assertEqual(d["Dimensions"], [["service", "topic"]])
        self.assertEqual(recs[0]["service"], "checkout")
        # 30 dimensions in all, service included: 29 of the handler's pass,
        # a 30th is an error
        dims = [["d%d" % i, "v"] for i in range(29)]
        post, recs = self.invoke({"metrics": 1, "dims": dims})
        self.assertEqual(post.kind, "response", post.body)
        self.assertEqual(len(recs[0]["_aws"]["CloudWatchMetrics"][0]
                             ["Dimensions"][0]), 30)
        post, recs = self.invoke({"metrics": 1, "dims": dims + [["one", "more"]]})
        self.assertEqual(post.kind, "error")
        self.assertIn("at most 30 dimensions", post.json()["errorMessage"])
        # dimensions come first in this handler: no metric was added yet
        self.assertEqual(recs, [])

    def test_misuse_is_a_clear_error_and_the_next_invocation_is_served(self):
        self.start()
        for event, text in (({"bad_unit": True}, 'unknown unit "Furlongs"'),
                            ({"bad_name": True}, "1 to 255 bytes"),
                            ({"raw_name": "   "}, "not a space"),
                            ({"raw_name": ""}, "1 to 255 bytes"),
                            ({"dims": [["topic", "caf\u00e9"]], "metrics": 1},
                             "not printable ASCII"),
                            ({"dims": [[":x", "v"]], "metrics": 1},
                             "cannot start with ':'"),
                            ({"dims": [["m1", "v"]], "metrics": 1},
                             '"m1" is already a dimension'),
                            ({"bad_value": True}, "must be a finite number")):
            with self.subTest(event=event):
                post, recs = self.invoke(event)
                self.assertEqual(post.kind, "error")
                self.assertIn(text, post.json()["errorMessage"])
                self.assertEqual(recs, [])
        post, recs = self.invoke({"metrics": 1})
        self.assertEqual((post.kind, len(recs)), ("response", 1))

    def test_a_namespace_cloudwatch_refuses_is_logged_not_written(self):
        self.start(POWERTOOLS_METRICS_NAMESPACE="AWS/Lambda")
        for _ in range(2):
            post, recs = self.invoke({"metrics": 1})
            self.assertEqual((post.kind, recs), ("response", []))
        self.assertEqual(self.rt.stderr().count(
            'namespace \\"AWS/Lambda\\" is not one CloudWatch takes'), 2,
            self.rt.stderr())

    def test_a_broken_flush_is_logged_and_the_runtime_goes_on(self):
        self.start()
        post, recs = self.invoke({"metrics": 1, "break_flush": "raise"})
        self.assertEqual((post.kind, recs), ("response", []))
        self.assertIn("metrics: the invocation's records were not written",
                      self.rt.stderr())
        self.assertIn("broken flush", self.rt.stderr())
        post, recs = self.invoke({"metrics": 1, "break_flush": "junk"})
        self.assertEqual((post.kind, recs), ("response", []))
        deadline = int(time.time() * 1000) + 3000
        # the deadline guard stops a flush that never returns
        post, recs = self.invoke({"metrics": 1, "break_flush": "spin"},
                                 deadline_ms=deadline)
        self.assertEqual((post.kind, recs), ("response", []))
        self.assertIn("Runtime.Timeout", self.rt.stderr())
        post, recs = self.invoke({"metrics": 1, "restore": True})
        self.assertEqual((post.kind, len(recs)), ("response", 1))
        self.assertIsNone(self.rt.proc.poll())


class MetricsLocally(unittest.TestCase):
    def run_example(self, **env):
        e = {k: v for k, v in os.environ.items()
             if not k.startswith(("AWS_LAMBDA_", "POWERTOOLS_"))}
        e.update(env)
        ex = os.path.join(SOURCE_DIR, "examples", "kafka", "metrics")
        return subprocess.run(
            [BOOTSTRAP, "--event", os.path.join(ex, "event.json"), "--root",
             ex], env=e, capture_output=True, timeout=WAIT)

    def test_kafka_example_local_invoke_records_on_stderr(self):
        r = self.run_example(POWERTOOLS_METRICS_NAMESPACE="Shop",
                             POWERTOOLS_SERVICE_NAME="orders")
        self.assertEqual(r.returncode, 0, r.stderr)
        # stdout is the response alone
        response = json.loads(r.stdout)
        self.assertEqual(len(response["batchItemFailures"]), 2)
        recs = [emf.validate(l) for l in emf_lines(r.stderr.decode())]
        self.assertEqual(len(recs), 1)
        rec = recs[0]
        self.assertEqual(rec["_aws"]["CloudWatchMetrics"][0]["Namespace"], "Shop")
        self.assertEqual(rec["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
                         [["service", "topic"]])
        self.assertEqual((rec["RecordsProcessed"], rec["RecordsFailed"],
                          rec["topic"], rec["service"]), (3, 2, "orders", "orders"))
        with open(os.path.join(SOURCE_DIR, "examples", "kafka", "metrics",
                               "event.json")) as f:
            import base64
            event = json.load(f)
        size = sum(len(base64.b64decode(rec_["value"]))
                   for rs in event["records"].values() for rec_ in rs
                   if rec_.get("value"))
        self.assertEqual(rec["BytesReceived"], size)
        self.assertIn({"Name": "BytesReceived", "Unit": "Bytes"},
                      rec["_aws"]["CloudWatchMetrics"][0]["Metrics"])
        # docs/metrics.md shows this record: the same but for the time and
        # the request id (and member order, which JSON leaves open)
        with open(os.path.join(SOURCE_DIR, "docs", "metrics.md")) as f:
            doc = f.read()
        shown = json.loads(doc.split("```json\n", 1)[1].split("```", 1)[0])
        emf.validate(json.dumps(shown))
        for r in (shown, rec):
            r["_aws"]["Timestamp"] = 0
            r["requestId"] = "id"
        self.assertEqual(shown, rec)
        self.assertIn("```lua\n" + open(os.path.join(
            SOURCE_DIR, "examples", "kafka", "metrics", "handler.lua")).read()
            + "```", doc)


if __name__ == "__main__":
    unittest.main()
