"""Shared helpers for the hot reload, --watch and local-development doc tests.

Finding the built bootstrap, writing a script so that a reload check cannot
miss the edit, and running a child process whose stdout and stderr are read
by threads into queues, so a test can wait for a line with a timeout instead
of blocking on a pipe. Python 3.11 standard library only.
"""

import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.environ.get("LRT_SOURCE_DIR") or os.path.dirname(
    os.path.dirname(HERE))
INTEGRATION_DIR = os.path.join(SOURCE_DIR, "tests", "integration")
# Sanitizer builds are several times slower: scale every wait.
SLOW = 4.0 if os.environ.get("LRT_SANITIZE") == "1" else 1.0


def bootstrap_path():
    """The bootstrap under test: $LRT_BOOTSTRAP, else build/bootstrap."""
    path = os.environ.get("LRT_BOOTSTRAP") or os.path.join(
        SOURCE_DIR, "build", "bootstrap")
    if not os.access(path, os.X_OK):
        raise RuntimeError("no bootstrap at %s (set LRT_BOOTSTRAP)" % path)
    return os.path.abspath(path)


def import_mock():
    """The mock Runtime API module from tests/integration."""
    if INTEGRATION_DIR not in sys.path:
        sys.path.insert(0, INTEGRATION_DIR)
    import mock_runtime_api  # noqa: E402 (path set just above)
    return mock_runtime_api


_stamp_lock = threading.Lock()
_last_stamp = [0]


def write_script(path, text, atomic=False):
    """Write 'text' to 'path' and give it an mtime no earlier write had, so a
    change check on (mtime, size, inode) always sees the edit, even when the
    content has the same size and the clock did not tick between writes.

    In place by default (same inode: only mtime and size tell); 'atomic'
    writes a temporary file and renames it over 'path', as most editors do,
    so a watcher polling meanwhile never sees a half-written file."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with _stamp_lock:
        # Whole seconds in the past, strictly increasing across calls.
        stamp = max(int(time.time()) - 100000, _last_stamp[0] + 1)
        _last_stamp[0] = stamp
    target = path + ".tmp~" if atomic else path
    with open(target, "w", encoding="utf-8") as f:
        f.write(text)
    os.utime(target, ns=(stamp * 10**9, stamp * 10**9 + 123))
    if atomic:
        os.replace(target, path)


def copy_tree(src, dst):
    shutil.copytree(src, dst, dirs_exist_ok=True)


class Child:
    """A child process with its stdout and stderr lines read into queues by
    daemon threads (and kept in full, for failure messages)."""

    def __init__(self, argv, env=None, cwd=None):
        self.argv = argv
        self.proc = subprocess.Popen(
            argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.pid = self.proc.pid
        self.out = queue.Queue()
        self.err = queue.Queue()
        self.out_lines = []
        self.err_lines = []
        self._threads = [
            threading.Thread(target=self._pump,
                             args=(self.proc.stdout, self.out, self.out_lines),
                             daemon=True),
            threading.Thread(target=self._pump,
                             args=(self.proc.stderr, self.err, self.err_lines),
                             daemon=True)]
        for t in self._threads:
            t.start()

    @staticmethod
    def _pump(stream, q, keep):
        for raw in iter(stream.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\n")
            keep.append(line)
            q.put(line)
        stream.close()

    def alive(self):
        return self.proc.poll() is None

    def wait_line(self, which, predicate, timeout=10.0):
        """The next line of 'which' ('out' or 'err') that 'predicate' accepts;
        earlier lines are consumed. AssertionError on timeout."""
        q = self.out if which == "out" else self.err
        deadline = time.monotonic() + timeout * SLOW
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(
                    "timed out waiting for a line on std%s of %s\nstdout:\n%s"
                    "\nstderr:\n%s" % (which, self.argv,
                                       "\n".join(self.out_lines),
                                       "\n".join(self.err_lines)))
            try:
                line = q.get(timeout=left)
            except queue.Empty:
                continue
            if predicate(line):
                return line

    def drain(self, which):
        """Every line queued so far on 'which', consumed."""
        q = self.out if which == "out" else self.err
        lines = []
        while True:
            try:
                lines.append(q.get_nowait())
            except queue.Empty:
                return lines

    def stop(self, sig=signal.SIGTERM, timeout=10.0):
        """Send 'sig' (if still running) and reap; returns the exit status."""
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(sig)
            except ProcessLookupError:
                pass
        try:
            rc = self.proc.wait(timeout * SLOW)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait(5)
        for t in self._threads:
            t.join(5)
        return rc

    def transcript(self):
        return "stdout:\n%s\nstderr:\n%s" % ("\n".join(self.out_lines),
                                             "\n".join(self.err_lines))
