# file: examples/hello/test_handler.py
# Runs the hello handler against the fixture events, through the real
# runtime (no AWS, no network), from Python: the way to test a handler from
# a CI that drives other languages' tests. Lua tests are in spec/ (busted).
# Run: python3 examples/hello/test_handler.py
import json
import os
import subprocess
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
BOOTSTRAP = os.environ.get("BOOTSTRAP", "build/bootstrap")


def invoke(event_file, handler="handler"):
    """Run one event; returns (exit code, the response or error as JSON).
    stdout holds the answer alone; the handler's output is on stderr."""
    proc = subprocess.run(
        [BOOTSTRAP, "--event", os.path.join(HERE, "events", event_file),
         "--root", os.path.join(HERE, "app"), "--handler", handler],
        capture_output=True, text=True, timeout=30)
    return proc.returncode, json.loads(proc.stdout) if proc.stdout else None


class HelloTest(unittest.TestCase):
    def test_greets(self):
        self.assertEqual(invoke("world.json"), (0, {"greeting": "Hello, world!"}))

    def test_rejects_a_name_that_is_not_a_string(self):
        code, error = invoke("bad.json")
        self.assertEqual(code, 1)
        self.assertEqual(error["errorType"], "Hello.InvalidEvent")


if __name__ == "__main__":
    unittest.main()
