#!/usr/bin/env python3
"""Lambda's log controls, through the real bootstrap.

Local invoke (`bootstrap --event F --root DIR`) runs examples/logging/handler.lua
(the handler docs/logging.md shows) under each AWS_LAMBDA_LOG_FORMAT and
AWS_LAMBDA_LOG_LEVEL setting, and every line it writes is checked: JSON lines
parse one by one with timestamp, level, message, requestId and the fields,
print() included; TEXT lines carry level and request id; the level filter
drops what it should; a message with newlines stays one record. The runtime's
own lines are checked in runtime mode against the mock Runtime API.

Environment: LRT_BOOTSTRAP (the binary), LRT_SOURCE_DIR (the repo).
Python 3.11 standard library only.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import unittest

SOURCE_DIR = os.environ.get(
    "LRT_SOURCE_DIR",
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
BOOTSTRAP = os.environ.get("LRT_BOOTSTRAP",
                           os.path.join(SOURCE_DIR, "build", "bootstrap"))
EXAMPLE_DIR = os.path.join(SOURCE_DIR, "examples", "logging")
EXAMPLE_EVENT = os.path.join(EXAMPLE_DIR, "event.json")

sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "integration"))
from mock_runtime_api import MockRuntimeAPI  # noqa: E402

TIMEOUT = 60
TS_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-"
                     r"[0-9a-f]{12}$")
TEXT_RE = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)\t"
                     r"(?:([^\t]+)\t)?(TRACE|DEBUG|INFO|WARN|ERROR|FATAL)\t"
                     r"(.*)$")


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("AWS_LAMBDA_") and k not in (
               "_HANDLER", "LAMBDA_TASK_ROOT", "LUA_HOT_RELOAD")}
    env.update(extra)
    return env


def invoke(root=EXAMPLE_DIR, event=EXAMPLE_EVENT, handler="handler", **env):
    """Run one local invocation; returns (code, stdout lines, stderr lines).
    stdout is the response alone; the handler's lines are on stderr."""
    proc = subprocess.run(
        [BOOTSTRAP, "--event", event, "--root", root, "--handler", handler],
        env=clean_env(**env), capture_output=True, timeout=TIMEOUT)
    out = proc.stdout.decode("utf-8").split("\n")
    err = proc.stderr.decode("utf-8").split("\n")
    # Each stream ends with a newline: the split leaves one empty string.
    if out and out[-1] == "":
        out.pop()
    if err and err[-1] == "":
        err.pop()
    if len(out) > 1:
        raise AssertionError("local invoke wrote more than the response on "
                             "stdout: %r" % out)
    return proc.returncode, out, err


class LoggingCase(unittest.TestCase):

    def parse_json_lines(self, lines, where):
        records = []
        for line in lines:
            try:
                rec = json.loads(line)
            except ValueError as e:
                self.fail("%s line is not JSON (%s): %r" % (where, e, line))
            self.assertIsInstance(rec, dict, line)
            self.assertRegex(rec.get("timestamp", ""), TS_RE, line)
            self.assertIn(rec.get("level"),
                          ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"),
                          line)
            self.assertIsInstance(rec.get("message"), str, line)
            records.append(rec)
        return records

    def example_json(self, **env):
        code, out, err = invoke(AWS_LAMBDA_LOG_FORMAT="JSON", **env)
        self.assertEqual(code, 0, (out, err))
        response = json.loads(out[-1])
        self.assertEqual(response, {"order_id": "o-1001", "accepted": 2})
        return self.parse_json_lines(err, "stderr")


