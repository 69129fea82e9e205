"""A big Kafka event and a handler that makes a lot of garbage, under the
memory cap Lambda's memory size sets: the runtime pauses the collector while
it decodes a big event, and must never leave it paused while the handler runs
(lauxlib's buffers allocate with no emergency collection, so garbage would
become an out-of-memory error). Through the real binary, local invoke."""
import base64
import json
import os
import subprocess
import tempfile
import unittest

BOOTSTRAP = os.environ.get("LRT_BOOTSTRAP", "build/bootstrap")

HANDLER = """
require("router").kafka(function(event)
  local n = 0
  for i = 1, 20 do
    for _, r in ipairs(event.records) do
      local s = string.rep(r.key, 200) .. i -- garbage, through luaL_Buffer
      n = n + #s
    end
  end
  return { records = #event.records, n = n }
end)
"""


def big_event(records):
    recs = {}
    for i in range(records):
        recs.setdefault("t-%d" % (i % 4), []).append({
            "topic": "t", "partition": i % 4, "offset": i,
            "timestamp": 1700000000000 + i, "timestampType": "CREATE_TIME",
            "key": base64.b64encode(b"key-%06d" % i).decode(),
            "value": base64.b64encode(b"v" * 400).decode(),
            "headers": [{"h": [1, -2, 3]}]})
    return {"eventSource": "aws:kafka", "records": recs}


class GcPressure(unittest.TestCase):
    def test_garbage_heavy_handler_on_a_big_event_under_the_cap(self):
        records = 8000
        with tempfile.TemporaryDirectory() as root:
            with open(os.path.join(root, "handler.lua"), "w") as f:
                f.write(HANDLER)
            ev = os.path.join(root, "event.json")
            with open(ev, "w") as f:
                json.dump(big_event(records), f)
            self.assertGreater(os.path.getsize(ev), 256 * 1024)
            env = dict(os.environ, AWS_LAMBDA_FUNCTION_MEMORY_SIZE="128")
            r = subprocess.run([BOOTSTRAP, "--event", ev, "--root", root],
                               env=env, capture_output=True, timeout=300)
            out = r.stdout.decode().strip().splitlines()
            self.assertEqual(r.returncode, 0, (out[-1:], r.stderr.decode()[-2000:]))
            body = json.loads(out[-1])
            # 20 passes of 200 copies of a 10-byte key plus the pass number
            expected = sum(2000 + len(str(i)) for i in range(1, 21)) * records
            self.assertEqual(body, {"records": records, "n": expected})

    def test_collector_running_in_the_handler_of_a_big_event(self):
        # Restarted with an allowance, not left paused: running, and it
        # collects garbage the handler drops once the allowance is spent.
        handler = """
require("router").kafka(function(event)
  local running = collectgarbage("isrunning")
  local weak = setmetatable({}, { __mode = "v" })
  weak[1] = {}
  for i = 1, 400000 do local t = { i } end -- ~25 MB of garbage
  return { running = running, collected = weak[1] == nil,
           records = #event.records }
end)
"""
        with tempfile.TemporaryDirectory() as root:
            with open(os.path.join(root, "handler.lua"), "w") as f:
                f.write(handler)
            ev = os.path.join(root, "event.json")
            with open(ev, "w") as f:
                json.dump(big_event(2000), f)
            self.assertGreater(os.path.getsize(ev), 256 * 1024)
            r = subprocess.run([BOOTSTRAP, "--event", ev, "--root", root],
                               capture_output=True, timeout=300)
            out = r.stdout.decode().strip().splitlines()
            self.assertEqual(r.returncode, 0, r.stderr.decode()[-2000:])
            self.assertEqual(json.loads(out[-1]),
                             {"running": True, "collected": True,
                              "records": 2000})


if __name__ == "__main__":
    unittest.main()
