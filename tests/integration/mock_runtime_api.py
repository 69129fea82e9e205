#!/usr/bin/env python3
"""A mock AWS Lambda Runtime API on loopback, for tests and manual runs.

It speaks the 2018-06-01 Runtime API the way Lambda does: GET
/runtime/invocation/next blocks until an event is queued (or the server
stops), answers are HTTP/1.1 with keep-alive and an exact Content-Length,
POSTs of a response, an error or an init error get 202, an unknown request id
gets 400, a second answer for one id gets 403 and a response body over
6,291,556 bytes gets 413. Everything received is recorded (method, path,
headers with case-insensitive access, body, connection number) so tests can
assert on exactly what the runtime sent, and faults can be injected: a status
for the next /next or POST (one-shot queues, or per request id), a delay on
/next, a connection dropped in the middle of an event body or before any
answer, headers in any case, garbage or missing headers, bytes sent unasked
after an answer, a POST read and then left unanswered.

Python 3.11 standard library only. Three ways to use it:

* from Python:  api = MockRuntimeAPI(); api.start(); api.push_event(b"{}");
  ... api.wait_for_posts(1); api.stop()   (or `with MockRuntimeAPI() as api`)
* from another language (the C unit test): `mock_runtime_api.py --control`
  prints "LISTENING 127.0.0.1:PORT" and is driven over HTTP on the same port:
  POST /_mock/event (JSON event spec, see push_event_spec), POST /_mock/fault
  (JSON fault spec, see apply_fault_spec), GET /_mock/state (everything
  recorded, as JSON), POST /_mock/reset. Control requests are not recorded.
  It runs until SIGTERM, SIGINT or stdin closes.
* by hand: `mock_runtime_api.py --port P --event FILE [--count N]` serves the
  event N times (default 1), prints each answer the runtime posts and exits.
"""

import argparse
import base64
import collections
import json
import os
import signal
import socket
import stat
import sys
import threading
import time
import uuid
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

API_PREFIX = "/2018-06-01"
NEXT_PATH = API_PREFIX + "/runtime/invocation/next"
INVOCATION_PREFIX = API_PREFIX + "/runtime/invocation/"
INIT_ERROR_PATH = API_PREFIX + "/runtime/init/error"
# Lambda's limit on a synchronous response: 6 MiB + 100 bytes.
RESPONSE_LIMIT = 6 * 1024 * 1024 + 100

DEFAULT_ARN = "arn:aws:lambda:us-east-1:123456789012:function:lrt-test"

# Sentinel for "leave this header out" in push_event(headers=...).
OMIT = None



def _client_gone(handler):
    """True when the client of a waiting /next has closed its connection."""
    import select
    import socket as _socket
    sock = handler.connection
    try:
        readable, _, _ = select.select([sock], [], [], 0)
        if not readable:
            return False
        return sock.recv(1, _socket.MSG_PEEK) == b""
    except OSError:
        return True

class Headers:
    """Received headers in arrival order, looked up case-insensitively."""

    def __init__(self, items):
        self.items = list(items)

    def get(self, name, default=None):
        lname = name.lower()
        for k, v in self.items:
            if k.lower() == lname:
                return v
        return default

    def get_all(self, name):
        lname = name.lower()
        return [v for k, v in self.items if k.lower() == lname]

    def __getitem__(self, name):
        v = self.get(name)
        if v is None:
            raise KeyError(name)
        return v

    def __contains__(self, name):
        return self.get(name) is not None

    def __repr__(self):
        return "Headers(%r)" % (self.items,)


class Request:
    """One request the mock received."""

    def __init__(self, method, path, headers, body, conn):
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
        self.conn = conn  # connection number, 1-based
        self.status = None  # what the mock answered (None: dropped)
        self.time = time.monotonic()

    def to_json(self):
        return {
            "method": self.method,
            "path": self.path,
            "headers": self.headers.items,
            "body": self.body.decode("utf-8", "replace"),
            "body_len": len(self.body),
            "conn": self.conn,
            "status": self.status,
        }


