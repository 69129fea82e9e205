"""Issue 11 item 3: numbers are locale-proof.

A de_DE.UTF-8 locale (decimal comma) is generated with localedef into the
test's temporary directory (LOCPATH points the runtime at it). A handler
that switches to it with os.setlocale still gets JSON responses, json.encode,
json.decode, log records and print lines with a decimal point.
"""

import json
import os
import shutil
import subprocess

from rtutil import RuntimeTestCase, main

HANDLER = r"""
local router = require("router")
local json = require("json")
local log = require("log")
router.custom(function(event)
  local set = os.setlocale("de_DE.UTF-8")
  assert(set, "the generated de_DE.UTF-8 locale could not be set")
  -- The locale is really in force for the handler's own formatting:
  local own = string.format("%.1f", 1.5)
  log.info(2.5)
  log.info("fields", {f = 3.25})
  print(4.75, 5)
  if event.v == "err" then error(2.75) end
  return {
    own = own,
    x = 1.5,
    decoded = json.decode('{"y": 2.25}').y,
    encoded = json.encode({z = 0.5}),
    event = event.v,
  }
end)
"""


class LocaleProof(RuntimeTestCase):

    def make_locale(self):
        if not shutil.which("localedef"):
            self.fail("localedef is missing (Debian package libc-bin/locales)")
        locpath = os.path.join(self.tmp, "locales")
        os.mkdir(locpath)
        p = subprocess.run(
            ["localedef", "-i", "de_DE", "-f", "UTF-8",
             os.path.join(locpath, "de_DE.UTF-8")],
            capture_output=True, text=True)
        # localedef warns (exit 1) on harmless issues; the files are what count.
        if not os.path.exists(os.path.join(locpath, "de_DE.UTF-8",
                                           "LC_NUMERIC")):
            self.fail("localedef failed: %s%s" % (p.stdout, p.stderr))
        return locpath

    def check(self, log_format):
        env = {"LOCPATH": self.make_locale()}
        if log_format:
            env["AWS_LAMBDA_LOG_FORMAT"] = log_format
        rt = self.start(HANDLER, env=env)
        self.mock.push_event(b'{"v": 6.125}')
        self.mock.push_event(b'{"v": 7.5}')
        posts = self.posts(rt, 2)
        for post, v in zip(posts, (6.125, 7.5)):
            self.assertEqual(post.kind, "response", rt.logs())
            body = json.loads(post.body)
            self.assertEqual(body, {"own": "1,5", "x": 1.5, "decoded": 2.25,
                                    "encoded": '{"z":0.5}', "event": v})
        out = rt.stdout()
        for text in ("2.5", "3.25", "4.75"):
            self.assertIn(text, out, rt.logs())
        for text in ("2,5", "3,25", "4,75"):
            self.assertNotIn(text, out, rt.logs())

    def test_error_message(self):
        rt = self.start(HANDLER, env={"LOCPATH": self.make_locale()})
        self.mock.push_event(b'{"v": "err"}')
        (post,) = self.posts(rt, 1)
        body = self.assert_error(post, "Lua.RuntimeError", rt)
        self.assertEqual(body["errorMessage"], "2.75")

    def test_text_logs(self):
        self.check(None)

    def test_json_logs(self):
        self.check("JSON")


if __name__ == "__main__":
    main()
