#!/usr/bin/env python3
"""A/B of runtimes on one event: CPU per invocation, alternately.

The bench's other commands compare runtimes in one long run; a change to the
runtime is measured best against the tree before it in the same minutes,
because this machine's speed moves by 10-15 % from hour to hour. For each
round, each bootstrap in turn serves EVENT N times from bench/load_server.c
(the main bench's load server: it checks every response against
EVENT's .expected.json), and the CPU the bootstrap used (getrusage of the
child, init included, which N makes small) is printed per invocation.

  bench/ab.py --server tools/load_server --event E.json [--count N]
              [--rounds R] [--root DIR] [--handler NAME] BOOTSTRAP...

Printed, never asserted (docs/performance.md gives the figures it made).
"""

import argparse
import os
import resource
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def stats(srv):
    """Ask the load server for its counts: (responses, good)."""
    srv.stdin.write(b"stats\n")
    srv.stdin.flush()
    words = srv.stdout.readline().split()
    while words[:1] != [b"stats"]:
        words = srv.stdout.readline().split()
    while True:  # the latencies and bodies that follow, up to "end"
        line = srv.stdout.readline()
        if not line or line.strip() == b"end":
            break
    return int(words[1]), int(words[2])


def run_one(args, bootstrap):
    expect = args.event[:-len(".json")] + ".expected.json"
    srv = subprocess.Popen([args.server, "--event", args.event, "--expect",
                            expect, "--count", str(args.count)],
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        port = int(srv.stdout.readline().split()[1])
        env = dict(os.environ, AWS_LAMBDA_RUNTIME_API="127.0.0.1:%d" % port,
                   _HANDLER=args.handler, LAMBDA_TASK_ROOT=args.root,
                   AWS_LAMBDA_FUNCTION_MEMORY_SIZE="1024")
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        rt = subprocess.Popen([bootstrap], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
        t0 = time.monotonic()
        responses, good = 0, 0
        while responses < args.count and rt.poll() is None:
            time.sleep(0.1)
            responses, good = stats(srv)
            if time.monotonic() - t0 > args.timeout:
                break
        rt.send_signal(signal.SIGTERM)
        rt.wait()
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime +
               after.ru_stime - before.ru_stime)
        return responses, good, cpu * 1000 / max(responses, 1)
    finally:
        srv.stdin.write(b"quit\n")
        srv.stdin.flush()
        srv.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--server", required=True, help="load_server binary")
    ap.add_argument("--event", required=True)
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--root", default=os.path.join(HERE, "handlers"))
    ap.add_argument("--handler", default="bench")
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("bootstraps", nargs="+")
    args = ap.parse_args()
    status = 0
    for r in range(1, args.rounds + 1):
        for b in args.bootstraps:
            responses, good, ms = run_one(args, b)
            print("round %d  %-50s %6d responses %6d right  %9.4f ms cpu/inv"
                  % (r, b, responses, good, ms), flush=True)
            if good != args.count:
                status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
