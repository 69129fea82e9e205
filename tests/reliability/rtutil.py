"""Helpers shared by the reliability suites: the real bootstrap, run either
against the mock Runtime API (tests/integration/mock_runtime_api.py) or as a
local invocation (`bootstrap --event FILE`).

Python 3.11 standard library only. Nothing here asserts a duration: waits
have generous bounds and return as soon as the awaited thing happens.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.environ.get("LRT_SOURCE_DIR",
                            os.path.dirname(os.path.dirname(HERE)))
sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "integration"))
from mock_runtime_api import MockRuntimeAPI, NEXT_PATH  # noqa: E402,F401
from bootstrap_process import (  # noqa: E402,F401
    BOOTSTRAP, SANITIZE, WAIT, Runtime, free_port)
RESPONSE_LIMIT = 6291556
ERROR_TYPE_HEADER = "Lambda-Runtime-Function-Error-Type"


def clean_env(extra=None):
    """The test's environment without anything Lambda- or Lua-related that
    the developer's shell may carry."""
    e = {k: v for k, v in os.environ.items()
         if not k.startswith(("AWS_", "LAMBDA_", "_HANDLER", "_X_AMZN"))
         and k.lower() not in ("http_proxy", "https_proxy", "all_proxy",
                               "no_proxy", "lua_path", "lua_cpath",
                               "lua_init", "lua_path_5_4", "lua_init_5_4")}
    if extra:
        e.update(extra)
    return e


class RuntimeTestCase(unittest.TestCase):
    """A task root in a fresh temporary directory, a mock Runtime API, and
    bootstrap processes that are always cleaned up."""

    def setUp(self):
        if not os.access(BOOTSTRAP, os.X_OK):
            self.fail("no bootstrap at %s (set LRT_BOOTSTRAP)" % BOOTSTRAP)
        self.tmp = tempfile.mkdtemp(prefix="lrt-rel-")
        self.root = os.path.join(self.tmp, "task")
        os.mkdir(self.root)
        self.logdir = os.path.join(self.tmp, "logs")
        os.mkdir(self.logdir)
        self.mock = MockRuntimeAPI().start()
        self.runtimes = []
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        for rt in self.runtimes:
            rt.close()
        self.mock.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def write(self, name, source, root=None):
        path = os.path.join(root or self.root, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(textwrap.dedent(source))
        return path

    def lambda_env(self, env=None, endpoint=None, handler="handler"):
        e = clean_env({
            "AWS_LAMBDA_RUNTIME_API": endpoint or self.mock.endpoint,
            "LAMBDA_TASK_ROOT": self.root,
            "_HANDLER": handler,
            "AWS_LAMBDA_FUNCTION_NAME": "lrt-reliability",
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
            "AWS_REGION": "us-east-1",
        })
        if env:
            e.update(env)
        return e

    def start(self, handler_source=None, handler="handler", env=None,
              endpoint=None, cwd=None):
        if handler_source is not None:
            self.write(handler + ".lua", handler_source)
        rt = Runtime(self.logdir, self.lambda_env(env, endpoint, handler),
                     cwd=cwd)
        self.runtimes.append(rt)
        return rt

    def posts(self, rt, n, kind=None, timeout=WAIT):
        try:
            return self.mock.wait_for_posts(n, timeout=timeout, kind=kind)
        except AssertionError as e:
            self.fail("%s\nrunning=%s%s" % (e, rt.running(), rt.logs()))

    def assert_error(self, post, error_type, rt=None):
        """A well-formed Lambda error of 'error_type'; returns the body."""
        logs = rt.logs() if rt else ""
        self.assertIn(post.kind, ("error", "init_error"),
                      "expected an error, got %r %r%s"
                         % (post, post.body[:300], logs))
        try:
            body = post.json()
        except ValueError:
            self.fail("error body is not JSON: %r%s" % (post.body[:300], logs))
        self.assertIsInstance(body.get("errorMessage"), str, body)
        self.assertIsInstance(body.get("stackTrace"), list, body)
        self.assertEqual(body.get("errorType"), error_type,
                         "%r%s" % (body, logs))
        self.assertEqual(post.headers.get(ERROR_TYPE_HEADER), error_type)
        return body

    def local(self, event_bytes, handler_source=None, handler="handler",
              env=None, cwd=None, args=(), timeout=WAIT):
        """One local invocation: returns (exit code, stdout, stderr)."""
        if handler_source is not None:
            self.write(handler + ".lua", handler_source)
        ev = os.path.join(self.tmp, "event.bin")
        with open(ev, "wb") as f:
            f.write(event_bytes)
        e = clean_env({"LAMBDA_TASK_ROOT": self.root, "_HANDLER": handler})
        if env:
            e.update(env)
        p = subprocess.run([BOOTSTRAP, "--event", ev, *args], env=e, cwd=cwd,
                           stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=timeout)
        return (p.returncode, p.stdout.decode("utf-8", "replace"),
                p.stderr.decode("utf-8", "replace"))

    def last_json(self, stdout):
        lines = stdout.rstrip("\n").split("\n")
        try:
            return json.loads(lines[-1])
        except ValueError:
            self.fail("last stdout line is not JSON: %r" % lines[-1][:300])


def main():
    unittest.main()
