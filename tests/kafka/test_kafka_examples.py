#!/usr/bin/env python3
"""The Kafka examples of docs/kafka.md, run by the real bootstrap.

Each example under examples/kafka/<name>/ (handler.lua + event.json) is run
against its own event and, where it makes sense, against the real fixtures in
tests/fixtures/kafka. The expected stdout lines and response are computed here
from the event JSON with the model of test_kafka_events.py, never copied from
a previous run.

Env: LRT_BOOTSTRAP (the built bootstrap), LRT_SOURCE_DIR (repo root).
"""

import json
import os
import re
import subprocess
import sys
import unittest

sys.dont_write_bytecode = True  # no __pycache__ in the source tree

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_kafka_events import (  # noqa: E402
    BOOT, FIXTURES, SRC, TIMEOUT, event_files, expected_event, load_event,
    needs_binary, printed_text)

EXAMPLES = os.path.join(SRC, "examples", "kafka")
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"


class Run:
    def __init__(self, proc):
        self.rc = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr.decode("utf-8", "replace")
        self.lines = proc.stdout.split(b"\n")
        if self.lines and self.lines[-1] == b"":
            self.lines.pop()
        if len(self.lines) > 1:
            raise AssertionError("more than the response on stdout: %r"
                                 % self.lines)
        self.response = json.loads(self.lines[-1]) if self.lines else None
        # print() writes INFO records, on stderr in local invoke: keep the
        # text handlers printed.
        self.printed = [printed_text(l.decode("utf-8", "surrogateescape"))
                        .encode("utf-8", "surrogateescape")
                        for l in proc.stderr.split(b"\n") if l]


def run_example(name, event=None, env=None):
    event = event or os.path.join(EXAMPLES, name, "event.json")
    e = dict(os.environ)
    for k in ("AWS_LAMBDA_RUNTIME_API", "_HANDLER", "LAMBDA_TASK_ROOT",
              "AWS_LAMBDA_LOG_FORMAT", "AWS_LAMBDA_LOG_LEVEL", "LUA_PATH"):
        e.pop(k, None)
    e.update(env or {})
    proc = subprocess.run(
        [BOOT, "--event", event, "--root", os.path.join(EXAMPLES, name),
         "--handler", "handler"],
        capture_output=True, timeout=TIMEOUT, env=e)
    run = Run(proc)
    if run.rc != 0:
        raise AssertionError("%s on %s: exit %d\n%s\n%s" % (
            name, event, run.rc, proc.stdout.decode("utf-8", "replace"),
            run.err))
    return run


def model(path):
    return expected_event(load_event(path))


def single_line_values(want):
    """True when no key or value would split a printed line."""
    return all(b"\n" not in (r[f] or b"") and b"\r" not in (r[f] or b"")
               for r in want["records"] for f in ("key", "value"))


def first_header(record, name):
    for k, v in record["headers"]:
        if k.lower() == name.lower():
            return v
    return None


def as_json(value):
    try:
        return json.loads(value.decode("utf-8"))
    except (ValueError, AttributeError):
        return None


