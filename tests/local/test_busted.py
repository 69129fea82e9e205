#!/usr/bin/env python3
"""`bootstrap --exec FILE [ARG...]` and handler specs run by busted.

* The example specs (examples/*/spec) and the runtime's own Lua specs
  (tests/lua) pass under `bootstrap --exec /usr/bin/busted` (Debian's
  lua-busted, a Lua script with a shebang, run on Lua 5.4 paths).
* A failing spec makes the run fail (non-zero exit, "not ok" in TAP), and so
  does a spec file that does not load: the test cannot pass by accident.
* --exec behaves as `lua5.4 FILE ARG...`: the arg table (negative indices
  included), `...`, os.exit codes, an error's message on stderr with exit 1,
  stdin as "-", LUA_PATH, the system's paths, the runtime's modules.

Environment: LRT_BOOTSTRAP, LRT_SOURCE_DIR. Python 3.11 standard library;
busted and lua5.4 from Debian (scripts/deps.sh test).
"""

import os
import re
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
BUSTED = "/usr/bin/busted"
TIMEOUT = 300 if os.environ.get("LRT_SANITIZE") == "1" else 60
SPEC_DIRS = ["examples/hello/spec", "examples/handlers/spec",
             "examples/kafka/spec", "tests/lua"]


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_LAMBDA_", "LUA_")) and k not in (
               "_HANDLER", "LAMBDA_TASK_ROOT")}
    env.update(extra)
    return env


def run(args, cwd=SOURCE_DIR, stdin=None, **env):
    return subprocess.run([BOOTSTRAP, *args], cwd=cwd, input=stdin,
                          env=clean_env(**env), capture_output=True,
                          timeout=TIMEOUT)


def tap(stdout):
    text = stdout.decode("utf-8", "replace")
    ok = re.findall(r"^ok \d+", text, re.M)
    not_ok = re.findall(r"^not ok \d+", text, re.M)
    plan = re.search(r"^1\.\.(\d+)$", text, re.M)
    return len(ok), len(not_ok), int(plan.group(1)) if plan else None


@unittest.skipUnless(os.path.exists(BUSTED), "lua-busted not installed")
class BustedSpecs(unittest.TestCase):
    def test_example_and_runtime_specs_pass(self):
        r = run(["--exec", BUSTED, "-o", "TAP", *SPEC_DIRS])
        ok, not_ok, plan = tap(r.stdout)
        self.assertEqual(r.returncode, 0, r.stdout.decode() + r.stderr.decode())
        self.assertEqual(not_ok, 0, r.stdout.decode())
        self.assertEqual(plan, ok)
        self.assertGreaterEqual(ok, 25)
        # stdout is busted's report alone: the handlers' output is on stderr
        for line in r.stdout.decode().splitlines():
            self.assertRegex(line, r"^(ok \d|not ok \d|1\.\.\d|#)", line)
        self.assertIn(b"greeting world", r.stderr)

    def test_the_repository_busted_file_runs_every_spec(self):
        every = tap(run(["--exec", BUSTED, "-o", "TAP", *SPEC_DIRS]).stdout)
        r = run(["--exec", BUSTED, "-o", "TAP"])  # ROOT from .busted
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(tap(r.stdout), every)

    def test_default_output_from_another_directory(self):
        tmp = tempfile.mkdtemp(prefix="lrt-busted-cwd-")
        self.addCleanup(shutil.rmtree, tmp, True)
        r = run(["--exec", BUSTED,
                 os.path.join(SOURCE_DIR, "examples", "hello", "spec")],
                cwd=tmp)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn(b"5 successes / 0 failures / 0 errors", r.stdout)


