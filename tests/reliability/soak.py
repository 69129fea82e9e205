#!/usr/bin/env python3
"""Leak check and soak of the real bootstrap against the mock Runtime API
(not a ctest test: it takes minutes). Run through scripts/soak.sh.

1. valgrind: N warm invocations (default 1000) of a small handler under
   `valgrind --leak-check=full`, a mix of responses, handler errors, Kafka
   events and invalid events; then a 500 on /next makes the runtime leave
   through its normal exit path (freeing everything), so the leak summary
   covers the whole process. "definitely lost" must be 0.
2. soak: M small invocations (default 100000) in one process, VmRSS from
   /proc/<pid>/status recorded every 10000; after warm-up (the first
   sample) the RSS must stay flat (growth below --rss-slack-kb).

Prints one summary line per phase and exits non-zero when a check fails.
"""

import argparse
import base64
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from rtutil import BOOTSTRAP, MockRuntimeAPI, clean_env  # noqa: E402

HANDLER = r"""
local router = require "router"
local json = require "json"
local n = 0
local function handle(event, context)
  n = n + 1
  if event.fail then error({ type = "App.Failure", message = "failed " .. n }) end
  local t = json.decode(json.encode({ n = n, list = { 1, 2, 3 } }))
  if event.records then
    local bytes = 0
    for _, r in ipairs(event.records) do bytes = bytes + #(r.value or "") end
    return { n = n, bytes = bytes, batchItemFailures = {} }
  end
  return { n = n, ok = true, t = t, echo = event }
end
router.kafka(handle)
router.custom(handle)
"""


def kafka_event(i):
    value = base64.b64encode(("value %d " % i).encode() * 4).decode()
    return {"eventSource": "aws:kafka",
            "records": {"t-0": [{"topic": "t", "partition": 0, "offset": i,
                                 "timestamp": 1700000000000,
                                 "timestampType": "CREATE_TIME",
                                 "key": "a2V5", "value": value,
                                 "headers": [{"h": [104, 105]}]}]}}


def event_for(i):
    kind = i % 10
    if kind == 7:
        return {"fail": True}
    if kind == 8:
        return kafka_event(i)
    if kind == 9:
        return b"not json"
    return {"i": i}


def setup_root(tmp):
    root = os.path.join(tmp, "task")
    os.mkdir(root)
    with open(os.path.join(root, "handler.lua"), "w") as f:
        f.write(HANDLER)
    return root


def env_for(mock, root):
    return clean_env({"AWS_LAMBDA_RUNTIME_API": mock.endpoint,
                      "LAMBDA_TASK_ROOT": root, "_HANDLER": "handler",
                      "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
                      "AWS_LAMBDA_LOG_LEVEL": "FATAL"})


def run_valgrind(bootstrap, count, tmp):
    root = setup_root(tmp)
    log = os.path.join(tmp, "valgrind.log")
    mock = MockRuntimeAPI().start()
    try:
        cmd = ["valgrind", "--leak-check=full", "--show-leak-kinds=definite",
               "--errors-for-leak-kinds=definite", "--error-exitcode=99",
               "--log-file=" + log, bootstrap]
        with open(os.path.join(tmp, "vg-out.txt"), "wb") as out:
            proc = subprocess.Popen(cmd, env=env_for(mock, root),
                                    stdin=subprocess.DEVNULL, stdout=out,
                                    stderr=subprocess.STDOUT)
            t0 = time.monotonic()
            for i in range(count):
                mock.push_event(event_for(i))
            mock.wait_for_posts(count, timeout=3600)
            elapsed = time.monotonic() - t0
            mock.fail_next(500)
            code = proc.wait(600)
    finally:
        mock.stop()
    with open(log) as f:
        text = f.read()
    m = re.search(r"definitely lost: ([\d,]+) bytes in ([\d,]+) blocks", text)
    lost = m.group(0) if m else "definitely lost: 0 bytes in 0 blocks"
    lost_bytes = int(m.group(1).replace(",", "")) if m else 0
    errors = re.search(r"ERROR SUMMARY: (\d+) errors", text)
    nerr = int(errors.group(1)) if errors else -1
    usage = re.search(r"total heap usage: [^\n]*", text)
    at_exit = re.search(r"in use at exit: [^\n]*", text)
    print("valgrind: %d invocations in %.1f s; exit %d (the 500 on /next); "
          "%s; %s; %s; ERROR SUMMARY: %d"
          % (count, elapsed, code, lost,
             at_exit.group(0) if at_exit else "?",
             usage.group(0) if usage else "?", nerr))
    if not usage:
        print(text[-3000:])
        return False
    if lost_bytes or nerr:
        print(text[-6000:])
    return lost_bytes == 0 and nerr == 0


