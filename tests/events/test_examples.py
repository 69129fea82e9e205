#!/usr/bin/env python3
"""The example handler of every event source (examples/sources/<source>/)
run on its own event.json through the real bootstrap, with what each is
documented to do (docs/events.md) asserted."""

import base64
import json
import os
import subprocess
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("LRT_SOURCE_DIR") or os.path.dirname(os.path.dirname(HERE))
BOOT = os.environ.get("LRT_BOOTSTRAP") or os.path.join(SRC, "build", "bootstrap")
EXAMPLES = os.path.join(SRC, "examples", "sources")
TIMEOUT = 120 if os.environ.get("LRT_SANITIZE") == "1" else 30


def run(source, event=None):
    d = os.path.join(EXAMPLES, source)
    e = dict(os.environ)
    e.pop("AWS_LAMBDA_RUNTIME_API", None)
    args = [BOOT, "--event", "-" if event else os.path.join(d, "event.json"),
            "--root", d]
    r = subprocess.run(args, capture_output=True, env=e, timeout=TIMEOUT,
                       input=json.dumps(event).encode() if event else None)
    lines = r.stdout.decode().strip().splitlines()
    logs = "\n".join(lines[:-1]) + r.stderr.decode()
    return r.returncode, json.loads(lines[-1]), logs


class ExamplesTest(unittest.TestCase):
    def test_every_source_has_an_example(self):
        self.assertEqual(sorted(os.listdir(EXAMPLES)),
                         ["apigateway", "dynamodb", "eventbridge", "kinesis",
                          "s3", "sns", "sqs"])

    def test_sqs(self):
        code, out, logs = run("sqs")
        self.assertEqual(code, 0, logs)
        self.assertEqual(out, {"batchItemFailures": [
            {"itemIdentifier": "a2"}]})
        self.assertIn("order 17 from queue arn:aws:sqs:", logs)
        self.assertIn("order without id", logs)

    def test_sns(self):
        code, out, logs = run("sns")
        self.assertEqual(out, [{"subject": "disk", "message": "disk 91% full",
                                "priority": "high"}])

    def test_s3(self):
        code, out, logs = run("s3")
        self.assertEqual(out, ["ObjectCreated:Put s3://photos/2026/my "
                               "photo\u00e9.jpg (2048 bytes)"])

    def test_dynamodb(self):
        code, out, logs = run("dynamodb")
        self.assertEqual(out, {"batchItemFailures": []})
        self.assertIn("INSERT 2: ada, total 42.5", logs)

    def test_kinesis(self):
        code, out, logs = run("kinesis")
        self.assertEqual(out, {"batchItemFailures": []})
        self.assertIn("dev-1: temp = 21.5", logs)
        with open(os.path.join(EXAMPLES, "kinesis", "event.json")) as f:
            ev = json.load(f)
        ev["Records"][0]["kinesis"]["data"] = base64.b64encode(
            b"not json").decode()
        code, out, logs = run("kinesis", ev)
        # ordered: the first failure stops the shard, the rest is unrun.
        self.assertEqual(out, {"batchItemFailures": [
            {"itemIdentifier": "49591"}, {"itemIdentifier": "49592"}]})

    def test_eventbridge(self):
        code, out, logs = run("eventbridge")
        self.assertEqual(out, "instance i-1 is running")

    def test_apigateway(self):
        code, out, logs = run("apigateway")
        self.assertEqual(out["statusCode"], 200)
        self.assertEqual(json.loads(out["body"]), {"id": "1", "name": "Ada"})
        with open(os.path.join(EXAMPLES, "apigateway", "event.json")) as f:
            ev = json.load(f)
        ev["rawPath"] = "/prod/users/9"
        self.assertEqual(run("apigateway", ev)[1]["statusCode"], 404)
        ev["rawPath"] = "/prod/users"
        self.assertEqual(run("apigateway", ev)[1]["statusCode"], 405)
        ev["rawPath"] = "/prod/health"
        self.assertEqual(run("apigateway", ev)[1]["body"], "ok")


if __name__ == "__main__":
    unittest.main()