@unittest.skipUnless(os.path.exists(BUSTED), "lua-busted not installed")
class FailingSpecs(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="lrt-busted-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.write("app/handler.lua", """\
            local router = require "router"
            router.custom(function(event) return { doubled = event.n * 2 } end)
            """)

    def write(self, rel, text):
        path = os.path.join(self.dir, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(textwrap.dedent(text))

    def test_a_failing_spec_fails_the_run(self):
        self.write("spec/double_spec.lua", """\
            local lambda = require "lambda"
            describe("double", function()
              it("doubles", function()
                local ok, r = lambda.invoke("handler", { n = 2 }, { root = "app" })
                assert.is_true(ok)
                assert.are.equal(4, r.doubled)
              end)
              it("is wrong on purpose", function()
                local ok, r = lambda.invoke("handler", { n = 2 }, { root = "app" })
                assert.is_true(ok)
                assert.are.equal(5, r.doubled)
              end)
              it("sees the handler error", function()
                local ok, err = lambda.invoke("handler", { n = "x" }, { root = "app" })
                assert.is_false(ok)
                assert.are.equal("Lua.RuntimeError", err.errorType)
              end)
            end)
            """)
        r = run(["--exec", BUSTED, "-o", "TAP", "spec"], cwd=self.dir)
        self.assertNotEqual(r.returncode, 0, r.stdout)
        ok, not_ok, plan = tap(r.stdout)
        self.assertEqual((ok, not_ok, plan), (2, 1, 3), r.stdout.decode())
        self.assertIn(b"not ok 2 - double is wrong on purpose", r.stdout)

    def test_a_spec_that_does_not_load_fails_the_run(self):
        self.write("spec/broken_spec.lua", "describe('x', function() end end\n")
        r = run(["--exec", BUSTED, "-o", "TAP", "spec"], cwd=self.dir)
        self.assertNotEqual(r.returncode, 0, r.stdout)

    def test_all_passing_exits_0(self):
        self.write("spec/ok_spec.lua", """\
            local lambda = require "lambda"
            it("doubles", function()
              local ok, r = lambda.invoke("handler", '{"n": 3}', { root = "app" })
              assert.are.same({ true, { doubled = 6 } }, { ok, r })
            end)
            """)
        r = run(["--exec", BUSTED, "spec"], cwd=self.dir)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)


class ExecLikeLua(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="lrt-exec-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def script(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(textwrap.dedent(text))
        return path

    def test_arg_table_and_varargs(self):
        s = self.script("args.lua", """\
            #!/usr/bin/env lua
            io.write(arg[-2] == os.getenv("BOOT") and "boot " or "other ",
                     arg[-1], " ", arg[0]:match("[^/]*$"), " ",
                     #arg, " ", table.concat(arg, ","), " ",
                     select("#", ...), " ", table.concat({ ... }, ","), "\\n")
            """)
        r = run(["--exec", s, "a", "b c", ""], BOOT=BOOTSTRAP)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, b"boot --exec args.lua 3 a,b c, 3 a,b c,\n")

    def test_exit_codes(self):
        for code, body in ((0, "local x = 1"), (0, "os.exit(true)"),
                           (1, "os.exit(false)"), (7, "os.exit(7)"),
                           (3, "os.exit(3, true)")):
            with self.subTest(body=body):
                r = run(["--exec", self.script("e.lua", body)])
                self.assertEqual(r.returncode, code, r.stderr)

    def test_error_message_on_stderr_exit_1(self):
        r = run(["--exec", self.script("boom.lua", "error('boom')\n")])
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stdout, b"")
        self.assertRegex(r.stderr.decode(), r"^bootstrap: .*boom\.lua:1: boom\n"
                                            r"stack traceback:")
        r = run(["--exec", self.script("t.lua", "error({})\n")])
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"(error object is a table value)", r.stderr)

    def test_missing_or_broken_script_exit_1_and_no_script_exit_2(self):
        r = run(["--exec", os.path.join(self.dir, "none.lua")])
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"cannot open", r.stderr)
        r = run(["--exec", self.script("s.lua", "local = 1\n")])
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"s.lua:1:", r.stderr)
        r = run(["--exec", self.script("b.luac", "\x1bLua binary")])
        self.assertEqual(r.returncode, 1)
        r = run(["--exec"])
        self.assertEqual(r.returncode, 2)

    def test_stdin_script(self):
        r = run(["--exec", "-", "x"], stdin=b"print(arg[1], ...)\n")
        self.assertEqual((r.returncode, r.stdout), (0, b"x\tx\n"), r.stderr)

    def test_runtime_modules_then_system_paths_and_lua_path(self):
        lib = os.path.join(self.dir, "lib")
        os.mkdir(lib)
        with open(os.path.join(lib, "mine.lua"), "w") as f:
            f.write("return 'mine'\n")
        s = self.script("mods.lua", """\
            local json = require "json"
            local kafka = require "kafka"
            local log = require "log"
            local router = require "router"
            local lambda = require "lambda"
            local metrics = require "metrics"
            assert(type(kafka.by_topic) == "function")
            assert(type(metrics.add) == "function")
            assert(type(router.custom) == "function")
            assert(type(lambda.invoke) == "function")
            assert(type(log.info) == "function")
            local pl = require "pl.utils"   -- /usr/share/lua/5.4 (penlight)
            assert(type(pl.split) == "function")
            local lfs = require "lfs"       -- /usr/lib/<triplet>/lua/5.4
            assert(lfs.currentdir())
            print(json.encode({ (require "mine") }))
            """)
        r = run(["--exec", s], LUA_PATH=os.path.join(lib, "?.lua") + ";;")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, b'["mine"]\n')
        # the runtime's own lua/ folder comes first
        r = run(["--exec", "-"], stdin=b"print(package.searchpath("
                                       b"'kafka', package.path))")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(os.path.dirname(r.stdout.strip().decode()),
                         os.path.join(os.path.dirname(BOOTSTRAP), "lua"))


if __name__ == "__main__":
    unittest.main()