class TestJsonFormat(LoggingCase):

    def test_every_line_is_a_json_record(self):
        records = self.example_json()
        levels = [r["level"] for r in records]
        # INFO by default: the debug record is dropped.
        self.assertEqual(levels, ["INFO", "INFO", "WARN", "ERROR"])
        ids = {r.get("requestId") for r in records}
        self.assertEqual(len(ids), 1, records)
        self.assertRegex(ids.pop(), UUID_RE)

    def test_fields_are_members_of_the_record(self):
        records = self.example_json()
        info = records[0]
        self.assertEqual(info["message"], "processing order")
        self.assertEqual(info["order_id"], "o-1001")
        self.assertEqual(info["items"], 3)
        err = records[3]
        self.assertEqual(err["message"], "item out of stock")
        self.assertEqual(err["sku"], "sku-2")
        self.assertIs(err["retry"], False)

    def test_print_is_a_json_record(self):
        records = self.example_json()
        self.assertEqual(records[1]["message"], "plain print\to-1001")
        self.assertEqual(records[1]["level"], "INFO")

    def test_newlines_stay_in_one_record(self):
        records = self.example_json()
        self.assertEqual(records[2]["message"], "slow supplier\nretrying once")

    def test_format_and_level_are_case_insensitive(self):
        code, out, err = invoke(AWS_LAMBDA_LOG_FORMAT="json",
                                AWS_LAMBDA_LOG_LEVEL="debug")
        self.assertEqual(code, 0, (out, err))
        records = self.parse_json_lines(err, "stderr")
        self.assertEqual([r["level"] for r in records],
                         ["DEBUG", "INFO", "INFO", "WARN", "ERROR"])
        self.assertEqual(records[0]["message"], "order received")
        self.assertEqual(records[0]["items"], 3)

    def test_level_warn_drops_info_debug_and_print(self):
        records = self.example_json(AWS_LAMBDA_LOG_LEVEL="WARN")
        self.assertEqual([r["level"] for r in records], ["WARN", "ERROR"])

    def test_level_error_keeps_error(self):
        records = self.example_json(AWS_LAMBDA_LOG_LEVEL="ERROR")
        self.assertEqual([r["message"] for r in records], ["item out of stock"])


class TestTextFormat(LoggingCase):

    def test_default_text_lines(self):
        code, out, err = invoke()
        self.assertEqual(code, 0, (out, err))
        self.assertEqual(json.loads(out[-1]),
                         {"order_id": "o-1001", "accepted": 2})
        lines = err
        # Every line is a record, print() included (an INFO record).
        logged = [TEXT_RE.match(l) for l in lines]
        self.assertTrue(all(logged), lines)
        self.assertEqual([m.group(3) for m in logged],
                         ["INFO", "INFO", "WARN", "ERROR"])
        ids = {m.group(2) for m in logged}
        self.assertEqual(len(ids), 1)
        self.assertRegex(ids.pop(), UUID_RE)
        msgs = [m.group(4) for m in logged]
        self.assertEqual(json.loads(msgs[0][len("processing order "):]),
                         {"order_id": "o-1001", "items": 3})
        self.assertEqual(msgs[1], "plain print\to-1001")
        # One record: the newline became a carriage return.
        self.assertEqual(msgs[2], "slow supplier\rretrying once")
        self.assertEqual(json.loads(msgs[3][len("item out of stock "):]),
                         {"sku": "sku-2", "retry": False})

    def test_text_level_filter(self):
        code, out, err = invoke(AWS_LAMBDA_LOG_LEVEL="error")
        self.assertEqual(code, 0, (out, err))
        logged = [l for l in err if TEXT_RE.match(l)]
        self.assertEqual(len(logged), 1, err)
        self.assertIn("\tERROR\titem out of stock", logged[0])
        # print is an INFO record: the level drops it too.
        self.assertFalse(any("plain print" in l for l in err), err)

    def test_text_debug_level(self):
        code, out, err = invoke(AWS_LAMBDA_LOG_LEVEL="DEBUG")
        self.assertEqual(code, 0, (out, err))
        self.assertTrue(any("\tDEBUG\torder received {\"items\":3}" in l
                            for l in err), err)


