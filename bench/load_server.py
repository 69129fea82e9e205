#!/usr/bin/env python3
"""A Lambda Runtime API load server for the bench: one event, served N times.

The same server drives every runtime measured (ours and aws-lambda-ric), so
they see the same bytes, the same headers and the same pacing. It speaks just
enough HTTP/1.1 for a runtime client (keep-alive, Content-Length or chunked
bodies, Expect: 100-continue) on 127.0.0.1.

For each invocation it records the time from the first byte of the /next
response being sent to the POST .../response body being fully received, and
checks the response body against the expected JSON value. /next calls past
the last invocation are held open, as Lambda freezes an idle runtime.

Gates let a caller take clean measurements: when the runtime asks /next for
invocation k and k is a gate, the server holds that request, reports the gate
reached and waits to be released, so the runtime sits idle in /next while the
caller reads /proc. The server's own CPU time per invocation is recorded so a
run can show that the server is not the bottleneck.

Use as a module (bench/bench.py) or on its own:
  load_server.py --event E.json --expect E.expected.json --count N
prints the port, serves N invocations to whatever connects, prints stats.
Python 3 stdlib only.

Not the suites' mock Runtime API (tests/integration/mock_runtime_api.py): that
one records every request and plays faults for tests; this one serves one
event and times the cycles (bench/load_server.c is the same job in C, cheaper
per request; see docs/performance.md).
"""

import argparse
import json
import socket
import sys
import threading
import time

API = b"/2018-06-01/runtime/"
FUNCTION_ARN = b"arn:aws:lambda:eu-west-1:123456789012:function:bench"


