#!/usr/bin/env python3
"""`bootstrap HANDLER`: the RIE's and container images' command form.

In the Lambda loop a first positional argument is the handler string when
_HANDLER is not set; when both are, _HANDLER wins and the argument is logged
as ignored; any other argument is a usage error (exit 2). Run against the
mock Runtime API on loopback (tests/integration/mock_runtime_api.py), the way
`aws-lambda-rie build/bootstrap handler` starts it.

Environment: LRT_BOOTSTRAP. Python 3.11 standard library only.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "integration"))
from mock_runtime_api import MockRuntimeAPI  # noqa: E402
from bootstrap_process import BOOTSTRAP, Runtime  # noqa: E402

SANITIZE = os.environ.get("LRT_SANITIZE") == "1"
WAIT = 60.0 if SANITIZE else 20.0

HANDLER = """
local router = require "router"
router.custom(function(event) return { module = "%s", echo = event.x } end)
"""


class HandlerArgument(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="lrt-arg-")
        self.root = os.path.join(self.tmp, "task")
        os.makedirs(os.path.join(self.root, "jobs"))
        for name in ("app", "other", "jobs/orders"):
            with open(os.path.join(self.root, name + ".lua"), "w") as f:
                f.write(HANDLER % name)
        self.mock = MockRuntimeAPI().start()
        self.runtimes = []
        self.addCleanup(self.cleanup)

    def cleanup(self):
        for rt in self.runtimes:
            rt.close()
        self.mock.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def env(self, handler=None):
        e = {k: v for k, v in os.environ.items()
             if not k.startswith(("AWS_", "LAMBDA_", "_HANDLER", "_X_AMZN"))
             and k.lower() not in ("http_proxy", "https_proxy", "all_proxy",
                                   "no_proxy", "lua_path", "lua_init")}
        e.update({"AWS_LAMBDA_RUNTIME_API": self.mock.endpoint,
                  "LAMBDA_TASK_ROOT": self.root,
                  "AWS_LAMBDA_FUNCTION_NAME": "lrt-arg"})
        if handler is not None:
            e["_HANDLER"] = handler
        return e

    def serve_one(self, args, handler_env=None):
        rt = Runtime(self.tmp, self.env(handler_env), args=args, wait=WAIT)
        self.runtimes.append(rt)
        self.mock.push_event({"x": 1})
        try:
            post = self.mock.wait_for_posts(1, timeout=WAIT)[0]
        except AssertionError as e:
            self.fail("%s%s" % (e, rt.logs()))
        return rt, post

    def test_argument_is_the_handler_when_HANDLER_unset(self):
        rt, post = self.serve_one(["app"])
        self.assertEqual(post.kind, "response", rt.logs())
        self.assertEqual(post.json(), {"module": "app", "echo": 1})

    def test_dotted_module_argument(self):
        rt, post = self.serve_one(["jobs.orders"])
        self.assertEqual(post.json(), {"module": "jobs/orders", "echo": 1})

    def test_HANDLER_wins_and_the_argument_is_logged_as_ignored(self):
        rt, post = self.serve_one(["other"], handler_env="app")
        self.assertEqual(post.json(), {"module": "app", "echo": 1})
        self.assertIn("handler argument 'other' ignored: _HANDLER is set to "
                      "'app'", rt.stderr())

    def test_missing_module_named_by_argument_is_an_init_error(self):
        rt = Runtime(self.tmp, self.env(), args=["nope"], wait=WAIT)
        self.runtimes.append(rt)
        post = self.mock.wait_for_posts(1, timeout=WAIT, kind="init_error")[0]
        self.assertIn("nope", post.json()["errorMessage"])
        self.assertNotEqual(rt.wait(), 0)

    def test_other_arguments_are_usage_errors(self):
        for args in (["app", "extra"], ["app", "--event", "e.json"],
                     ["--bogus"]):
            with self.subTest(args=args):
                r = subprocess.run([BOOTSTRAP, *args], env=self.env(),
                                   capture_output=True, timeout=WAIT)
                self.assertEqual(r.returncode, 2, r.stderr)
                self.assertIn(b"usage:", r.stderr)
                self.assertEqual(r.stdout, b"")
        self.assertEqual(self.mock.wait_for_posts(0, timeout=1), [])


if __name__ == "__main__":
    unittest.main()
