"""The watchdog answers only the Lambda loop's Runtime API.

Outside the loop (here lambda.invoke under --exec, with a deadline a second
away and a handler the cooperative hook cannot stop), the watchdog still
ends the process, but posts nothing, even when AWS_LAMBDA_RUNTIME_API
happens to be set in the shell: a local run must never answer a real
Runtime API. A listening socket on loopback stands in for one and must see
no connection.
"""

import os
import socket
import subprocess
import tempfile
import unittest

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
            server = socket.socket()
            server.bind(("127.0.0.1", 0))
            server.listen(4)
            server.settimeout(0.2)
            env = dict(os.environ, AWS_LAMBDA_RUNTIME_API="127.0.0.1:%d"
                       % server.getsockname()[1])
            proc = subprocess.run([BOOT, "--exec", script, d], env=env,
                                  capture_output=True, timeout=120)
            self.assertEqual(proc.returncode, 1, proc.stderr)
            self.assertNotIn(b"not reached", proc.stdout)
            self.assertIn(b"FATAL", proc.stderr)
            try:
                conn, _ = server.accept()
                conn.close()
                self.fail("the watchdog connected to AWS_LAMBDA_RUNTIME_API")
            except socket.timeout:
                pass
            finally:
                server.close()


if __name__ == "__main__":
    unittest.main()
