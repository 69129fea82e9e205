#!/usr/bin/env python3
"""A/B of runtimes on one event: CPU per invocation, alternately.

The bench's other commands compare runtimes in one long run; a change to the
runtime is measured best against the tree before it in the same minutes,
because this machine's speed moves by 10-15 % from hour to hour. For each
round, each bootstrap in turn serves EVENT through bench.py's own run_one
(load_server.c, a warm-up, then N measured invocations, every response
checked against EVENT's .expected.json), and its CPU per measured
invocation is printed. Exit status 1 when any response was wrong.

  bench/ab.py --server tools/load_server --event E.json [--count N]
              [--warmup W] [--rounds R] [--root DIR] BOOTSTRAP...

Printed, never asserted (docs/performance.md gives the figures it made).
"""

import argparse
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from bench import CServer, run_one  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--server", required=True, help="load_server binary")
    ap.add_argument("--event", required=True)
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--root", default=os.path.join(HERE, "handlers"),
                    help="the scripts (handler 'bench')")
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("bootstraps", nargs="+")
    args = ap.parse_args()
    expect = args.event[:-len(".json")] + ".expected.json"
    root = os.path.abspath(args.root)

    def make_server(count, gates):
        return CServer(args.server, args.event, expect, count, gates)

    status = 0
    logs = tempfile.mkdtemp(prefix="lrt-ab-")
    for r in range(1, args.rounds + 1):
        for i, b in enumerate(args.bootstraps):
            spec = {"cmd": [os.path.abspath(b)], "cwd": root,
                    "env": {"_HANDLER": "bench", "LAMBDA_TASK_ROOT": root}}
            res = run_one(b, spec, make_server, args.warmup, args.count,
                          os.path.join(logs, "%d-%d.log" % (r, i)),
                          args.timeout)
            total = args.warmup + args.count
            print("round %d  %-50s %6d responses %6d right  %9.4f ms cpu/inv"
                  % (r, b, res["responses"], res["good"], res["cpu_ms"]),
                  flush=True)
            if res["good"] != total:
                status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