class TestHandlerFields(LoggingCase):
    """Odd fields and messages, from a handler written for the test."""

    HANDLER = textwrap.dedent("""\
        local router = require "router"
        local log = require "log"
        local json = require "json"
        router.custom(function(event)
          if event.bad then
            log.info("bad fields", { f = print })
            return "unreachable"
          end
          if event.filtered_bad then
            log.debug("dropped at INFO, still checked", "not a table")
            return "unreachable"
          end
          log.info(setmetatable({}, { __tostring = function() return "obj" end }),
                   { level = "mine", big = math.maxinteger, ratio = 1.0,
                     list = { 1, "two", json.null }, empty = json.array(),
                     text = "tab\\tquote\\"nl\\n" })
          log.warn("bytes \\0 \\255 end")
          log.info(42)
          print("a", nil, true, 1.5)
          return { done = true }
        end)
        """)

    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="lrt-logging-")
        with open(os.path.join(self.root, "handler.lua"), "w") as f:
            f.write(self.HANDLER)
        self.event = os.path.join(self.root, "event.json")
        with open(self.event, "w") as f:
            f.write("{}")

    def tearDown(self):
        shutil.rmtree(self.root, ignore_errors=True)

    def test_fields_encoding_and_reserved_names(self):
        code, out, err = invoke(root=self.root, event=self.event,
                                AWS_LAMBDA_LOG_FORMAT="JSON")
        self.assertEqual(code, 0, (out, err))
        recs = self.parse_json_lines(err, "stderr")
        self.assertEqual(len(recs), 4, err)
        first = recs[0]
        self.assertEqual(first["message"], "obj")
        self.assertEqual(first["level"], "INFO")
        self.assertEqual(first["field_level"], "mine")
        self.assertEqual(first["big"], 9223372036854775807)
        self.assertIn('"big":9223372036854775807', err[0])
        self.assertIn('"ratio":1.0', err[0])
        self.assertEqual(first["list"], [1, "two", None])
        self.assertEqual(first["empty"], [])
        self.assertEqual(first["text"], 'tab\tquote"nl\n')
        self.assertEqual(recs[1]["message"], "bytes \0 \ufffd end")
        self.assertEqual(recs[2]["message"], "42")
        self.assertEqual(recs[3]["message"], "a\tnil\ttrue\t1.5")

    def test_unencodable_fields_are_an_invocation_error(self):
        event = os.path.join(self.root, "bad.json")
        with open(event, "w") as f:
            f.write('{"bad": true}')
        code, out, err = invoke(root=self.root, event=event)
        self.assertEqual(code, 1, (out, err))
        body = json.loads(out[-1])
        self.assertEqual(body["errorType"], "Runtime.InvalidLogFields")
        self.assertIn("log.info: cannot encode a function at $.f",
                      body["errorMessage"])

    def test_fields_are_checked_below_the_level_too(self):
        # Issue 13 item 4: the argument check comes before the level filter,
        # so a wrong call fails at INFO as it would at DEBUG.
        event = os.path.join(self.root, "filtered.json")
        with open(event, "w") as f:
            f.write('{"filtered_bad": true}')
        code, out, err = invoke(root=self.root, event=event,
                                AWS_LAMBDA_LOG_LEVEL="INFO")
        self.assertEqual(code, 1, (out, err))
        body = json.loads(out[-1])
        self.assertIn("bad argument #2", body["errorMessage"])
        self.assertIn("table expected, got string", body["errorMessage"])