class Post:
    """One POST outcome: kind is 'response', 'error' or 'init_error'."""

    def __init__(self, kind, request_id, request, status):
        self.kind = kind
        self.request_id = request_id
        self.request = request
        self.status = status

    @property
    def body(self):
        return self.request.body

    @property
    def headers(self):
        return self.request.headers

    def json(self):
        return json.loads(self.request.body)

    def to_json(self):
        return {
            "kind": self.kind,
            "request_id": self.request_id,
            "status": self.status,
            "headers": self.request.headers.items,
            "body": self.request.body.decode("utf-8", "replace"),
            "body_len": len(self.request.body),
            "conn": self.request.conn,
        }

    def __repr__(self):
        return "Post(%s %s -> %s, %d bytes)" % (
            self.kind, self.request_id, self.status, len(self.request.body))


class Event:
    """A queued event and how to serve it."""

    def __init__(self, body, headers, request_id, truncate_at=None,
                 status=200, delay=0.0, drop=False, stray=None,
                 stray_marker=None):
        self.body = body
        self.headers = headers  # list of (name, value) in send order
        self.request_id = request_id
        self.truncate_at = truncate_at
        self.status = status
        self.delay = delay
        self.drop = drop
        self.stray = stray
        self.stray_marker = stray_marker


def _header_name_case(name, case):
    if case == "lower":
        return name.lower()
    if case == "upper":
        return name.upper()
    return name