@needs_binary
class ExamplesTest(unittest.TestCase):

    def test_every_example_has_handler_and_event(self):
        names = sorted(os.listdir(EXAMPLES))
        for n in ("basic", "topic_routing", "batch_errors", "headers",
                  "binary", "performance", "monitoring", "partial_batch"):
            self.assertIn(n, names)
            self.assertTrue(os.path.isfile(os.path.join(EXAMPLES, n,
                                                        "handler.lua")))
            self.assertTrue(os.path.isfile(os.path.join(EXAMPLES, n,
                                                        "event.json")))

    def test_docs_show_each_example_verbatim(self):
        with open(os.path.join(SRC, "docs", "kafka.md")) as f:
            doc = f.read()
        for n in ("basic", "topic_routing", "batch_errors", "headers",
                  "binary", "performance", "monitoring", "partial_batch"):
            with open(os.path.join(EXAMPLES, n, "handler.lua")) as f:
                code = f.read()
            self.assertIn("```lua\n" + code + "```", doc, n)
        # The response the doc shows for partial_batch is the real one.
        m = re.search(r'```json\n(\{"batchItemFailures":\[\{.*)\n```', doc)
        self.assertIsNotNone(m)
        self.assertEqual(json.loads(m.group(1)),
                         run_example("partial_batch").response)

    # -- basic --

    def expect_basic(self, path):
        want = model(path)
        run = run_example("basic", path)
        lines = [b"event source: " + want["event_source"].encode(),
                 b"bootstrap servers: " + (want["bootstrap_servers"] or
                                           "(not given)").encode()]
        for r in want["records"]:
            lines.append(b"%s partition %d offset %d: %s" % (
                r["topic"].encode(), r["partition"], r["offset"],
                r["value"] if r["value"] is not None else b"(no value)"))
        self.assertEqual(run.printed, lines)
        self.assertEqual(run.response, {"processed": len(want["records"])})

    def test_basic_own_event(self):
        self.expect_basic(os.path.join(EXAMPLES, "basic", "event.json"))

    def test_basic_on_fixtures(self):
        n = 0
        for path in event_files():
            want = model(path)
            if not single_line_values(want):
                continue
            with self.subTest(fixture=os.path.basename(path)):
                self.expect_basic(path)
                n += 1
        self.assertGreater(n, 20)

    # -- topic routing --

    def test_topic_routing(self):
        path = os.path.join(EXAMPLES, "topic_routing", "event.json")
        want = model(path)
        run = run_example("topic_routing")
        lines, counts = [], {"orders": 0, "users": 0, "skipped": 0}
        for r in want["records"]:
            v = as_json(r["value"])
            if r["topic"] == "orders":
                lines.append(b"order %d: total %d" % (v["id"], v["total"]))
                counts["orders"] += 1
            elif r["topic"] == "users":
                lines.append(b"user %d: %s" % (v["id"], v["name"].encode()))
                counts["users"] += 1
            else:
                lines.append(b"no handler for topic " + r["topic"].encode())
                counts["skipped"] += 1
        self.assertEqual(run.printed, lines)
        self.assertEqual(run.response, counts)
        self.assertEqual(counts, {"orders": 2, "users": 1, "skipped": 1})

    # -- batch processing with error handling --

    def test_batch_errors(self):
        want = model(os.path.join(EXAMPLES, "batch_errors", "event.json"))
        run = run_example("batch_errors")
        ok, failed, lines = [], [], []
        for r in want["records"]:
            ident = {"topic": r["topic"], "partition": r["partition"],
                     "offset": r["offset"]}
            v = as_json(r["value"])
            if v is None:
                failed.append(dict(ident, error="invalid JSON: "))
            elif v["amount"] <= 0:
                failed.append(dict(ident, error="amount must be positive, "
                                   "got %d" % v["amount"]))
            else:
                ok.append(ident)
                lines.append(b"charged %d (offset %d)" % (v["amount"],
                                                          r["offset"]))
        self.assertEqual(run.printed, lines)
        self.assertEqual(run.response["successful"], ok)
        self.assertEqual(len(run.response["failed"]), len(failed))
        for g, w in zip(run.response["failed"], failed):
            err = w.pop("error")
            self.assertTrue(g.pop("error").startswith(err))
            self.assertEqual(g, w)
        self.assertEqual((len(ok), len(failed)), (2, 2))

    def test_batch_errors_all_fine_gives_empty_arrays(self):
        path = os.path.join(EXAMPLES, "batch_errors", "event.json")
        ev = load_event(path)
        import base64
        for rs in ev["records"].values():
            for r in rs:
                r["value"] = base64.b64encode(b'{"amount":1}').decode()
        import tempfile
        with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
            json.dump(ev, f)
            f.flush()
            run = run_example("batch_errors", f.name)
        self.assertEqual(run.response["failed"], [])
        self.assertIn(b'"failed":[]', run.lines[-1].replace(b" ", b""))

    # -- headers --

    def expect_headers(self, path):
        want = model(path)
        run = run_example("headers", path)
        lines, counts = [], {"priority": 0, "standard": 0}
        for r in want["records"]:
            kind = first_header(r, "message-type") or b"standard"
            value = r["value"] if r["value"] is not None else None
            if kind == b"priority":
                counts["priority"] += 1
                source = next((v for k, v in r["headers"] if k == "source"),
                              b"unknown")
                lines.append(b"PRIORITY offset %d: %s (source %s)" % (
                    r["offset"], value, source))
            else:
                counts["standard"] += 1
                lines.append(b"standard offset %d: %s" % (r["offset"], value))
        self.assertEqual(run.printed, lines)
        self.assertEqual(run.response, counts)
        return counts

    def test_headers_own_event(self):
        counts = self.expect_headers(
            os.path.join(EXAMPLES, "headers", "event.json"))
        self.assertEqual(counts, {"priority": 2, "standard": 2})

    def test_headers_on_fixtures_with_headers(self):
        for name in ("aws__aws-lambda-dotnet__kafka-event.json",
                     "aws__aws-lambda-go__kafka-event.json",
                     "aws-powertools__powertools-lambda-python__kafkaEventMsk.json"):
            with self.subTest(fixture=name):
                self.expect_headers(os.path.join(FIXTURES, name))

    # -- binary --

    def expect_binary(self, path):
        want = model(path)
        run = run_example("binary", path)
        lines, counts = [], {"text": 0, "binary": 0, "empty": 0}
        for r in want["records"]:
            v = r["value"]
            if v is None:
                counts["empty"] += 1
                lines.append(b"offset %d: no value (tombstone)" % r["offset"])
                continue
            try:
                text = v.decode("utf-8")
            except UnicodeDecodeError:
                counts["binary"] += 1
                lines.append(b"offset %d: binary, %d bytes, starts %s" % (
                    r["offset"], len(v), v[:8].hex().encode()))
            else:
                counts["text"] += 1
                lines.append(b"offset %d: text, %d characters: %s" % (
                    r["offset"], len(text), v))
        self.assertEqual(run.printed, lines)
        self.assertEqual(run.response, counts)
        return counts

    def test_binary_own_event(self):
        counts = self.expect_binary(
            os.path.join(EXAMPLES, "binary", "event.json"))
        self.assertEqual(counts, {"text": 1, "binary": 1, "empty": 1})

    def test_binary_on_fixtures(self):
        kinds = {"text": 0, "binary": 0, "empty": 0}
        for path in event_files():
            if not single_line_values(model(path)):
                continue
            with self.subTest(fixture=os.path.basename(path)):
                for k, n in self.expect_binary(path).items():
                    kinds[k] += n
        # The fixtures hold Avro/Protobuf (binary) as well as JSON (text).
        self.assertGreater(kinds["binary"], 3)
        self.assertGreater(kinds["text"], 10)

    # -- performance: group by topic --

    def expect_performance(self, path):
        want = model(path)
        run = run_example("performance", path)
        groups = {}
        for r in want["records"]:
            g = groups.setdefault(r["topic"], {"records": 0, "bytes": 0})
            g["records"] += 1
            g["bytes"] += len(r["value"] or b"")
        lines = [b"topic %s: %d records, %d bytes" % (
            t.encode(), groups[t]["records"], groups[t]["bytes"])
            for t in sorted(groups)]
        self.assertEqual(run.printed, lines)
        self.assertEqual(run.response, groups if groups else [])

    def test_performance(self):
        self.expect_performance(
            os.path.join(EXAMPLES, "performance", "event.json"))
        self.expect_performance(os.path.join(
            FIXTURES, "aws-powertools__powertools-lambda-java__kafka_event.json"))

    # -- monitoring --

    def expect_monitoring(self, path):
        want = model(path)
        run = run_example("monitoring", path,
                          env={"AWS_LAMBDA_LOG_FORMAT": "JSON"})
        m = {"processed": 0, "errors": 0, "bytes_processed": 0,
             "records": len(want["records"])}
        for r in want["records"]:
            m["bytes_processed"] += len(r["key"] or b"") + len(r["value"] or b"")
            if r["value"] is not None and as_json(r["value"]) is not None:
                m["processed"] += 1
            else:
                m["errors"] += 1
        self.assertEqual(run.response, m)
        logs = []
        for line in (run.out.decode("utf-8", "replace") + "\n"
                     + run.err).splitlines():
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if isinstance(obj, dict) and obj.get("message") == \
                    "kafka batch metrics":
                logs.append(obj)
        self.assertEqual(len(logs), 1, run.err)
        self.assertEqual(logs[0]["level"], "INFO")
        for k, v in m.items():
            self.assertEqual(logs[0][k], v, k)
        return m

    def test_monitoring(self):
        m = self.expect_monitoring(
            os.path.join(EXAMPLES, "monitoring", "event.json"))
        self.assertEqual((m["processed"], m["errors"]), (3, 2))
        self.expect_monitoring(os.path.join(
            FIXTURES, "aws-powertools__powertools-lambda-typescript__"
            "kafka-tests-avro.json"))

    # -- partial batch failure --

    def test_partial_batch(self):
        want = model(os.path.join(EXAMPLES, "partial_batch", "event.json"))
        run = run_example("partial_batch")
        failures, lines = [], []
        for r in want["records"]:
            v = as_json(r["value"])
            if not isinstance(v, dict) or "id" not in v:
                failures.append({"itemIdentifier": {
                    "partition": r["topic_partition"], "offset": r["offset"]}})
            else:
                lines.append(v["id"])
        self.assertEqual(run.response, {"batchItemFailures": failures})
        self.assertEqual(len(failures), 2)
        # Handler log lines go to stdout too (log_module.c): keep the prints.
        printed = [l for l in run.printed if l.startswith(b"order ")]
        self.assertEqual(len(printed), len(lines))
        ids = set()
        for line, oid in zip(printed, lines):
            m = re.fullmatch(rb"order (\d+) stored \(request (%s)\)" %
                             UUID.encode(), line)
            self.assertIsNotNone(m, line)
            self.assertEqual(int(m.group(1)), oid)
            ids.add(m.group(2))
        self.assertEqual(len(ids), 1)  # the context reached fn
        errors = [l for l in (run.out.decode("utf-8", "replace") + "\n" +
                              run.err).splitlines()
                  if "Kafka record failed" in l]
        self.assertEqual(len(errors), 2)
        self.assertIn("ERROR", errors[0])
        self.assertIn("offset 101", errors[0])
        self.assertIn("partition 1, offset 55", errors[1])

    def test_partial_batch_on_fixture_all_ok(self):
        # kafkaEventMsk values are {"key":"value"}: no id, every record fails;
        # the getting-started fixture is the one its response was made for.
        path = os.path.join(FIXTURES, "aws-powertools__powertools-lambda-"
                            "python__getting_started_kafka_event.json")
        want = model(path)
        run = run_example("partial_batch", path)
        expected = [{"itemIdentifier": {"partition": r["topic_partition"],
                                        "offset": r["offset"]}}
                    for r in want["records"]
                    if not isinstance(as_json(r["value"]), dict)
                    or "id" not in as_json(r["value"])]
        self.assertEqual(run.response, {"batchItemFailures": expected})


if __name__ == "__main__":
    unittest.main()
