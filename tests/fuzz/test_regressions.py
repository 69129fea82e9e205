#!/usr/bin/env python3
"""Every input the fuzzers ever flagged, through the real binary.

Each file in tests/fuzz/regressions/ (crash and property-failure inputs
saved by scripts/fuzz.sh, plus hand-minimised versions) is given to
`bootstrap --event FILE` with a handler that touches everything it gets
(Kafka records field by field, plain events echoed back, so decoding and
encoding both run). The outcome must be clean: exit 0 with a JSON response,
or exit 1 with a well-formed error object, as the last stdout line; never a
crash, a sanitizer report (its exit codes are 86/87 under the ASan build) or
a hang.
"""

import json
import os
import shutil
import subprocess
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.environ.get("LRT_SOURCE_DIR",
                            os.path.dirname(os.path.dirname(HERE)))
BOOTSTRAP = os.environ.get("LRT_BOOTSTRAP") or os.path.join(
    SOURCE_DIR, "build", "bootstrap")
REGRESSIONS = os.path.join(HERE, "regressions")
TIMEOUT = 120 if os.environ.get("LRT_SANITIZE") == "1" else 30

HANDLER = r"""
local router = require "router"
router.kafka(function(event, context)
  local out = { source = event.event_source, records = {} }
  for i, r in ipairs(event.records) do
    local hs = {}
    for _, h in ipairs(r.headers) do hs[#hs + 1] = { h.key, #h.value } end
    out.records[i] = { r.topic, r.partition, r.offset, r.timestamp or false,
                       r.key and #r.key or false, r.value and #r.value or false,
                       r.topic_partition, hs }
  end
  return out
end)
router.custom(function(event, context)
  return { echo = event }
end)
"""


class RegressionTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="lrt-fuzz-reg-")
        with open(os.path.join(cls.tmp, "handler.lua"), "w") as f:
            f.write(HANDLER)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_every_saved_input(self):
        files = sorted(f for f in os.listdir(REGRESSIONS)
                       if not f.startswith(".") and f != "README.md")
        self.assertTrue(files, "no regression inputs in " + REGRESSIONS)
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("AWS_", "LAMBDA_", "_HANDLER"))
               and k not in ("LUA_PATH", "LUA_INIT")}
        for name in files:
            with self.subTest(input=name):
                p = subprocess.run(
                    [BOOTSTRAP, "--event", os.path.join(REGRESSIONS, name),
                     "--root", self.tmp, "--handler", "handler"],
                    env=env, stdin=subprocess.DEVNULL, capture_output=True,
                    timeout=TIMEOUT)
                out = p.stdout.decode("utf-8", "replace")
                err = p.stderr.decode("utf-8", "replace")[-3000:]
                self.assertIn(p.returncode, (0, 1), "exit %d\n%s"
                              % (p.returncode, err))
                last = out.rstrip("\n").split("\n")[-1]
                try:
                    result = json.loads(last)
                except ValueError:
                    self.fail("last stdout line is not JSON: %r\n%s"
                              % (last[:300], err))
                if p.returncode == 1:
                    self.assertIsInstance(result.get("errorType"), str)
                    self.assertIsInstance(result.get("errorMessage"), str)
                    self.assertIsInstance(result.get("stackTrace"), list)


if __name__ == "__main__":
    unittest.main()
