"""Issue 11 item 5: no Lua code can crash the process.

Binary chunks are refused by load, loadfile and dofile (a corrupted
string.dump crashed the VM before), debug.getregistry (whose tampering
crashed C code reading the registry back) is refused, and os.exit logs a
line saying so before the process ends. Each case is followed by another
invocation in the same process.
"""

import os

from rtutil import WAIT, RuntimeTestCase, main

HANDLER = r"""
local router = require("router")
router.custom(function(event)
  local mode = event.mode
  local dump = string.dump(function(a) return a + 1 end)
  -- Corrupted the way the hostile suite did it: flipped bytes mid-chunk.
  local bad = dump:sub(1, 20) .. string.rep("\255", 16) .. dump:sub(37)
  if mode == "load" then
    local f1, e1 = load(dump)
    local f2, e2 = load(bad, "bad", "bt")
    local f3, e3 = load(function() local s = bad; bad = nil; return s end)
    return {f1 = f1 == nil, f2 = f2 == nil, f3 = f3 == nil, e1 = e1, e2 = e2,
            e3 = e3, text = load("return 41 + 1")()}
  elseif mode == "load_b" then
    return load(dump, "x", "b")
  elseif mode == "files" then
    local path = os.tmpname()
    local f = assert(io.open(path, "wb")); f:write(bad); f:close()
    local lf, le = loadfile(path)
    local lf2, le2 = loadfile(path, "bt", {})
    local ok, de = pcall(dofile, path)
    os.remove(path)
    return {lf = lf == nil, le = le, lf2 = lf2 == nil, le2 = le2,
            dofile_ok = ok, de = de}
  elseif mode == "registry" then
    local reg = debug.getregistry()
    for k in pairs(reg) do reg[k] = 1 end
    return {tampered = true}
  elseif mode == "exit" then
    os.exit(3)
  end
  return {ok = true}
end)
"""


class LuaGuard(RuntimeTestCase):

    def run_then_ok(self, event):
        rt = self.start(HANDLER)
        self.mock.push_event(event)
        self.mock.push_event({"mode": "ok"})
        first, second = self.posts(rt, 2)
        self.assertEqual((second.kind, second.json()), ("response", {"ok": True}),
                         rt.logs())
        return first, rt

    def test_load_refuses_binary_chunks(self):
        post, rt = self.run_then_ok({"mode": "load"})
        body = post.json()
        self.assertEqual(post.kind, "response", rt.logs())
        self.assertTrue(body["f1"] and body["f2"] and body["f3"], body)
        for k in ("e1", "e2", "e3"):
            self.assertIn("binary chunk", body[k])
        self.assertEqual(body["text"], 42)

    def test_load_mode_b_is_an_error(self):
        post, rt = self.run_then_ok({"mode": "load_b"})
        body = self.assert_error(post, "Lua.RuntimeError", rt)
        self.assertIn("binary chunks are refused", body["errorMessage"])

    def test_loadfile_and_dofile_refuse_binary_chunks(self):
        post, rt = self.run_then_ok({"mode": "files"})
        body = post.json()
        self.assertEqual(post.kind, "response", rt.logs())
        self.assertTrue(body["lf"] and body["lf2"], body)
        self.assertFalse(body["dofile_ok"], body)
        for k in ("le", "le2", "de"):
            self.assertIn("binary chunk", body[k])

    def test_registry_is_out_of_reach(self):
        post, rt = self.run_then_ok({"mode": "registry"})
        body = self.assert_error(post, "Lua.RuntimeError", rt)
        self.assertIn("debug.getregistry is not available",
                      body["errorMessage"])

    def test_os_exit_says_so(self):
        rt = self.start(HANDLER)
        self.mock.push_event({"mode": "exit"})
        self.assertEqual(rt.wait(WAIT), 3, rt.logs())
        self.assertIn("os.exit(3) called by the handler", rt.stderr())


if __name__ == "__main__":
    main()