class TestRuntimeLines(LoggingCase):
    """The runtime's own stderr lines, in runtime mode."""

    HANDLER = textwrap.dedent("""\
        local router = require "router"
        local log = require "log"
        router.custom(function(event)
          log.info("handling")
          error({ type = "Test.Failure", message = "failed on purpose" })
        end)
        """)

    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="lrt-logging-rt-")
        with open(os.path.join(self.root, "handler.lua"), "w") as f:
            f.write(self.HANDLER)

    def tearDown(self):
        shutil.rmtree(self.root, ignore_errors=True)

    def run_runtime(self, **env):
        """One failing invocation, then the API goes away: the runtime logs
        the invocation error, retries /next and gives up."""
        api = MockRuntimeAPI().start()
        proc = None
        try:
            request_id = api.push_event(b'{"hello": "world"}')
            proc = subprocess.Popen(
                [BOOTSTRAP],
                env=clean_env(AWS_LAMBDA_RUNTIME_API=api.endpoint,
                              LAMBDA_TASK_ROOT=self.root, _HANDLER="handler",
                              **env),
                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            api.wait_for_posts(1, timeout=TIMEOUT, kind="error")
            # Back on /next, so the error's answer has been read.
            api.wait_for_next_waiting(1, timeout=TIMEOUT)
            api.stop()
            out, err = proc.communicate(timeout=TIMEOUT)
        finally:
            api.stop()
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.communicate()
        out_lines = [l for l in out.decode("utf-8").split("\n") if l]
        err_lines = [l for l in err.decode("utf-8").split("\n") if l]
        return request_id, proc.returncode, out_lines, err_lines

    def test_runtime_lines_are_json(self):
        rid, code, out, err = self.run_runtime(AWS_LAMBDA_LOG_FORMAT="JSON",
                                               AWS_LAMBDA_LOG_LEVEL="DEBUG")
        self.assertNotEqual(code, 0)
        handler_recs = self.parse_json_lines(out, "stdout")
        self.assertEqual([(r["message"], r["requestId"]) for r in handler_recs],
                         [("handling", rid)])
        recs = self.parse_json_lines(err, "stderr")
        levels = [r["level"] for r in recs]
        self.assertIn("DEBUG", levels)
        self.assertIn("WARN", levels)
        self.assertIn("FATAL", levels)
        errors = [r for r in recs if r["level"] == "ERROR"]
        self.assertTrue(errors, recs)
        self.assertEqual(errors[0]["requestId"], rid)
        # The error's fields are members of the line, not text in it.
        self.assertEqual(errors[0]["message"], "Invoke Error")
        self.assertEqual(errors[0]["errorType"], "Test.Failure")
        self.assertEqual(errors[0]["errorMessage"], "failed on purpose")
        self.assertIsInstance(errors[0]["stackTrace"], list)
        # Outside the invocation there is no request id.
        self.assertNotIn("requestId", recs[0])
        self.assertNotIn("requestId", recs[-1])

    def test_runtime_lines_filtered_by_level(self):
        rid, code, out, err = self.run_runtime(AWS_LAMBDA_LOG_FORMAT="JSON",
                                               AWS_LAMBDA_LOG_LEVEL="ERROR")
        self.assertNotEqual(code, 0)
        self.assertEqual(out, [])  # the handler's INFO record is dropped
        recs = self.parse_json_lines(err, "stderr")
        self.assertTrue(recs)
        self.assertTrue(all(r["level"] in ("ERROR", "FATAL") for r in recs),
                        recs)
        self.assertIn("ERROR", [r["level"] for r in recs])

    def test_runtime_text_lines(self):
        rid, code, out, err = self.run_runtime()
        self.assertNotEqual(code, 0)
        matches = [TEXT_RE.match(l) for l in err]
        self.assertTrue(err and all(matches), err)
        levels = [m.group(3) for m in matches]
        self.assertNotIn("DEBUG", levels)  # INFO by default
        self.assertIn("WARN", levels)
        with_id = [m for m in matches if m.group(2) == rid]
        self.assertTrue(with_id, err)
        self.assertEqual(with_id[0].group(3), "ERROR")
        self.assertTrue(any(TEXT_RE.match(l) and
                            TEXT_RE.match(l).group(2) == rid for l in out),
                        out)


if __name__ == "__main__":
    unittest.main()
