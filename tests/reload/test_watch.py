"""`bootstrap --event EV --root DIR --handler H --watch`, driven by edits.

The process runs the event, prints the result, then re-runs it whenever a
script under the root (or the event file) changes. A syntax error prints the
init error on stderr and the process waits for the next change; a fix prints
a result again. SIGTERM or SIGINT ends it.
"""

import json
import os
import shutil
import signal
import tempfile
import unittest

import reload_util as ru

HANDLER = """\
local router = require "router"
local greet = require "lib.greet"
router.custom(function(event, context)
  print("handling " .. tostring(event.name))
  return {{ version = "{version}", greeting = greet.hello(event.name) }}
end)
"""

GREET = """\
local M = {{}}
function M.hello(name) return "{word}, " .. tostring(name) end
return M
"""


def result_line(line):
    """The parsed result when 'line' is a response or error object."""
    try:
        value = json.loads(line)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


class WatchTest(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="lrt-watch-")
        self.addCleanup(shutil.rmtree, self.root, True)
        self.event = os.path.join(self.root, "event.json")
        with open(self.event, "w") as f:
            json.dump({"name": "Ada"}, f)
        self.write("app.lua", HANDLER.format(version="v1"))
        self.write("lib/greet.lua", GREET.format(word="hello"))
        self.child = None

    def write(self, rel, text):
        ru.write_script(os.path.join(self.root, rel), text, atomic=True)

    def start(self):
        env = dict(os.environ)
        for name in ("LUA_HOT_RELOAD", "LUA_PATH", "AWS_LAMBDA_RUNTIME_API",
                     "_HANDLER", "LAMBDA_TASK_ROOT", "AWS_LAMBDA_LOG_FORMAT"):
            env.pop(name, None)
        self.child = ru.Child(
            [ru.bootstrap_path(), "--event", self.event, "--root", self.root,
             "--handler", "app", "--watch"], env=env)
        self.addCleanup(self.child.stop, signal.SIGKILL)

    def next_result(self):
        line = self.child.wait_line("out", lambda l: result_line(l) is not None)
        return result_line(line)

    def test_edits_rerun_errors_wait_and_signal_ends_it(self):
        self.start()
        self.assertEqual(self.next_result(),
                         {"version": "v1", "greeting": "hello, Ada"})
        # print() output of the run went to stderr; stdout holds results
        # alone, one line per run.
        # (read by another thread than stdout: waited for, not peeked at)
        self.child.wait_line("err", lambda l: "handling Ada" in l)
        self.assertFalse(any("handling Ada" in l for l in self.child.out_lines))

        self.write("app.lua", HANDLER.format(version="v2"))
        self.assertEqual(self.next_result()["version"], "v2")

        # A required module under the root counts as well.
        self.write("lib/greet.lua", GREET.format(word="hi"))
        self.assertEqual(self.next_result(),
                         {"version": "v2", "greeting": "hi, Ada"})

        # A syntax error: the init error on stderr, no result, still running.
        self.child.drain("err")
        self.write("app.lua", HANDLER.format(version="v3") + "\nend end\n")
        err = self.child.wait_line("err", lambda l: "Init Error" in l)
        self.assertIn("Runtime.UserCodeSyntaxError", err)
        self.assertIn("app.lua", err)
        self.child.wait_line("err", lambda l: "waiting for a change" in l)
        self.assertTrue(self.child.alive(), self.child.transcript())
        self.assertEqual([l for l in self.child.drain("out")
                          if result_line(l) is not None], [])

        # The fix: a result again.
        self.write("app.lua", HANDLER.format(version="v4"))
        self.assertEqual(self.next_result()["version"], "v4")

        # A handler error is printed as the error object, and watching goes on.
        self.write("lib/greet.lua", 'return { hello = function() '
                                    'error({ type = "Greet.Failed", '
                                    'message = "no greeting" }) end }\n')
        self.assertEqual(
            {k: v for k, v in self.next_result().items() if k != "stackTrace"},
            {"errorType": "Greet.Failed", "errorMessage": "no greeting"})
        self.assertTrue(self.child.alive())

        # Editing the event file re-runs it too.
        self.write("lib/greet.lua", GREET.format(word="hello"))
        self.assertEqual(self.next_result()["greeting"], "hello, Ada")
        ru.write_script(self.event, json.dumps({"name": "Grace"}),
                        atomic=True)
        self.assertEqual(self.next_result()["greeting"], "hello, Grace")

        # Killed by the signal, or a clean exit: either way, gone.
        rc = self.child.stop(signal.SIGTERM)
        self.assertIn(rc, (0, -signal.SIGTERM))
        self.assertFalse(self.child.alive())

    def test_sigint_ends_it(self):
        self.start()
        self.assertEqual(self.next_result()["version"], "v1")
        rc = self.child.stop(signal.SIGINT)
        self.assertIn(rc, (0, -signal.SIGINT))
        self.assertFalse(self.child.alive())

    def test_init_error_at_start_waits_for_a_fix(self):
        self.write("app.lua", "local = 1\n")
        self.start()
        err = self.child.wait_line("err", lambda l: "Init Error" in l)
        self.assertIn("Runtime.UserCodeSyntaxError", err)
        self.child.wait_line("err", lambda l: "exit 2" in l)
        self.assertTrue(self.child.alive())
        self.write("app.lua", HANDLER.format(version="v5"))
        self.assertEqual(self.next_result()["version"], "v5")

    def test_watch_needs_an_event_file(self):
        env = dict(os.environ)
        for argv in (["--watch"], ["--event", "-", "--watch"]):
            with self.subTest(argv=argv):
                child = ru.Child([ru.bootstrap_path(), "--root", self.root,
                                  "--handler", "app"] + argv, env=env)
                rc = child.proc.wait(10 * ru.SLOW)
                child.stop()
                self.assertEqual(rc, 2)
                self.assertTrue(any("--watch" in l for l in child.err_lines),
                                child.transcript())


if __name__ == "__main__":
    unittest.main()
