"""docs/local-development.md, run as written.

Every fenced block of the page is checked: a block whose first line is
`-- file: PATH` or `# file: PATH` must equal that file of the repository; a
`console` block is a transcript (`$ command` lines, each followed by its
expected output, stdout and stderr together) that is run with bash in a
sandbox holding a copy of examples/hello, `build` (the bootstrap under test)
and tests/integration; `<!-- doctest: ... -->` just before a block modifies
that: `background` starts its one command and checks its output when the
next heading is reached (then stops it), `background, wait N` also waits for
its first N lines of output before going on, `poll` re-runs the block until its output
matches, `skip (why)` leaves it out (listed in the test output).

In expected output, a line `...` stands for any number of lines, `...` inside
a line for any text; timestamps and UUIDs compare equal to any other, and
runs of blanks to a single space. The fixed port 9001 of the page is replaced
by a free one.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest

import reload_util as ru

DOC = os.path.join(ru.SOURCE_DIR, "docs", "local-development.md")
DOC_PORT = "9001"
TIMEOUT = 15 * ru.SLOW

TS_RE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-"
                     r"[0-9a-f]{12}")


def norm(line):
    line = TS_RE.sub("<TS>", line)
    line = UUID_RE.sub("<ID>", line)
    return " ".join(line.split())


def line_matches(expected, actual):
    e, a = norm(expected), norm(actual)
    if "..." not in e:
        return e == a
    pattern = ".*".join(re.escape(part) for part in e.split("..."))
    return re.fullmatch(pattern, a, re.S) is not None


def lines_match(expected, actual, prefix=False):
    """Whether 'actual' matches 'expected' (all of it, or starts with it
    when 'prefix')."""
    if not expected:
        return prefix or not actual
    if expected[0].strip() == "...":
        return any(lines_match(expected[1:], actual[i:], prefix)
                   for i in range(len(actual) + 1))
    return bool(actual) and line_matches(expected[0], actual[0]) and \
        lines_match(expected[1:], actual[1:], prefix)


def parse_doc(text):
    """[(kind, payload)]: ('heading', title) or ('block', dict)."""
    items = []
    lines = text.split("\n")
    i = 0
    note = None
    while i < len(lines):
        line = lines[i]
        m = re.match(r"<!-- doctest: (.*) -->$", line)
        if m:
            note = m.group(1)
        elif line.startswith("#"):
            items.append(("heading", line))
            note = None
        elif line.startswith("```"):
            info = line[3:].strip()
            body = []
            i += 1
            while not lines[i].startswith("```"):
                body.append(lines[i])
                i += 1
            items.append(("block", {"info": info, "body": body,
                                    "note": note, "line": i}))
            note = None
        elif line.strip():
            note = None
        i += 1
    return items


def parse_transcript(body):
    """[(command, [expected lines])]."""
    steps = []
    for line in body:
        if line.startswith("$ "):
            steps.append((line[2:], []))
        else:
            steps[-1][1].append(line)
    return steps


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return str(s.getsockname()[1])


class Background:
    def __init__(self, cmd, expected, cwd, env, where):
        self.cmd, self.expected, self.where = cmd, expected, where
        self.lines = []
        self.proc = subprocess.Popen(
            ["bash", "-c", cmd], cwd=cwd, env=env,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, start_new_session=True)
        self.thread = threading.Thread(target=self._pump, daemon=True)
        self.thread.start()

    def _pump(self):
        for raw in iter(self.proc.stdout.readline, b""):
            self.lines.append(raw.decode("utf-8", "replace").rstrip("\n"))
        self.proc.stdout.close()

    def wait_for(self, prefix, count=None):
        expected = self.expected if count is None else self.expected[:count]
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            if lines_match(expected, list(self.lines), prefix=prefix):
                return True
            time.sleep(0.05)
        return False

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)
        self.thread.join(5)


class LocalDevDocTest(unittest.TestCase):
    def setUp(self):
        self.sandbox = tempfile.mkdtemp(prefix="lrt-doc-")
        self.addCleanup(shutil.rmtree, self.sandbox, True)
        shutil.copytree(os.path.join(ru.SOURCE_DIR, "examples", "hello"),
                        os.path.join(self.sandbox, "examples", "hello"))
        os.symlink(os.path.dirname(ru.bootstrap_path()),
                   os.path.join(self.sandbox, "build"))
        os.makedirs(os.path.join(self.sandbox, "tests"))
        os.symlink(ru.INTEGRATION_DIR,
                   os.path.join(self.sandbox, "tests", "integration"))
        self.env = dict(os.environ)
        for name in ("LUA_HOT_RELOAD", "LUA_PATH", "AWS_LAMBDA_RUNTIME_API",
                     "_HANDLER", "LAMBDA_TASK_ROOT", "AWS_LAMBDA_LOG_FORMAT",
                     "AWS_LAMBDA_LOG_LEVEL", "BOOTSTRAP"):
            self.env.pop(name, None)
        self.env["PYTHONDONTWRITEBYTECODE"] = "1"
        self.port = free_port()
        self.background = []
        self.addCleanup(self.stop_background)

    def stop_background(self):
        for bg in self.background:
            bg.stop()
        self.background = []

    def sub(self, text):
        return text.replace(DOC_PORT, self.port)

    def run_transcript(self, steps):
        script = ["__rc=0"]
        for n, (cmd, _) in enumerate(steps):
            script.append("printf '\\n@@@STEP%d@@@\\n'" % n)
            script.append("(exit $__rc); %s; __rc=$?" % self.sub(cmd))
        proc = subprocess.run(["bash", "-c", "\n".join(script)],
                              cwd=self.sandbox, env=self.env,
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=TIMEOUT * 4)
        out = proc.stdout.decode("utf-8", "replace")
        outputs = re.split(r"\n?@@@STEP\d+@@@\n", out)[1:]
        results = []
        for (cmd, expected), got in zip(steps, outputs):
            actual = got.split("\n")
            if actual and actual[-1] == "":
                actual.pop()
            expected = [self.sub(l) for l in expected]
            results.append((cmd, expected, actual,
                            lines_match(expected, actual)))
        return results

    def check_transcript(self, block, poll):
        steps = parse_transcript(block["body"])
        deadline = time.monotonic() + TIMEOUT
        while True:
            results = self.run_transcript(steps)
            if all(r[3] for r in results) or not poll or \
                    time.monotonic() > deadline:
                break
            time.sleep(0.1)
        for cmd, expected, actual, ok in results:
            self.assertTrue(ok, "docs line %d: $ %s\nexpected:\n%s\ngot:\n%s"
                            % (block["line"], cmd, "\n".join(expected),
                               "\n".join(actual)))

    def end_section(self):
        for bg in self.background:
            ok = bg.wait_for(prefix=False)
            self.assertTrue(ok, "docs line %d: $ %s\nexpected:\n%s\ngot:\n%s"
                            % (bg.where, bg.cmd, "\n".join(bg.expected),
                               "\n".join(bg.lines)))
        self.stop_background()

    def test_every_block(self):
        with open(DOC, encoding="utf-8") as f:
            items = parse_doc(f.read())
        counts = {"file": 0, "console": 0, "background": 0, "skip": 0}
        for kind, item in items:
            if kind == "heading":
                self.end_section()
                continue
            body, note = item["body"], item["note"] or ""
            first = body[0] if body else ""
            m = re.match(r"(?:--|#) file: (\S+)$", first)
            if note.startswith("skip"):
                counts["skip"] += 1
                print("skipped block at docs line %d: %s" % (item["line"],
                                                             note))
            elif m:
                with open(os.path.join(ru.SOURCE_DIR, m.group(1)),
                          encoding="utf-8") as f:
                    self.assertEqual(f.read(), "\n".join(body) + "\n",
                                     "docs line %d differs from %s" % (
                                         item["line"], m.group(1)))
                counts["file"] += 1
            elif item["info"] == "console" and note.startswith("background"):
                steps = parse_transcript(body)
                self.assertEqual(len(steps), 1, "one command per background")
                cmd, expected = steps[0]
                bg = Background(self.sub(cmd),
                                [self.sub(l) for l in expected],
                                self.sandbox, self.env, item["line"])
                self.background.append(bg)
                wait = re.search(r"wait (\d+)", note)
                if wait:
                    self.assertTrue(bg.wait_for(True, int(wait.group(1))),
                                    "no %r from %s:\n%s" % (
                                        expected, cmd, "\n".join(bg.lines)))
                counts["background"] += 1
            elif item["info"] == "console":
                self.check_transcript(item, poll=note == "poll")
                counts["console"] += 1
            else:
                # Plain text (a tree, a synopsis): nothing to run; a shell
                # or Lua block must be a file, a transcript or a skip.
                self.assertIn(item["info"], ("", "text"),
                              "docs line %d: a %r block that nothing checks"
                              % (item["line"], item["info"]))
        self.end_section()
        # The page must not silently lose its examples.
        self.assertGreaterEqual(counts["file"], 4)
        self.assertGreaterEqual(counts["console"], 10)
        self.assertGreaterEqual(counts["background"], 3)
        self.assertLessEqual(counts["skip"], 1)


class DocMatcherTest(unittest.TestCase):
    """The transcript matcher itself must be able to fail."""

    def test_matcher(self):
        self.assertTrue(lines_match(["a", "...", "c"], ["a", "b", "b", "c"]))
        self.assertFalse(lines_match(["a", "...", "c"], ["a", "b"]))
        self.assertTrue(lines_match(["x ... z"], ["x yy z"]))
        self.assertFalse(lines_match(["x ... z"], ["x yy"]))
        self.assertTrue(lines_match(
            ["2026-01-01T00:00:00.000Z 8d3f4c52-8c5b-4c7e-9a51-2f0c7a6b1e90"
             " INFO hi"],
            ["2031-05-05T11:22:33.444Z\t01234567-89ab-4cde-8f01-23456789abcd"
             "\tINFO\thi"]))
        self.assertFalse(lines_match(["{\"a\":1}"], ["{\"a\":2}"]))
        self.assertFalse(lines_match([], ["extra"]))


if __name__ == "__main__":
    unittest.main()