class MockRuntimeAPI:
    """The mock server. Thread-safe; all waits take a timeout in seconds."""

    def __init__(self, host="127.0.0.1", port=0, strict=True,
                 response_limit=RESPONSE_LIMIT, verbose=False):
        self.host = host
        self.port = port
        self.strict = strict  # 400 for unknown ids, 403 for a second answer
        self.response_limit = response_limit
        self.verbose = verbose
        self._cond = threading.Condition()
        self._server = None
        self._thread = None
        self._stopped = False
        self._sockets = set()
        self.reset()

    # ---- lifecycle ----

    def reset(self):
        """Forget the queue, records and faults (the server keeps running)."""
        with getattr(self, "_cond", threading.Condition()):
            self.events = collections.deque()
            self.requests = []
            self.posts = []
            self.issued = {}  # request id -> number of answers posted
            self.connections = 0
            self.api_connections = set()
            self.next_waiting = 0  # /next requests blocked right now
            self.next_delay = 0.0
            self.next_faults = collections.deque()  # ("status", n) / ("drop",)
            self.post_faults = {"response": collections.deque(),
                                "error": collections.deque(),
                                "init_error": collections.deque()}
            self.post_faults_by_id = {}  # (kind, id) -> status
            self.post_hang_ups = 0  # POSTs to read, then close unanswered

    def start(self):
        mock = self

        class Handler(_Handler):
            pass

        Handler.mock = mock
        self._server = _Server((self.host, self.port), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        args=(0.05,),
                                        name="mock-runtime-api", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        """Stop serving: blocked /next calls and idle connections are closed."""
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
            socks = list(self._sockets)
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def endpoint(self):
        return "%s:%d" % (self.host, self.port)

    # ---- events ----

    def push_event(self, body, request_id=None, headers=None, header_case=None,
                   deadline_ms=None, trace_id="default", arn=DEFAULT_ARN,
                   truncate_at=None, delay=0.0, drop=False, stray=None,
                   stray_marker=None):
        """Queue an event; returns its request id (None when omitted).

        body: bytes (a str is encoded as UTF-8, a dict/list as JSON).
        request_id: the id to send; a fresh UUID by default. Any string,
          garbage included, is sent as given.
        headers: extra headers, or overrides matched case-insensitively; a
          value of None (OMIT) leaves that header out entirely, e.g.
          {"Lambda-Runtime-Aws-Request-Id": None}.
        header_case: "lower" or "upper" to send every header name that way.
        deadline_ms: epoch ms; now + 60 s by default. trace_id: the trace
          header value ("default" makes one up, None omits it). arn: the
          function ARN (None omits it).
        truncate_at: send Content-Length for the whole body but only this many
          bytes of it, then close the connection.
        delay: seconds to wait before answering the /next that takes it.
        drop: close the connection without any answer when taken.
        stray: bytes to write on the connection, unasked, a moment after the
          answer (a confused server); then the file 'stray_marker', when
          given, is created, so a handler can wait until they are out.
        """
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            body = body.encode()
        if request_id is None:
            request_id = str(uuid.uuid4())
        if deadline_ms is None:
            deadline_ms = int(time.time() * 1000) + 60000
        if trace_id == "default":
            trace_id = "Root=1-%08x-%s;Parent=%s;Sampled=1" % (
                int(time.time()), uuid.uuid4().hex[:24], uuid.uuid4().hex[:16])
        base = [("Lambda-Runtime-Aws-Request-Id", request_id),
                ("Lambda-Runtime-Deadline-Ms", str(deadline_ms)),
                ("Lambda-Runtime-Invoked-Function-Arn", arn),
                ("Lambda-Runtime-Trace-Id", trace_id)]
        for name, value in (headers or {}).items():
            for i, (k, _) in enumerate(base):
                if k.lower() == name.lower():
                    base[i] = (name, value)
                    break
            else:
                base.append((name, value))
        sent = [(_header_name_case(k, header_case), str(v))
                for k, v in base if v is not None]
        rid = None
        for k, v in sent:
            if k.lower() == "lambda-runtime-aws-request-id":
                rid = v
        ev = Event(body, sent, rid, truncate_at=truncate_at, delay=delay,
                   drop=drop, stray=stray, stray_marker=stray_marker)
        with self._cond:
            self.events.append(ev)
            if rid is not None:
                self.issued.setdefault(rid, 0)
            self._cond.notify_all()
        return rid

    # ---- faults ----

    def fail_next(self, status=500, count=1, body=b'{"errorMessage":"mock"}'):
        """Answer the next 'count' /next calls with 'status' (no event taken)."""
        with self._cond:
            for _ in range(count):
                self.next_faults.append(("status", status, body))

    def drop_next(self, count=1):
        """Close the connection of the next 'count' /next calls, no answer."""
        with self._cond:
            for _ in range(count):
                self.next_faults.append(("drop",))

    def fail_post(self, kind, status, request_id=None, count=1):
        """Answer POSTs of 'kind' ('response', 'error', 'init_error') with
        'status': for that request id (every time), or the next 'count'."""
        assert kind in self.post_faults, kind
        with self._cond:
            if request_id is not None:
                self.post_faults_by_id[(kind, request_id)] = status
            else:
                for _ in range(count):
                    self.post_faults[kind].append(status)

    def hang_up_posts(self, count=1):
        """Read the next 'count' POSTs whole (recorded, as if acted on), then
        close their connection without answering."""
        with self._cond:
            self.post_hang_ups += count

    def raw_next(self, data, close=False):
        """Answer the next /next with exactly these bytes (status line,
        head and body as given: chunked, interim answers, bare LFs...), then
        close the connection when 'close'."""
        with self._cond:
            self.next_faults.append(("raw", bytes(data), bool(close)))
            self._cond.notify_all()

    def set_next_delay(self, seconds):
        """Wait this long before answering every /next (a slow API)."""
        with self._cond:
            self.next_delay = seconds

    # ---- waiting and inspection ----

    def wait_for_posts(self, n, timeout=10.0, kind=None):
        """Wait until at least n POSTs (of 'kind' if given) were received;
        returns them. Raises AssertionError on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                posts = [p for p in self.posts if kind is None or p.kind == kind]
                if len(posts) >= n:
                    return posts
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        "timed out waiting for %d posts%s; got %r" % (
                            n, "" if kind is None else " of " + kind, posts))
                self._cond.wait(left)

    def wait_for_next_waiting(self, n=1, timeout=10.0):
        """Wait until n /next calls are blocked waiting for an event."""
        return self.wait_until(lambda: self.next_waiting >= n, timeout,
                               "a /next waiting")

    def wait_for_requests(self, n, timeout=10.0, path=None):
        """Wait until n requests (to 'path' if given) were received."""
        def ok():
            return len([r for r in self.requests
                        if path is None or r.path == path]) >= n
        self.wait_until(ok, timeout, "%d requests" % n)
        return self.get_requests(path)

    def wait_until(self, predicate, timeout=10.0, what="condition"):
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("timed out waiting for " + what)
                self._cond.wait(left)
        return True

    def get_requests(self, path=None):
        with self._cond:
            return [r for r in self.requests if path is None or r.path == path]

    def get_posts(self, kind=None):
        with self._cond:
            return [p for p in self.posts if kind is None or p.kind == kind]

    def next_count(self):
        return len(self.get_requests(NEXT_PATH))

    def state_json(self):
        with self._cond:
            return {
                "endpoint": self.endpoint,
                "connections": len(self.api_connections),
                "requests": [r.to_json() for r in self.requests],
                "posts": [p.to_json() for p in self.posts],
                "queued": len(self.events),
                "next_waiting": self.next_waiting,
            }

    # ---- control specs (for --control) ----

    def push_event_spec(self, spec):
        """Queue an event from a JSON object: body (string) or body_b64 or
        body_fill + body_size; request_id, headers ({name: value|null}),
        header_case, deadline_ms, trace_id (null omits), arn (null omits),
        truncate_at, delay, drop."""
        if "body_b64" in spec:
            body = base64.b64decode(spec["body_b64"])
        elif "body_size" in spec:
            fill = spec.get("body_fill", "x").encode()
            size = int(spec["body_size"])
            body = (fill * (size // len(fill) + 1))[:size]
        else:
            body = spec.get("body", "{}").encode()
        return self.push_event(
            body, request_id=spec.get("request_id"),
            headers=spec.get("headers"), header_case=spec.get("header_case"),
            deadline_ms=spec.get("deadline_ms"),
            trace_id=spec.get("trace_id", "default"),
            arn=spec.get("arn", DEFAULT_ARN),
            truncate_at=spec.get("truncate_at"), delay=spec.get("delay", 0.0),
            drop=spec.get("drop", False))

    def apply_fault_spec(self, spec):
        """{"next_status": 500, "count": 1} | {"drop_next": 1} |
        {"post": "response", "status": 413, "request_id": "...", "count": 1}
        | {"next_delay": 0.5} | {"raw_next": "HTTP/1.1 ...", "close": false}
        (raw_next: the bytes as a string, each character one byte)"""
        if "next_status" in spec:
            self.fail_next(spec["next_status"], spec.get("count", 1))
        if "drop_next" in spec:
            self.drop_next(spec["drop_next"])
        if "post" in spec:
            self.fail_post(spec["post"], spec["status"],
                           spec.get("request_id"), spec.get("count", 1))
        if "next_delay" in spec:
            self.set_next_delay(spec["next_delay"])
        if "raw_next" in spec:
            self.raw_next(spec["raw_next"].encode("latin-1"),
                          spec.get("close", False))

    # ---- called by the handler threads ----

    def _requeue(self, ev):
        """Put back an event whose delivery failed (the runtime went away)."""
        with self._cond:
            self.events.appendleft(ev)
            self._cond.notify_all()

    def _take_event(self, handler):
        """Block until an event or a /next fault is available; None when the
        server stops."""
        with self._cond:
            self.next_waiting += 1
            self._cond.notify_all()
            try:
                while True:
                    if self._stopped:
                        return None
                    if (self.next_faults or self.events) and _client_gone(handler):
                        # A runtime that died waiting (a test killed it) must
                        # not swallow the event meant for the next one.
                        return None
                    if self.next_faults:
                        return self.next_faults.popleft()
                    if self.events:
                        return ("event", self.events.popleft())
                    self._cond.wait(0.5)
            finally:
                self.next_waiting -= 1

    def _post_status(self, kind, request_id, body):
        with self._cond:
            st = self.post_faults_by_id.get((kind, request_id))
            if st is not None:
                return st
            if self.post_faults[kind]:
                return self.post_faults[kind].popleft()
            if kind == "init_error":
                return 202
            if self.strict:
                if request_id not in self.issued:
                    return 400
                if self.issued[request_id] > 0:
                    return 403
            if kind == "response" and len(body) > self.response_limit:
                return 413
            return 202

    def _record(self, req):
        with self._cond:
            self.requests.append(req)
            self.api_connections.add(req.conn)
            self._cond.notify_all()

    def _record_post(self, post):
        with self._cond:
            if post.status == 202 and post.request_id in self.issued:
                self.issued[post.request_id] += 1
            self.posts.append(post)
            self._cond.notify_all()
        if self.verbose:
            print("mock: %r" % (post,), file=sys.stderr)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "MockLambdaRuntimeAPI/1.0"
    mock = None  # set per server by MockRuntimeAPI.start

    def setup(self):
        super().setup()
        # Headers and body go out in separate writes: without this, Nagle
        # plus the client's delayed ACK costs ~40 ms per answer.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.mock._cond:
            self.mock.connections += 1
            self.conn_no = self.mock.connections
            self.mock._sockets.add(self.connection)

    def finish(self):
        try:
            super().finish()
        finally:
            with self.mock._cond:
                self.mock._sockets.discard(self.connection)

    def handle(self):
        # A runtime that drops a connection with bytes unread resets it:
        # that ends this connection's thread, quietly.
        try:
            super().handle()
        except (ConnectionResetError, BrokenPipeError):
            pass

    def log_message(self, fmt, *args):
        if self.mock.verbose:
            sys.stderr.write("mock: " + (fmt % args) + "\n")

    # ---- plumbing ----

    def _read_body(self):
        te = self.headers.get("Transfer-Encoding", "")
        if te.lower() == "chunked":
            chunks = []
            while True:
                line = self.rfile.readline(65537)
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n",
                                                             b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline(65537)
            return b"".join(chunks)
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def _answer(self, status, body=b"", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)
        self.wfile.flush()

    def _answer_json(self, status, obj):
        self._answer(status, json.dumps(obj).encode(),
                     [("Content-Type", "application/json")])

    def _drop(self):
        self.close_connection = True
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _make_request(self, body=b""):
        return Request(self.command, self.path,
                       Headers(self.headers.items()), body, self.conn_no)

    # ---- methods ----

    def do_GET(self):
        if self.path.startswith("/_mock/"):
            return self._control(b"")
        req = self._make_request()
        self.mock._record(req)
        if self.path != NEXT_PATH:
            req.status = 404
            return self._answer_json(404, {"errorMessage": "no such path",
                                           "errorType": "NotFound"})
        delay = self.mock.next_delay
        if delay:
            time.sleep(delay)
        got = self.mock._take_event(self)
        if got is None:
            return self._drop()
        if got[0] == "drop":
            return self._drop()
        if got[0] == "raw":
            req.status = int(got[1][9:12]) if got[1][9:12].isdigit() else 0
            self.wfile.write(got[1])
            self.wfile.flush()
            return self._drop() if got[2] else None
        if got[0] == "status":
            req.status = got[1]
            return self._answer(got[1], got[2],
                                [("Content-Type", "application/json")])
        ev = got[1]
        if ev.delay:
            time.sleep(ev.delay)
        if ev.drop:
            return self._drop()
        req.status = ev.status
        self.send_response(ev.status)
        self.send_header("Content-Type", "application/json")
        for k, v in ev.headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(ev.body)))
        self.end_headers()
        if ev.truncate_at is not None:
            self.wfile.write(ev.body[:ev.truncate_at])
            return self._drop()
        try:
            self.wfile.write(ev.body)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.mock._requeue(ev)
            raise
        if ev.stray is not None:
            # A write of its own, once the runtime has read the answer.
            time.sleep(0.1)
            self.wfile.write(ev.stray)
            self.wfile.flush()
            if ev.stray_marker:
                with open(ev.stray_marker, "w") as f:
                    f.write("sent")

    def do_POST(self):
        body = self._read_body()
        if self.path.startswith("/_mock/"):
            return self._control(body)
        req = self._make_request(body)
        self.mock._record(req)
        kind = rid = None
        if self.path == INIT_ERROR_PATH:
            kind = "init_error"
        elif self.path.startswith(INVOCATION_PREFIX):
            rest = self.path[len(INVOCATION_PREFIX):]
            rid, _, what = rest.rpartition("/")
            if what in ("response", "error") and rid:
                kind = what
        if kind is None:
            req.status = 404
            return self._answer_json(404, {"errorMessage": "no such path",
                                           "errorType": "NotFound"})
        with self.mock._cond:
            hang_up = self.mock.post_hang_ups > 0
            if hang_up:
                self.mock.post_hang_ups -= 1
        if hang_up:
            self.mock._record_post(Post(kind, rid, req, None))
            return self._drop()
        status = self.mock._post_status(kind, rid, body)
        req.status = status
        self.mock._record_post(Post(kind, rid, req, status))
        if status == 202:
            self._answer_json(202, {"status": "OK"})
        else:
            self._answer_json(status, {"errorMessage": "mock status %d" % status,
                                       "errorType": "Mock.Status%d" % status})

    def _control(self, body):
        mock = self.mock
        try:
            spec = json.loads(body) if body else {}
        except ValueError:
            return self._answer_json(400, {"error": "bad json"})
        if self.path == "/_mock/state":
            return self._answer_json(200, mock.state_json())
        if self.path == "/_mock/event":
            rid = mock.push_event_spec(spec)
            return self._answer_json(200, {"request_id": rid})
        if self.path == "/_mock/fault":
            mock.apply_fault_spec(spec)
            return self._answer_json(200, {})
        if self.path == "/_mock/reset":
            mock.reset()
            return self._answer_json(200, {})
        return self._answer_json(404, {"error": "unknown control path"})


def _main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--event", help="serve this file as the event body")
    ap.add_argument("--count", type=int, default=1,
                    help="how many times to serve --event (default 1)")
    ap.add_argument("--control", action="store_true",
                    help="run until stopped, driven over /_mock/* requests")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args(argv)
    if not args.control and not args.event:
        ap.error("give --event FILE or --control")

    mock = MockRuntimeAPI(port=args.port, verbose=args.verbose).start()
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    print("LISTENING %s" % mock.endpoint, flush=True)

    if args.control:
        def watch_stdin():
            # os.read, not sys.stdin: a daemon thread blocked inside a
            # buffered reader aborts the interpreter at exit.
            try:
                while os.read(0, 4096):
                    pass
            except OSError:
                return  # no usable stdin: rely on signals
            done.set()
        # Only a pipe is watched: a /dev/null stdin would end the run at once.
        if stat.S_ISFIFO(os.fstat(sys.stdin.fileno()).st_mode):
            threading.Thread(target=watch_stdin, daemon=True).start()
        done.wait()
        mock.stop()
        return 0

    with open(args.event, "rb") as f:
        body = f.read()
    print("export AWS_LAMBDA_RUNTIME_API=%s" % mock.endpoint, flush=True)
    for i in range(args.count):
        mock.push_event(body)
    served = 0
    while served < args.count and not done.is_set():
        try:
            posts = mock.wait_for_posts(served + 1, timeout=0.5)
        except AssertionError:
            continue
        for p in posts[served:]:
            served += 1
            print("%s %s %d %s" % (p.kind, p.request_id, p.status,
                                   p.body.decode("utf-8", "replace")),
                  flush=True)
            if p.kind == "init_error":
                done.set()
    mock.stop()
    return 0


if __name__ == "__main__":
    sys.exit(_main())
