#!/usr/bin/env python3
"""luacheck (Debian's lua-check) over lua/, examples/, bench/ and the specs, with the
repository's .luacheckrc (std lua54, busted's std for specs).

A file with a global write and an undefined name, checked with the same
configuration, must fail: the check can catch what it is there for.

Environment: LRT_SOURCE_DIR. Python 3.11 standard library; luacheck from
Debian (scripts/deps.sh test).
"""

import os
import shutil
import subprocess
import tempfile
import unittest

SOURCE_DIR = os.environ.get(
    "LRT_SOURCE_DIR",
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
LUACHECK = shutil.which("luacheck")
CONFIG = os.path.join(SOURCE_DIR, ".luacheckrc")
PATHS = ["lua", "examples", "tests/lua", "bench"]


@unittest.skipUnless(LUACHECK, "lua-check not installed")
class Luacheck(unittest.TestCase):
    def luacheck(self, *args, cwd=SOURCE_DIR):
        return subprocess.run([LUACHECK, "--no-color", "--codes",
                               "--config", CONFIG, *args], cwd=cwd,
                              capture_output=True, timeout=120)

    def test_the_lua_code_is_clean(self):
        r = self.luacheck(*PATHS)
        out = r.stdout.decode()
        self.assertEqual(r.returncode, 0, out)
        self.assertIn("0 warnings / 0 errors", out)
        # every spec and module was looked at
        for path in ("lua/kafka.lua", "examples/hello/spec/handler_spec.lua",
                     "tests/lua/lambda_spec.lua"):
            self.assertIn(path, out)

    def test_a_global_write_fails_the_check(self):
        tmp = tempfile.mkdtemp(prefix="lrt-luacheck-")
        self.addCleanup(shutil.rmtree, tmp, True)
        bad = os.path.join(tmp, "handler.lua")
        with open(bad, "w") as f:
            f.write('local router = require "router"\n'
                    'router.custom(function(event) count = undefined_name end)\n')
        r = self.luacheck(bad)
        self.assertNotEqual(r.returncode, 0, r.stdout)
        self.assertIn(b"(W111) setting non-standard global variable 'count'",
                      r.stdout)
        self.assertIn(b"(W113) accessing undefined variable 'undefined_name'",
                      r.stdout)

    def test_specs_get_busted_globals_and_others_do_not(self):
        tmp = tempfile.mkdtemp(prefix="lrt-luacheck-")
        self.addCleanup(shutil.rmtree, tmp, True)
        os.makedirs(os.path.join(tmp, "spec"))
        for rel in ("spec/x_spec.lua", "x.lua"):
            with open(os.path.join(tmp, rel), "w") as f:
                f.write('describe("x", function() it("y", function() '
                        'assert.is_true(true) end) end)\n')
        r = self.luacheck("spec/x_spec.lua", cwd=tmp)
        self.assertEqual(r.returncode, 0, r.stdout)
        r = self.luacheck("x.lua", cwd=tmp)
        self.assertNotEqual(r.returncode, 0, r.stdout)


if __name__ == "__main__":
    unittest.main()
