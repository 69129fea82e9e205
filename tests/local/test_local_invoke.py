#!/usr/bin/env python3
"""Local invoke keeps stdout for the response alone (contract, Commands).

A chatty handler writes through every channel a Lua handler has (print,
log.*, io.write, io.stdout:write, a child process, an error path) and the
suite checks that stdout holds exactly the response (or the error object)
and nothing else, in TEXT and JSON log formats, that the output is on stderr
in the configured format, that `bootstrap --event e.json | jq .` works, and
the exit codes 0/1/2.

Environment: LRT_BOOTSTRAP (the binary). Python 3.11 standard library (jq
when installed, as scripts/deps.sh does).
"""

import json
import os
import shutil
import subprocess
import tempfile
import textwrap
import unittest

SOURCE_DIR = os.environ.get(
    "LRT_SOURCE_DIR",
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
BOOTSTRAP = os.environ.get("LRT_BOOTSTRAP",
                           os.path.join(SOURCE_DIR, "build", "bootstrap"))
TIMEOUT = 120 if os.environ.get("LRT_SANITIZE") == "1" else 30

CHATTY = textwrap.dedent("""\
    local router = require "router"
    local log = require "log"
    print("init print")
    router.custom(function(event)
      print("print", 1, true)
      log.debug("debug line")
      log.info("info line", { n = 1 })
      log.warn("warn line")
      log.error("error line")
      io.write("io.write line\\n")
      io.stdout:write("io.stdout line\\n")
      io.stdout:flush()
      os.execute("echo child process line")
      if event.fail then
        error({ type = "Chatty.Failed", message = "asked to fail" })
      end
      return { ok = true, n = event.n }
    end)
    """)


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("AWS_LAMBDA_") and k not in (
               "_HANDLER", "LAMBDA_TASK_ROOT", "LUA_HOT_RELOAD", "LUA_PATH")}
    env.update(extra)
    return env


class LocalInvokeStdout(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="lrt-local-")
        self.addCleanup(shutil.rmtree, self.root, True)
        with open(os.path.join(self.root, "chatty.lua"), "w") as f:
            f.write(CHATTY)
        self.event = self.write_event("e.json", {"n": 7})

    def write_event(self, name, value):
        path = os.path.join(self.root, name)
        with open(path, "w") as f:
            json.dump(value, f)
        return path

    def invoke(self, event, **env):
        return subprocess.run(
            [BOOTSTRAP, "--event", event, "--root", self.root,
             "--handler", "chatty"], env=clean_env(**env),
            capture_output=True, timeout=TIMEOUT)

    def assert_response_alone(self, out, expected):
        self.assertTrue(out.endswith(b"\n") and out.count(b"\n") == 1, out)
        self.assertEqual(json.loads(out), expected)

    def assert_everything_on_stderr(self, err):
        for text in ("init print", "print\t1\ttrue", "info line", "warn line",
                     "error line", "io.write line", "io.stdout line",
                     "child process line"):
            self.assertIn(text, err)
        self.assertNotIn("debug line", err)  # INFO by default

    def test_text_format_stdout_is_the_response_alone(self):
        r = self.invoke(self.event)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assert_response_alone(r.stdout, {"ok": True, "n": 7})
        self.assert_everything_on_stderr(r.stderr.decode())

    def test_json_format_stdout_alone_and_log_records_json(self):
        r = self.invoke(self.event, AWS_LAMBDA_LOG_FORMAT="JSON",
                        AWS_LAMBDA_LOG_LEVEL="DEBUG")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout), {"ok": True, "n": 7})
        self.assertEqual(r.stdout.count(b"\n"), 1)
        err = r.stderr.decode()
        records = []
        for line in err.splitlines():
            try:
                records.append(json.loads(line))
            except ValueError:
                # only raw writes (io.write, the child) are not records
                self.assertIn(line, ("io.write line", "io.stdout line",
                                     "child process line"))
        msgs = [rec["message"] for rec in records]
        for m in ("init print", "print\t1\ttrue", "debug line", "info line",
                  "warn line", "error line"):
            self.assertIn(m, msgs)
        self.assertEqual(
            [rec.get("n") for rec in records if rec["message"] == "info line"],
            [1])

    def test_handler_error_object_alone_on_stdout_exit_1(self):
        r = self.invoke(self.write_event("fail.json", {"fail": True}))
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertEqual(r.stdout.count(b"\n"), 1, r.stdout)
        body = json.loads(r.stdout)
        self.assertEqual(body["errorType"], "Chatty.Failed")
        self.assertEqual(body["errorMessage"], "asked to fail")
        self.assertIsInstance(body["stackTrace"], list)
        self.assert_everything_on_stderr(r.stderr.decode())

    def test_init_error_nothing_on_stdout_exit_2(self):
        r = subprocess.run([BOOTSTRAP, "--event", self.event, "--root",
                            self.root, "--handler", "missing"],
                           env=clean_env(), capture_output=True,
                           timeout=TIMEOUT)
        self.assertEqual(r.returncode, 2)
        self.assertEqual(r.stdout, b"")
        self.assertIn(b"Runtime.ImportModuleError", r.stderr)

    def test_stdin_event(self):
        r = subprocess.run([BOOTSTRAP, "--event", "-", "--root", self.root,
                            "--handler", "chatty"], input=b'{"n": 3}',
                           env=clean_env(), capture_output=True,
                           timeout=TIMEOUT)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assert_response_alone(r.stdout, {"ok": True, "n": 3})

    @unittest.skipUnless(shutil.which("jq"), "jq not installed")
    def test_pipe_into_jq(self):
        cmd = "%s --event %s --root %s --handler chatty | jq -c .n" % (
            BOOTSTRAP, self.event, self.root)
        r = subprocess.run(["bash", "-o", "pipefail", "-c", cmd],
                           env=clean_env(), capture_output=True,
                           timeout=TIMEOUT)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, b"7\n")


if __name__ == "__main__":
    unittest.main()
