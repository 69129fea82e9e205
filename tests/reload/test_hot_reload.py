"""Hot reload (LUA_HOT_RELOAD=1) in the Lambda loop, against the mock Runtime
API of tests/integration.

One bootstrap process serves several events; between them the test edits the
handler or a module it required. What must hold: the same process answers
with the new code; a broken edit (syntax error in the handler, runtime error
at the top of a required module) is logged on stderr while the previous
version keeps answering, with no invocation lost and the process still up;
a fix after it is picked up; module-level state starts over with each new
version; and without the switch nothing is reloaded.
"""

import json
import os
import shutil
import tempfile
import time
import unittest

import reload_util as ru

mock_runtime_api = ru.import_mock()

HANDLER = """\
local router = require "router"
{require}
local VERSION = "{version}"
local calls = 0 -- module-level state: starts over when a new version loads
router.custom(function(event, context)
  calls = calls + 1
  return {{ version = VERSION, calls = calls, util = {util_expr} }}
end)
"""

UTIL = """\
local M = {{}}
M.version = "{version}"
return M
"""


def handler_src(version, with_util=False):
    return HANDLER.format(
        version=version,
        require='local util = require "lib.util"' if with_util else "",
        util_expr="util.version" if with_util else "nil")


class HotReloadTest(unittest.TestCase):
    hot_reload = "1"

    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="lrt-reload-")
        self.addCleanup(shutil.rmtree, self.root, True)
        self.api = mock_runtime_api.MockRuntimeAPI().start()
        self.addCleanup(self.api.stop)
        self.child = None
        self.sent = 0

    def start(self, hot_reload="1", lua_path=None):
        env = dict(os.environ)
        env.update({"AWS_LAMBDA_RUNTIME_API": self.api.endpoint,
                    "LAMBDA_TASK_ROOT": self.root,
                    "_HANDLER": "handler"})
        env.pop("LUA_PATH", None)
        if lua_path:
            env["LUA_PATH"] = lua_path
        env.pop("AWS_LAMBDA_LOG_FORMAT", None)
        env.pop("AWS_LAMBDA_LOG_LEVEL", None)
        if hot_reload is None:
            env.pop("LUA_HOT_RELOAD", None)
        else:
            env["LUA_HOT_RELOAD"] = hot_reload
        self.child = ru.Child([ru.bootstrap_path()], env=env)
        self.addCleanup(self.stop_child)

    def stop_child(self):
        if self.child is not None:
            self.child.stop()

    def write(self, rel, text):
        ru.write_script(os.path.join(self.root, rel), text)

    def invoke(self):
        """Send one event, wait for its answer; returns (kind, body)."""
        rid = self.api.push_event({"n": self.sent})
        self.sent += 1
        try:
            posts = self.api.wait_for_posts(self.sent, timeout=10 * ru.SLOW)
        except AssertionError:
            self.fail("no answer to event %d\n%s" % (self.sent,
                                                     self.child.transcript()))
        post = posts[-1]
        self.assertEqual(post.request_id, rid)
        self.assertEqual(post.status, 202)
        return post.kind, post.json()

    def assert_answer(self, version, calls, util=None):
        kind, body = self.invoke()
        self.assertEqual(kind, "response", "%r\n%s" % (body,
                                                      self.child.transcript()))
        self.assertEqual(body.get("version"), version, self.child.transcript())
        self.assertEqual(body.get("calls"), calls)
        self.assertEqual(body.get("util"), util)

    def assert_alive_and_complete(self):
        """Same process still running, one answer per event, nothing else."""
        self.assertTrue(self.child.alive(), self.child.transcript())
        posts = self.api.get_posts()
        self.assertEqual(len(posts), self.sent)
        self.assertEqual([p.kind for p in posts], ["response"] * self.sent)
        self.assertEqual(self.api.get_posts("init_error"), [])

    # ---- the handler module ----

    def test_edit_is_picked_up_by_the_same_process(self):
        self.write("handler.lua", handler_src("v1"))
        self.start()
        pid = self.child.pid
        self.assert_answer("v1", 1)
        self.assert_answer("v1", 2)
        self.write("handler.lua", handler_src("v2"))
        # A new state: the module-level counter starts over.
        self.assert_answer("v2", 1)
        self.assert_answer("v2", 2)
        self.assertEqual(self.child.pid, pid)
        self.assert_alive_and_complete()
        self.child.wait_line("err", lambda l: "hot reload" in l and
                             "new version loaded" in l)

    def test_syntax_error_keeps_previous_version_then_fix_is_picked_up(self):
        self.write("handler.lua", handler_src("v1"))
        self.start()
        self.assert_answer("v1", 1)
        self.write("handler.lua", handler_src("v2") + "\nlocal x = = 1\n")
        # The broken version never answers: the old state does, and its
        # module-level state carries on.
        self.assert_answer("v1", 2)
        line = self.child.wait_line("err", lambda l: "hot reload" in l)
        self.assertIn("Runtime.UserCodeSyntaxError", line)
        self.assertIn("handler.lua", line)
        self.assert_answer("v1", 3)
        self.assertTrue(self.child.alive())
        # The same broken files are not reloaded (and logged) again on every
        # invocation: only once, until the next change.
        failures = [l for l in self.child.err_lines
                    if "failed to load" in l]
        self.assertEqual(len(failures), 1, self.child.transcript())
        self.write("handler.lua", handler_src("v3"))
        self.assert_answer("v3", 1)
        self.assert_alive_and_complete()

    def test_broken_then_fixed_twice(self):
        # The file watched after a failed attempt keeps being watched after
        # a second failure too.
        self.write("handler.lua", handler_src("v1"))
        self.start()
        self.assert_answer("v1", 1)
        self.write("handler.lua", "this is not lua")
        self.assert_answer("v1", 2)
        self.write("handler.lua", "neither is this (")
        self.assert_answer("v1", 3)
        self.write("handler.lua", handler_src("v4"))
        self.assert_answer("v4", 1)
        self.assert_alive_and_complete()
        # Stderr is read by a thread: an answer can be seen before the line
        # logged ahead of it, so wait for both lines rather than count early.
        for _ in range(2):
            self.child.wait_line("err", lambda l: "failed to load" in l)
        errors = [l for l in self.child.err_lines if "failed to load" in l]
        self.assertEqual(len(errors), 2, self.child.transcript())

    # ---- a module the handler required ----

    def test_required_module_edit_is_picked_up(self):
        self.write("lib/util.lua", UTIL.format(version="u1"))
        self.write("handler.lua", handler_src("v1", with_util=True))
        self.start()
        self.assert_answer("v1", 1, util="u1")
        self.write("lib/util.lua", UTIL.format(version="u2"))
        self.assert_answer("v1", 1, util="u2")
        self.assert_alive_and_complete()

    def test_required_module_runtime_error_keeps_previous_version(self):
        self.write("lib/util.lua", UTIL.format(version="u1"))
        self.write("handler.lua", handler_src("v1", with_util=True))
        self.start()
        self.assert_answer("v1", 1, util="u1")
        self.write("lib/util.lua",
                   'error("util is broken at load time")\n' +
                   UTIL.format(version="u2"))
        self.assert_answer("v1", 2, util="u1")
        line = self.child.wait_line("err", lambda l: "hot reload" in l)
        self.assertIn("util is broken at load time", line)
        self.assertTrue(self.child.alive())
        self.write("lib/util.lua", UTIL.format(version="u3"))
        self.assert_answer("v1", 1, util="u3")
        self.assert_alive_and_complete()

    def test_top_level_loop_is_interrupted_by_the_deadline_guard(self):
        # The reload runs on the triggering invocation's time: a new version
        # that never finishes its top level is stopped before that deadline,
        # the invocation gets what time is left, and the previous version,
        # state and all, serves the next one.
        self.write("handler.lua", handler_src("v1"))
        self.start()
        self.assert_answer("v1", 1)
        self.write("handler.lua", "while true do\n"
                   "  pcall(function() while true do end end)\n"
                   "end\n" + handler_src("v2"))
        rid = self.api.push_event({"n": self.sent},
                                  deadline_ms=int(time.time() * 1000) + 1500)
        self.sent += 1
        post = self.api.wait_for_posts(self.sent, timeout=10 * ru.SLOW)[-1]
        self.assertEqual(post.request_id, rid)
        # What is left of its time (under 250 ms) may or may not be enough
        # for the old version: either answer is right, and only one.
        if post.kind == "error":
            self.assertEqual(post.json()["errorType"], "Runtime.Timeout")
        else:
            self.assertEqual(post.kind, "response", self.child.transcript())
            self.assertEqual(post.json()["version"], "v1")
        line = self.child.wait_line("err", lambda l: "hot reload" in l and
                                    "failed to load" in l)
        self.assertIn("Runtime.Timeout", line)
        self.assertIn("handler.lua:", line)
        self.assertTrue(self.child.alive(), self.child.transcript())
        kind, body = self.invoke()
        self.assertEqual(kind, "response", self.child.transcript())
        self.assertEqual(body["version"], "v1")
        self.assertIn(body["calls"], (2, 3))  # 3 if it served the one above
        self.write("handler.lua", handler_src("v3"))
        self.assert_answer("v3", 1)
        self.assertEqual(self.api.get_posts("init_error"), [])

    def test_module_newly_required_by_a_failed_attempt_is_watched(self):
        # The handler's edit requires a module whose top level fails; fixing
        # only that module (the handler is not touched again) is picked up.
        self.write("handler.lua", handler_src("v1"))
        self.start()
        self.assert_answer("v1", 1)
        self.write("lib/util.lua", 'error("not yet")\n')
        self.write("handler.lua", handler_src("v2", with_util=True))
        self.assert_answer("v1", 2)
        self.write("lib/util.lua", UTIL.format(version="u1"))
        self.assert_answer("v2", 1, util="u1")
        self.assert_alive_and_complete()

    def test_module_found_through_lua_path_counts_too(self):
        shared = tempfile.mkdtemp(prefix="lrt-reload-shared-")
        self.addCleanup(shutil.rmtree, shared, True)
        ru.write_script(os.path.join(shared, "lib", "util.lua"),
                        UTIL.format(version="s1"))
        self.write("handler.lua", handler_src("v1", with_util=True))
        self.start(lua_path=os.path.join(shared, "?.lua"))
        self.assert_answer("v1", 1, util="s1")
        ru.write_script(os.path.join(shared, "lib", "util.lua"),
                        UTIL.format(version="s2"))
        self.assert_answer("v1", 1, util="s2")
        self.assert_alive_and_complete()

    def test_module_newly_required_with_syntax_error_is_watched(self):
        # Same as above, but the new module has a syntax error: the searcher
        # raises before it records the file, so fixing only that file is not
        # seen until some other loaded script changes.
        self.write("handler.lua", handler_src("v1"))
        self.start()
        self.assert_answer("v1", 1)
        self.write("lib/util.lua", "return {\n")
        self.write("handler.lua", handler_src("v2", with_util=True))
        self.assert_answer("v1", 2)
        self.write("lib/util.lua", UTIL.format(version="u1"))
        self.assert_answer("v2", 1, util="u1")

    def test_deleted_then_restored_module_is_watched(self):
        # A module removed (git checkout, some editors) fails the reload; once
        # it is back the new version must load. The failed check drops the
        # missing file from the watched set, so its return goes unseen.
        self.write("lib/util.lua", UTIL.format(version="u1"))
        self.write("handler.lua", handler_src("v1", with_util=True))
        self.start()
        self.assert_answer("v1", 1, util="u1")
        os.unlink(os.path.join(self.root, "lib", "util.lua"))
        self.assert_answer("v1", 2, util="u1")
        self.write("lib/util.lua", UTIL.format(version="u2"))
        self.assert_answer("v1", 1, util="u2")

    # ---- the switch ----

    def test_without_the_switch_edits_are_not_picked_up(self):
        for value in (None, "0"):
            with self.subTest(LUA_HOT_RELOAD=value):
                self.api.reset()
                self.sent = 0
                self.write("lib/util.lua", UTIL.format(version="u1"))
                self.write("handler.lua", handler_src("v1", with_util=True))
                self.start(hot_reload=value)
                self.assert_answer("v1", 1, util="u1")
                self.write("handler.lua", handler_src("v2", with_util=True))
                self.write("lib/util.lua", UTIL.format(version="u2"))
                self.assert_answer("v1", 2, util="u1")
                self.assert_alive_and_complete()
                self.assertFalse(any("hot reload" in l
                                     for l in self.child.err_lines))
                self.child.stop()


if __name__ == "__main__":
    unittest.main()
