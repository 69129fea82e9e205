"""The watchdog answers only the Lambda loop's Runtime API.

Outside the loop (here lambda.invoke under --exec, with a deadline a second
away and a handler the cooperative hook cannot stop), the watchdog still
ends the process, but posts nothing, even when AWS_LAMBDA_RUNTIME_API
happens to be set in the shell: a local run must never answer a real
Runtime API. The suites' mock Runtime API stands in for one and must see
no connection and no request.
"""

import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "integration"))
from mock_runtime_api import MockRuntimeAPI  # noqa: E402

BOOT = os.environ["LRT_BOOTSTRAP"]

HANDLER = r"""
local router = require("router")
router.custom(function()
  xpcall(function() while true do end end, function() while true do end end)
end)
"""

SCRIPT = r"""
local lambda = require("lambda")
local now = os.time() * 1000
lambda.invoke("handler", {}, {root = arg[1],
                              context = {deadline_ms = now + 1500}})
print("not reached")
"""


class WatchdogLocal(unittest.TestCase):

    def test_no_post_outside_the_loop(self):
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "handler.lua"), "w") as f:
                f.write(HANDLER)
            script = os.path.join(d, "run.lua")
            with open(script, "w") as f:
                f.write(SCRIPT)
            with MockRuntimeAPI() as api:
                env = dict(os.environ, AWS_LAMBDA_RUNTIME_API=api.endpoint)
                proc = subprocess.run([BOOT, "--exec", script, d], env=env,
                                      capture_output=True, timeout=120)
                self.assertEqual(proc.returncode, 1, proc.stderr)
                self.assertNotIn(b"not reached", proc.stdout)
                self.assertIn(b"FATAL", proc.stderr)
                # The process has exited; a connection it made may still sit
                # in the listen backlog: give the server a moment to take it.
                with self.assertRaises(AssertionError):
                    api.wait_until(lambda: api.connections > 0, timeout=0.5,
                                   what="a connection")
                self.assertEqual(api.get_requests(), [],
                                 "the watchdog spoke to AWS_LAMBDA_RUNTIME_API")
                self.assertEqual(api.connections, 0,
                                 "the watchdog connected to AWS_LAMBDA_RUNTIME_API")

if __name__ == "__main__":
    unittest.main()
