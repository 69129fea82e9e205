"""Smoke test of the performance bench (bench/run.sh, docs/performance.md).

Runs `bench/run.sh --quick --ours-only` against the built bootstrap
($LRT_BOOTSTRAP): tiny events, a handful of invocations through the real load
server, and the decoder microbenchmark built from the repo's src/. Checks that
it prints a figure for every column of every shape, that every response the
runtime posted was the right JSON value, and that the bench does notice a
wrong answer. Timings are printed, never asserted. No npm, no network beyond
127.0.0.1.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

SOURCE = os.environ.get("LRT_SOURCE_DIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
BOOTSTRAP = os.environ.get("LRT_BOOTSTRAP") or os.path.join(
    SOURCE, "build", "bootstrap")
BENCH = os.path.join(SOURCE, "bench")
SHAPES = ("text", "binary", "small", "sqs", "kinesis", "dynamodb")
NUM = r"(-?\d+(?:\.\d+)?)"


@unittest.skipUnless(os.path.exists(BOOTSTRAP), "no bootstrap built")
class BenchSmoke(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="lrt-bench-")
        cls.proc = subprocess.run(
            ["bash", os.path.join(BENCH, "run.sh"), "--quick", "--ours-only",
             "--bootstrap", BOOTSTRAP, "--out", cls.tmp],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, timeout=240)
        cls.out = cls.proc.stdout.decode("utf-8", "replace")
        sys.stderr.write(cls.out)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_exits_zero_with_all_responses_right(self):
        self.assertEqual(self.proc.returncode, 0, self.out[-3000:])
        self.assertIn("all responses right", self.out)
        self.assertNotIn("FAIL", self.out)

    def test_prints_every_figure_for_every_shape(self):
        for shape in SHAPES:
            m = re.search(r"^%s\s+ours%s$" % (shape, (r"\s+" + NUM) * 8),
                          self.out, re.M)
            self.assertIsNotNone(m, "no figures for %s:\n%s" % (shape,
                                                                self.out))
            p50, p99, inv_s, rss, init = (float(m.group(i))
                                          for i in (3, 4, 5, 6, 7))
            self.assertGreater(inv_s, 0)
            self.assertGreater(rss, 0)
            self.assertGreater(init, 0)
            self.assertLessEqual(p50, p99)

    def test_responses_equal_the_generated_expectation(self):
        with open(os.path.join(self.tmp, "results.json")) as f:
            results = json.load(f)
        for shape in SHAPES:
            r = results[shape]["ours"]
            with open(os.path.join(self.tmp, "events-quick",
                                   shape + ".expected.json")) as f:
                expected = json.load(f)
            self.assertEqual(json.loads(r["first_body"]), expected)
            self.assertEqual(r["good"], r["warmup"] + r["invocations"])
            self.assertEqual(r["bad"], [])
        # The quick text batch: 40 records, two headers each (16 + 8 bytes).
        self.assertEqual(json.loads(results["text"]["ours"]["first_body"])
                         ["header_bytes"], 40 * 24)

    def test_decoder_microbenchmark_runs_on_the_repo_decoder(self):
        for phase in ("parse", "push", "full"):
            self.assertRegex(self.out, r"decoder %s\s+\d+ iter\s+%s MB/s cpu"
                             % (phase, NUM))
        self.assertIn("decoder records per event: 40", self.out)
        self.assertIn("decoder records per event: 12", self.out)

    def test_a_wrong_answer_is_caught(self):
        root = os.path.join(self.tmp, "wrong")
        os.makedirs(root, exist_ok=True)
        with open(os.path.join(root, "bench.lua"), "w") as f:
            f.write('require("router").kafka(function(event)\n'
                    '  return { records = #event.records + 1 }\nend)\n')
        proc = subprocess.run(
            [sys.executable, os.path.join(BENCH, "bench.py"),
             "--events", os.path.join(self.tmp, "events-quick"),
             "--shapes", "small", "--bootstrap", BOOTSTRAP,
             "--lua-root", root, "--warmup-small", "1",
             "--measure-small", "2", "--logs", os.path.join(self.tmp, "wl")],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, timeout=120)
        out = proc.stdout.decode("utf-8", "replace")
        self.assertEqual(proc.returncode, 1, out)
        self.assertIn("FAIL small/ours: 0 of 3 responses right", out)
        self.assertIn('"records":11', out)

    def test_ab_alternates_the_runtimes_and_catches_a_wrong_answer(self):
        ab = [sys.executable, os.path.join(BENCH, "ab.py"), "--server",
              os.path.join(self.tmp, "tools", "load_server"), "--event",
              os.path.join(self.tmp, "events-quick", "small.json"),
              "--warmup", "2", "--count", "20", "--rounds", "2"]
        proc = subprocess.run(ab + [BOOTSTRAP, BOOTSTRAP],
                              stdin=subprocess.DEVNULL, capture_output=True,
                              text=True, timeout=120)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        rows = re.findall(r"^round (\d)  (\S+)\s+(\d+) responses\s+(\d+) "
                          r"right\s+%s ms cpu/inv$" % NUM, proc.stdout, re.M)
        self.assertEqual([(r[0], r[2], r[3]) for r in rows],
                         [("1", "22", "22"), ("1", "22", "22"),
                          ("2", "22", "22"), ("2", "22", "22")], proc.stdout)
        self.assertTrue(all(float(r[4]) > 0 for r in rows), proc.stdout)
        root = os.path.join(self.tmp, "wrong-ab")
        os.makedirs(root, exist_ok=True)
        with open(os.path.join(root, "bench.lua"), "w") as f:
            f.write('require("router").kafka(function(event)\n'
                    '  return { records = 0 }\nend)\n')
        proc = subprocess.run(ab + ["--root", root, BOOTSTRAP],
                              stdin=subprocess.DEVNULL, capture_output=True,
                              text=True, timeout=120)
        self.assertEqual(proc.returncode, 1, proc.stdout + proc.stderr)
        self.assertIn("22 responses      0 right", proc.stdout)


if __name__ == "__main__":
    unittest.main()
