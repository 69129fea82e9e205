"""The runtime under a Runtime API server it was not written against:
@vercel/fun (npm), a local Lambda emulator that runs `provided` functions
(fixed Deadline-Ms 5000, no trace header). Warm invocations reuse one
bootstrap process and one Lua state. Skipped, saying why, where Node.js or
the npm registry is not available."""
import json
import os
import shutil
import subprocess
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
BOOTSTRAP = os.environ.get("LRT_BOOTSTRAP", "build/bootstrap")
SRC = os.environ.get("LRT_SOURCE_DIR", os.path.join(HERE, "..", ".."))
HANDLER = """
local router = require "router"
local kafka = require "kafka"
local calls = 0
router.kafka(function(event, context)
  calls = calls + 1
  local values = {}
  for _, r in ipairs(event.records) do values[#values + 1] = r.value end
  return { calls = calls, source = event.event_source, values = values,
           remaining_positive = context:get_remaining_time_in_millis() > 0,
           failures = kafka.process(event, function() end).batchItemFailures }
end)
"""


# npm installs into the build tree (LRT_BUILD_DIR, or a temporary cache
# folder when run by hand), never beside this file: the source tree holds no
# node_modules. fun_invoke.mjs is copied there because Node resolves an ES
# module's imports from the module's own folder.
NPM_DIR = os.path.join(os.environ.get("LRT_BUILD_DIR")
                       or os.path.join(tempfile.gettempdir(), "lrt-compat-npm"),
                       "compat-npm")


def install_fun():
    if not shutil.which("node") or not shutil.which("npm"):
        return "node/npm not installed"
    os.makedirs(NPM_DIR, exist_ok=True)
    for name in ("package.json", "fun_invoke.mjs"):
        shutil.copy(os.path.join(HERE, name), os.path.join(NPM_DIR, name))
    if os.path.isdir(os.path.join(NPM_DIR, "node_modules", "@vercel", "fun")):
        return None
    try:
        r = subprocess.run(["npm", "install", "--prefix", NPM_DIR, "--no-audit",
                            "--no-fund", "--no-package-lock", "--silent"],
                           cwd=NPM_DIR, capture_output=True, timeout=300)
    except subprocess.TimeoutExpired:
        return "npm install @vercel/fun timed out (registry unreachable?)"
    if r.returncode != 0:
        return "npm install @vercel/fun failed: " + r.stderr.decode()[-300:]
    return None


class VercelFun(unittest.TestCase):
    def test_kafka_event_warm_invocations(self):
        why = install_fun()
        if why:
            self.skipTest(why)
        with tempfile.TemporaryDirectory() as fn:
            shutil.copy(BOOTSTRAP, os.path.join(fn, "bootstrap"))
            shutil.copytree(os.path.join(os.path.dirname(BOOTSTRAP), "lua"),
                            os.path.join(fn, "lua"))
            with open(os.path.join(fn, "handler.lua"), "w") as f:
                f.write(HANDLER)
            event = os.path.join(SRC, "tests", "fixtures", "kafka",
                                 "aws__aws-lambda-go__kafka-event.json")
            r = subprocess.run(["node", os.path.join(NPM_DIR, "fun_invoke.mjs"),
                                fn, event, "3"], cwd=NPM_DIR,
                               capture_output=True, timeout=120)
            self.assertEqual(r.returncode, 0, r.stderr.decode()[-2000:])
            lines = [json.loads(l) for l in r.stdout.decode().splitlines()
                     if l.startswith("{")]
            self.assertEqual([b["calls"] for b in lines], [1, 2, 3])
            for body in lines:
                self.assertEqual(body["source"], "aws:kafka")
                self.assertEqual(body["values"],
                                 ["8d5596b4-1813-4238-b24b-6dad8e3d1c0c"])
                self.assertTrue(body["remaining_positive"])
                self.assertEqual(body["failures"], [])
        self.assertFalse(os.path.exists(os.path.join(HERE, "node_modules")),
                         "npm wrote into the source tree")


if __name__ == "__main__":
    unittest.main()