FIXED_TRACE = "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def run_soak(bootstrap, count, every, slack_kb, tmp, trace_ids="unique"):
    root = setup_root(tmp)
    mock = MockRuntimeAPI().start()
    samples = []
    try:
        with open(os.path.join(tmp, "soak-out.txt"), "wb") as out:
            proc = subprocess.Popen([bootstrap], env=env_for(mock, root),
                                    stdin=subprocess.DEVNULL, stdout=out,
                                    stderr=subprocess.STDOUT)
            t0 = time.monotonic()
            done = 0
            while done < count:
                batch = min(every, count - done)
                for i in range(done, done + batch):
                    if trace_ids == "unique":
                        mock.push_event(event_for(i))  # as Lambda does
                    else:
                        mock.push_event(event_for(i), trace_id=FIXED_TRACE)
                mock.wait_for_posts(batch, timeout=3600)
                done += batch
                # the mock records every request: drop them between batches
                # so its memory (not ours) stays small
                with mock._cond:
                    mock.requests.clear()
                    mock.posts.clear()
                    mock.issued.clear()
                samples.append((done, rss_kb(proc.pid)))
                print("  %7d invocations  VmRSS %6d kB  (%.0f s)"
                      % (done, samples[-1][1], time.monotonic() - t0),
                      flush=True)
            elapsed = time.monotonic() - t0
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(60)
    finally:
        mock.stop()
    warm = samples[0][1]
    peak = max(kb for _, kb in samples)
    last = samples[-1][1]
    ok = peak - warm <= slack_kb and code == 0
    print("soak (%s trace ids): %d invocations in %.1f s (%.0f/s); VmRSS after %d: %d kB, "
          "peak %d kB, last %d kB, growth after warm-up %+d kB; exit %d; %s"
          % (trace_ids, count, elapsed, count / elapsed, samples[0][0], warm, peak, last,
             peak - warm, code, "FLAT" if ok else "GROWING"))
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bootstrap", default=BOOTSTRAP)
    ap.add_argument("--valgrind", type=int, default=1000,
                    help="invocations under valgrind (0: skip)")
    ap.add_argument("--soak", type=int, default=100000,
                    help="invocations of the soak (0: skip)")
    ap.add_argument("--every", type=int, default=10000)
    ap.add_argument("--rss-slack-kb", type=int, default=1024)
    ap.add_argument("--trace-ids", choices=("unique", "fixed"),
                    default="unique",
                    help="a fresh Lambda-Runtime-Trace-Id per event (as "
                    "Lambda sends) or one for all (isolates _X_AMZN_TRACE_ID)")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="lrt-soak-")
    ok = True
    try:
        if args.valgrind:
            os.mkdir(os.path.join(tmp, "vg"))
            ok &= run_valgrind(args.bootstrap, args.valgrind,
                               os.path.join(tmp, "vg"))
        if args.soak:
            os.mkdir(os.path.join(tmp, "soak"))
            ok &= run_soak(args.bootstrap, args.soak, args.every,
                           args.rss_slack_kb, os.path.join(tmp, "soak"),
                           args.trace_ids)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
