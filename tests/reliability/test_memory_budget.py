"""Issue 11 item 1: one memory budget on every path.

Each case sends a 6 MB event of one shape to the real bootstrap at
AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128 and reads the process's peak RSS
(VmHWM, /proc/PID/status) after the answer: it must stay below the
function's size, the answer must be the handler's result or a
Runtime.OutOfMemory error, and the next invocation is served. Under
ASan+UBSan the shadow memory and quarantine inflate RSS, so that build checks
the answers only.
"""

import base64
import json
import os

from rtutil import SANITIZE, RuntimeTestCase, main

MEMORY_MB = 128
EVENT_BYTES = 6 * 1024 * 1024

HANDLER = """
local router = require("router")
local json = require("json")
router.kafka(function(event)
  local n, names, big = 0, 0, 0
  for _, r in ipairs(event.records) do
    n = n + 1
    for _, h in ipairs(r.headers) do
      if h.key:find("\\0", 1, true) then names = names + 1 end
    end
    -- 2^53 + 1 arrives as the nearest double, as docs/kafka.md says
    if r.offset == 9007199254740992 then big = big + 1 end
  end
  return {n = n, nul_names = names, big = big}
end)
router.custom(function(event)
  if event.mode == "encode" then
    -- 8 MB of control bytes: json.encode writes each as \\u0001 (48 MB).
    return {len = #json.encode(string.rep("\\1", 8 * 1024 * 1024))}
  end
  if event.mode == "ok" then return {ok = true} end
  return {len = #event}
end)
"""


def vm_hwm_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise AssertionError("no VmHWM for pid %d" % pid)


def kafka_batch(header_name=b"h", big_offset=False, value_len=0):
    """A 6 MB MSK batch; the first record carries the odd part."""
    value = base64.b64encode(os.urandom(value_len)).decode()
    # Small records, as many as fit: the cost of a tree is per node.
    rec_tmpl = ('{"topic":"t","partition":0,"offset":%s,"value":"%s",'
                '"headers":[{%s:[1]}]}')
    name = json.dumps(header_name.decode("latin-1")).replace(
        "\\u0000", "\\u0000")
    records = []
    size = 0
    i = 0
    while size < EVENT_BYTES - 2000:
        off = "9007199254740993" if (big_offset and i == 0) else str(i)
        r = rec_tmpl % (off, value, name if i == 0 else '"h"')
        records.append(r)
        size += len(r) + 1
        i += 1
    body = ('{"eventSource":"aws:kafka","eventSourceArn":"arn:x",'
            '"bootstrapServers":"b","records":{"t-0":[%s]}}'
            % ",".join(records))
    return body.encode(), i


class MemoryBudget(RuntimeTestCase):

    def run_one(self, event_bytes, check):
        rt = self.start(HANDLER, env={
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(MEMORY_MB)})
        self.mock.push_event(event_bytes)
        self.mock.push_event({"mode": "ok"})
        first, second = self.posts(rt, 2)
        hwm = vm_hwm_kb(rt.pid)
        check(first, rt)
        self.assertEqual((second.kind, second.json()), ("response", {"ok": True}),
                         rt.logs())
        if not SANITIZE:
            self.assertLess(hwm, MEMORY_MB * 1024,
                            "peak RSS %d kB over the function's %d MB%s"
                            % (hwm, MEMORY_MB, rt.logs()))
        return hwm

    def test_kafka_batch_with_big_offset(self):
        event, n = kafka_batch(big_offset=True)

        def check(post, rt):
            self.assertEqual(post.kind, "response", rt.logs())
            self.assertEqual(post.json(), {"n": n, "nul_names": 0, "big": 1})
        self.run_one(event, check)

    def test_kafka_batch_with_escaped_header_name(self):
        event, n = kafka_batch(header_name=b"a\x00b")

        def check(post, rt):
            self.assertEqual(post.kind, "response", rt.logs())
            self.assertEqual(post.json(), {"n": n, "nul_names": 1, "big": 0})
        self.run_one(event, check)

    def test_custom_array_of_zeros(self):
        event = b"[" + b"0," * (EVENT_BYTES // 2 - 1) + b"0]"

        def check(post, rt):
            if post.kind == "response":
                self.assertEqual(post.json(), {"len": EVENT_BYTES // 2})
            else:
                self.assert_error(post, "Runtime.OutOfMemory", rt)
        self.run_one(event, check)

    def test_json_encode_output_counts(self):
        def check(post, rt):
            self.assert_error(post, "Runtime.OutOfMemory", rt)
        self.run_one(json.dumps({"mode": "encode"}).encode(), check)


if __name__ == "__main__":
    main()
