"""The real bootstrap as a child process, for the suites that drive it
against the mock Runtime API (tests/integration/test_runtime_loop.py and the
reliability suites through tests/reliability/rtutil.py).

Python 3.11 standard library only. Nothing here asserts a duration: waits
have upper bounds and return as soon as the awaited thing happens.
"""

import os
import signal
import socket
import subprocess

SOURCE_DIR = os.environ.get(
    "LRT_SOURCE_DIR",
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
BOOTSTRAP = os.environ.get("LRT_BOOTSTRAP") or os.path.join(
    SOURCE_DIR, "build", "bootstrap")
SANITIZE = os.environ.get("LRT_SANITIZE") == "1"
# Upper bound of Runtime.wait() when neither the suite nor the call sets one.
WAIT = 90.0 if SANITIZE else 30.0


def free_port():
    """A port nothing listens on: bound, noted and closed again."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Runtime:
    """One bootstrap process, its output captured in files under 'tmp';
    'wait' is the suite's upper bound for wait() without a timeout."""

    def __init__(self, tmp, env, args=(), cwd=None, wait=WAIT):
        self.default_wait = wait
        n = len(os.listdir(tmp))
        self.out_path = os.path.join(tmp, "stdout-%d.txt" % n)
        self.err_path = os.path.join(tmp, "stderr-%d.txt" % n)
        self._out = open(self.out_path, "wb")
        self._err = open(self.err_path, "wb")
        self.proc = subprocess.Popen([BOOTSTRAP, *args], env=env, cwd=cwd,
                                     stdin=subprocess.DEVNULL,
                                     stdout=self._out, stderr=self._err)
        self.pid = self.proc.pid

    def _read(self, path):
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stdout(self):
        return self._read(self.out_path)

    def stderr(self):
        return self._read(self.err_path)

    def logs(self):
        return "\n--- runtime stderr ---\n%s\n--- runtime stdout ---\n%s" % (
            self.stderr()[-4000:], self.stdout()[-2000:])

    def wait(self, timeout=None):
        """The exit code, or None if it is still running after 'timeout'."""
        if timeout is None:
            timeout = self.default_wait
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def running(self):
        return self.proc.poll() is None

    def signal(self, sig):
        self.proc.send_signal(sig)

    def close(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            if self.wait(10) is None:
                self.proc.kill()
                self.proc.wait(10)
        self._out.close()
        self._err.close()
