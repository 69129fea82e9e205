"""Issue 11 item 8: environment and task root.

AWS_LAMBDA_FUNCTION_MEMORY_SIZE is parsed with range checks: a nonsense
value (huge, negative, zero, fractional, not a number) gives one WARN line
and the documented default of 128 MB, whose budget a 100 MB allocation
passes (Runtime.OutOfMemory, then the next invocation is served). A missing
or unusable LAMBDA_TASK_ROOT is posted to /init/error and the process exits.
"""

import os

from rtutil import WAIT, RuntimeTestCase, main

HANDLER = r"""
local router = require("router")
router.custom(function(event, context)
  if event.mode == "big" then
    local s = string.rep("x", 100 * 1024 * 1024)
    return {len = #s}
  end
  if event.mode == "mem" then return {mb = context.memory_limit_in_mb} end
  return {ok = true}
end)
"""


class Environment(RuntimeTestCase):

    def memory_case(self, value):
        rt = self.start(HANDLER, env={"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": value})
        self.mock.push_event({"mode": "big"})
        self.mock.push_event({"mode": "mem"})
        first, second = self.posts(rt, 2)
        self.assert_error(first, "Runtime.OutOfMemory", rt)
        # The context says the size the budget was made from.
        self.assertEqual((second.kind, second.json()), ("response", {"mb": 128}))
        warns = [line for line in rt.stderr().splitlines()
                 if "AWS_LAMBDA_FUNCTION_MEMORY_SIZE" in line]
        self.assertEqual(len(warns), 1, rt.logs())
        self.assertIn("WARN", warns[0])
        self.assertIn("using 128 MB", warns[0])

    def test_huge_memory_size(self):
        self.memory_case("99999999999999999999")

    def test_shift_overflowing_memory_size(self):
        self.memory_case("9223372036854")

    def test_negative_memory_size(self):
        self.memory_case("-128")

    def test_zero_memory_size(self):
        self.memory_case("0")

    def test_fractional_memory_size(self):
        self.memory_case("512.5")

    def test_text_memory_size(self):
        self.memory_case("lots")

    def test_valid_memory_size_is_taken_quietly(self):
        rt = self.start(HANDLER, env={"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024"})
        self.mock.push_event({"mode": "big"})
        (post,) = self.posts(rt, 1)
        self.assertEqual(post.json(), {"len": 100 * 1024 * 1024}, rt.logs())
        self.assertNotIn("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", rt.stderr())

    def task_root_case(self, root):
        self.write("handler.lua", HANDLER)
        rt = self.start(env={"LAMBDA_TASK_ROOT": root})
        (post,) = self.posts(rt, 1)
        body = self.assert_error(post, "Runtime.InvalidTaskRoot", rt)
        self.assertIn(root, body["errorMessage"])
        self.assertNotEqual(rt.wait(WAIT), 0, rt.logs())
        self.assertEqual(post.kind, "init_error")

    def test_missing_task_root(self):
        self.task_root_case(os.path.join(self.tmp, "no-such-dir"))

    def test_task_root_that_is_a_file(self):
        self.task_root_case(self.write("plain-file", "not a directory\n"))


if __name__ == "__main__":
    main()