class LoadServer:
    def __init__(self, event, expected, count, gates=(), host="127.0.0.1"):
        self.event = event
        self.expected = expected
        self.count = count
        self.lock = threading.Lock()
        self.cond = threading.Condition(self.lock)
        self.dispatched = 0
        self.outstanding = {}  # request id -> (index, t_sent_ns)
        self.latency_ns = [None] * count
        self.responses = 0
        self.good = 0
        self.bad = []  # (index, kind, body prefix)
        self.first_body = None
        self._good_body = None
        self.init_errors = []
        self.first_next_ns = None
        self.gates = set(gates)
        self.reached = set()
        self.released = set()
        self.stopping = False
        self.server_cpu_ns = 0  # handler-thread CPU, all connections
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, 0))
        self.sock.listen(16)
        self.host, self.port = self.sock.getsockname()
        self.threads = []

    # -- control, for the caller ------------------------------------------

    @property
    def address(self):
        return "%s:%d" % (self.host, self.port)

    def start(self):
        t = threading.Thread(target=self._accept, daemon=True)
        t.start()
        self.threads.append(t)
        return self

    def wait_gate(self, k, timeout):
        """Wait until the runtime asks /next for invocation k (a gate)."""
        with self.cond:
            return self.cond.wait_for(
                lambda: k in self.reached or self.stopping, timeout) and \
                k in self.reached

    def release(self, k):
        with self.cond:
            self.released.add(k)
            self.cond.notify_all()

    def wait_first_next(self, timeout):
        with self.cond:
            return self.cond.wait_for(
                lambda: self.first_next_ns is not None or self.init_errors,
                timeout) and self.first_next_ns is not None

    def stop(self):
        with self.cond:
            self.stopping = True
            self.cond.notify_all()
        try:
            self.sock.close()
        except OSError:
            pass

    # -- HTTP ---------------------------------------------------------------

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            t = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            t.start()

    def _serve(self, conn):
        rfile = conn.makefile("rb", buffering=65536)
        cpu0 = time.thread_time_ns()
        try:
            while not self.stopping:
                line = rfile.readline(65537)
                if not line:
                    return
                parts = line.split()
                if len(parts) != 3:
                    return
                method, target = parts[0], parts[1]
                headers = {}
                while True:
                    h = rfile.readline(65537)
                    if h in (b"\r\n", b"\n", b""):
                        break
                    name, _, value = h.partition(b":")
                    headers[name.strip().lower()] = value.strip()
                if headers.get(b"expect", b"").lower() == b"100-continue":
                    conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
                body = self._read_body(rfile, headers)
                t_recv = time.monotonic_ns()
                # Account CPU before /next may block for a long time.
                cpu1 = time.thread_time_ns()
                with self.lock:
                    self.server_cpu_ns += cpu1 - cpu0
                if method == b"GET" and target == API + b"invocation/next":
                    if not self._next(conn, t_recv):
                        return
                elif method == b"POST" and target.startswith(API + b"invocation/"):
                    rest = target[len(API + b"invocation/"):]
                    rid, _, kind = rest.partition(b"/")
                    self._result(rid.decode("latin-1"), kind, body, t_recv)
                    conn.sendall(b"HTTP/1.1 202 Accepted\r\nContent-Type: "
                                 b"application/json\r\nContent-Length: 16\r\n"
                                 b"\r\n{\"status\":\"OK\"}\n")
                elif method == b"POST" and target == API + b"init/error":
                    with self.cond:
                        self.init_errors.append(body[:2000])
                        self.cond.notify_all()
                    conn.sendall(b"HTTP/1.1 202 Accepted\r\n"
                                 b"Content-Length: 0\r\n\r\n")
                else:
                    conn.sendall(b"HTTP/1.1 404 Not Found\r\n"
                                 b"Content-Length: 0\r\n\r\n")
                cpu0 = time.thread_time_ns()
                with self.lock:
                    self.server_cpu_ns += cpu0 - cpu1
        except OSError:
            return
        finally:
            try:
                conn.close()
            except OSError:
                pass

    @staticmethod
    def _read_body(rfile, headers):
        if b"content-length" in headers:
            return rfile.read(int(headers[b"content-length"]))
        if headers.get(b"transfer-encoding", b"").lower() == b"chunked":
            chunks = []
            while True:
                size = int(rfile.readline().split(b";")[0], 16)
                if size == 0:
                    while rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(rfile.read(size))
                rfile.readline()
        return b""

    def _next(self, conn, t_recv):
        with self.cond:
            if self.first_next_ns is None:
                self.first_next_ns = t_recv
                self.cond.notify_all()
            k = self.dispatched
            if k in self.gates:
                self.reached.add(k)
                self.cond.notify_all()
                self.cond.wait_for(lambda: k in self.released or self.stopping)
            if k >= self.count:
                # Past the last invocation: hold the call like a frozen
                # sandbox until the caller stops everything.
                self.cond.wait_for(lambda: self.stopping)
                return False
            if self.stopping:
                return False
            self.dispatched = k + 1
            rid = "bench-%08d-0000-4000-8000-000000000000" % k
            deadline = int(time.time() * 1000) + 900000
            head = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    b"Lambda-Runtime-Aws-Request-Id: " + rid.encode() +
                    b"\r\nLambda-Runtime-Deadline-Ms: " + str(deadline).encode() +
                    b"\r\nLambda-Runtime-Invoked-Function-Arn: " + FUNCTION_ARN +
                    b"\r\nLambda-Runtime-Trace-Id: Root=1-5e1b4151-" +
                    b"%024x" % k + b";Sampled=0\r\nContent-Length: " +
                    str(len(self.event)).encode() + b"\r\n\r\n")
            t_sent = time.monotonic_ns()
            self.outstanding[rid] = (k, t_sent)
        conn.sendall(head)
        conn.sendall(self.event)
        return True

    def _result(self, rid, kind, body, t_recv):
        with self.cond:
            entry = self.outstanding.pop(rid, None)
            if entry is None:
                self.bad.append((-1, "unknown id " + rid, body[:200]))
                return
            k, t_sent = entry
            self.latency_ns[k] = t_recv - t_sent
            self.responses += 1
            if kind != b"response":
                self.bad.append((k, kind.decode("latin-1"), body[:2000]))
            elif body == self._good_body or self._check(body):
                self.good += 1
                if self._good_body is None:
                    self._good_body = body
            else:
                self.bad.append((k, "wrong response", body[:2000]))
            if self.first_body is None:
                self.first_body = body
            self.cond.notify_all()

    def _check(self, body):
        try:
            return json.loads(body) == self.expected
        except ValueError:
            return False

    # -- results -------------------------------------------------------------

    def latencies_ms(self, start, end):
        return [x / 1e6 for x in self.latency_ns[start:end] if x is not None]


def percentile(sorted_values, p):
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, -(-len(sorted_values) * p // 100))
    return sorted_values[int(rank) - 1]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--event", required=True)
    ap.add_argument("--expect", required=True)
    ap.add_argument("--count", type=int, default=100)
    ap.add_argument("--timeout", type=float, default=600)
    args = ap.parse_args(argv)
    with open(args.event, "rb") as f:
        event = f.read()
    with open(args.expect) as f:
        expected = json.load(f)
    srv = LoadServer(event, expected, args.count, gates=[args.count]).start()
    print("AWS_LAMBDA_RUNTIME_API=%s" % srv.address, flush=True)
    ok = srv.wait_gate(args.count, args.timeout)
    lat = sorted(srv.latencies_ms(0, args.count))
    print(json.dumps({"complete": ok, "responses": srv.responses,
                      "good": srv.good, "bad": len(srv.bad),
                      "p50_ms": percentile(lat, 50),
                      "p99_ms": percentile(lat, 99)}), flush=True)
    srv.stop()
    return 0 if ok and srv.good == args.count else 1


if __name__ == "__main__":
    sys.exit(main())
