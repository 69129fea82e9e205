"""Docs stay true: every Lua block in the docs that names its file matches that
file, every sh block's bootstrap command runs, and the handler examples of
docs/handlers.md do what the page says."""
import json
import os
import re
import shlex
import subprocess
import sys
import unittest

SRC = os.environ.get("LRT_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
BOOTSTRAP = os.environ.get("LRT_BOOTSTRAP", os.path.join(SRC, "build", "bootstrap"))
DOCS = [os.path.join(SRC, "README.md")] + sorted(
    os.path.join(SRC, "docs", f) for f in os.listdir(os.path.join(SRC, "docs")) if f.endswith(".md"))

BLOCK = re.compile(r"```(\w+)\n(.*?)```", re.S)


def blocks(lang):
    for path in DOCS:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        for m in BLOCK.finditer(text):
            if m.group(1) == lang:
                yield path, m.group(2)


def run(args, env=None, stdin=None):
    e = dict(os.environ)
    e.pop("AWS_LAMBDA_RUNTIME_API", None)
    e.update(env or {})
    return subprocess.run([BOOTSTRAP] + args, cwd=SRC, env=e, input=stdin,
                          capture_output=True, timeout=60)


class DocBlocks(unittest.TestCase):
    def test_lua_blocks_match_their_files(self):
        named = 0
        for doc, body in blocks("lua"):
            first = body.splitlines()[0] if body else ""
            m = re.match(r"-- file: (\S+)", first)
            if not m:
                continue
            named += 1
            path = os.path.join(SRC, m.group(1))
            with self.subTest(doc=os.path.basename(doc), file=m.group(1)):
                self.assertTrue(os.path.exists(path), f"{m.group(1)} named in {doc} does not exist")
                with open(path, encoding="utf-8") as f:
                    self.assertEqual(f.read(), body, f"{m.group(1)} differs from its block in {doc}")
        self.assertGreater(named, 3)

    def test_bootstrap_commands_in_sh_blocks_run(self):
        ran = 0
        for doc, body in blocks("sh"):
            for line in body.splitlines():
                line = line.strip()
                if not line.startswith("build/bootstrap --event"):
                    continue
                ran += 1
                args = shlex.split(line)[1:]
                with self.subTest(doc=os.path.basename(doc), cmd=line):
                    r = run(args)
                    # 0 (response) or 1 (a documented handler error), never
                    # a usage/init error or a crash.
                    self.assertIn(r.returncode, (0, 1), r.stderr.decode())
                    # stdout is the response alone: `| jq .` works.
                    json.loads(r.stdout.decode())
        self.assertGreater(ran, 0)


class ErrorTypeTable(unittest.TestCase):
    """One table of error types: src/support/error_types.h lists every
    errorType the runtime gives (constant, name, when); docs/handlers.md's
    table lists exactly those names; no C file spells a type's text outside
    that header (they use the constants), and a Lua module that names one
    names a type of the table."""

    HEADER = os.path.join("src", "support", "error_types.h")
    ROW_RE = re.compile(r'X\(\s*(ERROR_TYPE_\w+),\s*"([^"]+)",((?:\s*"(?:[^"\\]|\\.)*")+)\s*\)')
    # Anything that looks like an errorType: Prefix.CamelName.
    TYPE_RE = re.compile(r"\b((?:Runtime|Lua|Kafka|SQS|SNS|S3|DynamoDB|Kinesis|"
                         r"EventBridge|APIGateway)\.[A-Z][A-Za-z]+)\b")
    # C strings and chars, comments: the strings are checked, comments (which
    # may name a type in prose) are not.
    C_TOKEN_RE = re.compile(r'("(?:[^"\\\n]|\\.)*")|(\'(?:[^\'\\\n]|\\.)*\')|(/\*.*?\*/)|(//[^\n]*)', re.S)
    LUA_TOKEN_RE = re.compile(r'("(?:[^"\\\n]|\\.)*")|(\'(?:[^\'\\\n]|\\.)*\')|(--\[\[.*?\]\])|(--[^\n]*)', re.S)
    # Files whose literals are listed (file:line) but not yet failed, while
    # a change is under way; empty on main.
    PENDING = ()

    def table(self):
        with open(os.path.join(SRC, self.HEADER)) as f:
            text = f.read().replace("\\\n", " ")  # macro line joins
        rows = self.ROW_RE.findall(text)
        self.assertGreater(len(rows), 10, "no rows parsed from " + self.HEADER)
        return {name: (const, when) for const, name, when in rows}

    def literals(self, token_re, path):
        """(line, text) of every string literal in a source file."""
        with open(path, encoding="utf-8") as f:
            text = f.read()
        for m in token_re.finditer(text):
            lit = m.group(1) or m.group(2)
            if lit:
                yield text.count("\n", 0, m.start()) + 1, lit

    def sources(self, folder, exts):
        for top, _, names in os.walk(os.path.join(SRC, folder)):
            for name in sorted(names):
                if name.endswith(exts):
                    path = os.path.join(top, name)
                    yield os.path.relpath(path, SRC), path

    def test_header_rows_are_whole(self):
        table = self.table()
        consts = [c for c, _ in table.values()]
        self.assertEqual(len(consts), len(set(consts)), "a constant used twice")
        for name, (const, when) in table.items():
            self.assertRegex(name, self.TYPE_RE.pattern, name)
            self.assertTrue(when.strip('" \n'), name + " has no 'when'")

    def test_docs_table_matches_the_header(self):
        in_code = set(self.table())
        with open(os.path.join(SRC, "docs", "handlers.md")) as f:
            doc = f.read()
        start = doc.index("| errorType | when |")
        table = doc[start:doc.index("\n\n", start)]
        in_doc = set()
        for line in table.splitlines()[2:]:
            first = line.split("|")[1]
            in_doc |= set(re.findall(r"`([A-Za-z0-9]+\.[A-Za-z]+)`", first))
        self.assertEqual(sorted(in_code - in_doc), [],
                         "error types of error_types.h that handlers.md lacks")
        self.assertEqual(sorted(in_doc - in_code), [],
                         "error types handlers.md lists but error_types.h lacks")

    def test_no_type_literal_outside_the_table(self):
        table = self.table()
        stray, pending, unknown = [], [], []
        for rel, path in self.sources("src", (".c", ".h")):
            if rel == self.HEADER:
                continue
            for line, lit in self.literals(self.C_TOKEN_RE, path):
                for name in self.TYPE_RE.findall(lit):
                    where = f"{rel}:{line}: {name}"
                    if name not in table:
                        unknown.append(where)
                    if rel.startswith(self.PENDING):
                        pending.append(where)
                    else:
                        stray.append(where)
        for rel, path in self.sources("lua", (".lua",)):
            for line, lit in self.literals(self.LUA_TOKEN_RE, path):
                for name in self.TYPE_RE.findall(lit):
                    if name not in table:
                        unknown.append(f"{rel}:{line}: {name}")
        if pending:
            print("\nerrorType literals still to replace by their constants:\n  "
                  + "\n  ".join(pending), file=sys.stderr)
        self.assertEqual(unknown, [], "error types missing from " + self.HEADER)
        self.assertEqual(stray, [], "errorType text written outside " + self.HEADER
                         + " (use its ERROR_TYPE_* constant)")


class DocumentedLimits(unittest.TestCase):
    """Every limit the docs state is the code's constant: each row names a
    page, a phrase with the number as written there (every occurrence of the
    phrase must match), the constant (read from src/, see
    tests/integration/c_constants.py) and the unit the page writes it in."""

    KiB, MiB = 1024, 1024 * 1024
    LIMITS = [
        # docs/reliability.md, the Limits table
        ("reliability.md", r"`ERROR_BODY_MAX` = ([\d,]+) bytes", "ERROR_BODY_MAX", 1),
        ("reliability.md", r"`errorType` (\d+) bytes", "ERROR_BODY_MAX_TYPE", 1),
        ("reliability.md", r"carries the same (\d+) bytes", "ERROR_BODY_MAX_TYPE", 1),
        ("reliability.md", r"`errorMessage` (\d+) bytes", "ERROR_BODY_MAX_MESSAGE", 1),
        ("reliability.md", r"`stackTrace` (\d+) frames", "ERROR_BODY_MAX_FRAMES", 1),
        ("reliability.md", r"frames of at most (\d+) bytes", "ERROR_BODY_MAX_FRAME", 1),
        ("reliability.md", r"(\d+) bytes in all \(`src/host/error_body.h`\)",
         "ERROR_BODY_MAX_TRACE", 1),
        ("reliability.md", r"(\d+) MB \(`RUNTIME_API_MAX_EVENT`\)", "RUNTIME_API_MAX_EVENT", MiB),
        ("reliability.md", r"the event body \((\d+) MB at most\)", "RUNTIME_API_MAX_EVENT", MiB),
        ("reliability.md", r"up to (\d+) MB \(`RUNTIME_API_MAX_DRAIN`\) it is read", "RUNTIME_API_MAX_DRAIN", MiB),
        ("reliability.md", r"scratch buffer \((\d+) MB at most", "EVENT_DECODE_MAX_SCRATCH", MiB),
        ("reliability.md", r"(\d+) KB per header value", "RUNTIME_API_MAX_HEADER", KiB),
        ("reliability.md", r"request id at most (\d+) URL-safe bytes", "RUNTIME_API_MAX_ID", 1),
        ("reliability.md", r"(\d+) KiB of message \(`LOG_MAX_MESSAGE`\)", "LOG_MAX_MESSAGE", KiB),
        ("reliability.md", r"(\d+) levels \(`JSON_LUA_MAX_DEPTH`\)", "JSON_LUA_MAX_DEPTH", 1),
        ("reliability.md", r"nesting deeper than (\d+) levels", "JSON_LUA_MAX_DEPTH", 1),
        ("reliability.md", r"JSON within (\d+) levels", "JSON_LUA_MAX_DEPTH", 1),
        ("reliability.md", r"a whole number of MB, (\d+)\.\.\d+", "MEMORY_SIZE_MIN_MB", 1),
        ("reliability.md", r"a whole number of MB, \d+\.\.(\d+)", "MEMORY_SIZE_MAX_MB", 1),
        ("reliability.md", r"not a size in MB \(\d+\.\.(\d+)\)", "MEMORY_SIZE_MAX_MB", 1),
        ("reliability.md", r"not a size in MB \((\d+)\.\.\d+\)", "MEMORY_SIZE_MIN_MB", 1),
        ("reliability.md", r"is replaced by (\d+) MB", "MEMORY_SIZE_DEFAULT_MB", 1),
        ("reliability.md", r"using (\d+) MB\"", "MEMORY_SIZE_DEFAULT_MB", 1),
        ("reliability.md", r"(\d+) ms before `Lambda-Runtime-Deadline-Ms`",
         "DEADLINE_SOFT_MARGIN_MS", 1),
        ("reliability.md", r"from (\d+) ms before, every instruction", "DEADLINE_HARD_MARGIN_MS", 1),
        ("reliability.md", r"has not returned (\d+) ms before the deadline",
         "DEADLINE_WATCHDOG_MARGIN_MS", 1),
        ("reliability.md", r"checked every ([\d,]+) instructions", "DEADLINE_COROUTINE_COUNT", 1),
        ("reliability.md", r"misses events only in the last (\d+) ms", "DEADLINE_SOFT_MARGIN_MS", 1),
        ("reliability.md", r"\| Response size \| ([\d,]+) bytes", "HOST_MAX_RESPONSE", 1),
        ("reliability.md", r"over Lambda's limit of (\d+) bytes", "HOST_MAX_RESPONSE", 1),
        ("reliability.md", r"Encoding stops at (\d+) MB", "HOST_MAX_RESPONSE_BUF", MiB),
        # docs/handlers.md, the error-type table
        ("handlers.md", r"the encoded response is over ([\d,]+) bytes", "HOST_MAX_RESPONSE", 1),
        ("handlers.md", r"still running (\d+) ms before the deadline", "DEADLINE_SOFT_MARGIN_MS", 1),
        ("handlers.md", r"stopped for good (\d+) ms before", "DEADLINE_HARD_MARGIN_MS", 1),
        ("handlers.md", r"answered by the watchdog (\d+) ms before", "DEADLINE_WATCHDOG_MARGIN_MS", 1),
        # docs/kafka.md, schemas
        ("kafka.md", r"may inflate to at most (\d+) MiB", "KAFKA_FRAMING_MAX_INFLATED", MiB),
        ("kafka.md", r"inflates past the cap \((\d+) MiB\)", "KAFKA_FRAMING_MAX_INFLATED", MiB),
        ("kafka.md", r"nesting past (\d+) levels, a zlib bomb", "AVRO_DECODE_MAX_DEPTH", 1),
        ("kafka.md", r"nesting past (\d+) levels, a zlib bomb", "PROTOBUF_DECODE_MAX_DEPTH", 1),
        # docs/events.md, DynamoDB attribute values
        ("events.md", r"nesting past (\d+) levels is an invocation error",
         "DYNAMODB_VALUE_MAX_DEPTH", 1),
        # docs/logging.md
        ("logging.md", r"longer than (\d+) KiB is cut", "LOG_MAX_MESSAGE", KiB),
        ("logging.md", r"the (\d+) KiB count the escaped text", "LOG_MAX_MESSAGE", KiB),
    ]

    def test_documented_limits_are_the_constants(self):
        sys.path.insert(0, os.path.join(SRC, "tests", "integration"))
        from c_constants import c_constant, c_constant_file
        pages = {}
        for page, phrase, name, unit in self.LIMITS:
            with self.subTest(page=page, phrase=phrase):
                if page not in pages:
                    with open(os.path.join(SRC, "docs", page), encoding="utf-8") as f:
                        pages[page] = re.sub(r"\s+", " ", f.read())
                found = re.findall(phrase, pages[page])
                self.assertTrue(found, f"docs/{page} no longer says {phrase!r}: "
                                "update the phrase here with the page")
                value = c_constant(name)
                self.assertEqual(value % unit, 0, f"{name} is not whole {unit}s")
                for text in found:
                    self.assertEqual(int(text.replace(",", "")), value // unit,
                                     f"docs/{page} says {text} where {name} "
                                     f"({c_constant_file(name)}) is {value}")


class LuaEntries(unittest.TestCase):
    """docs/architecture.md ("One protected entry") names every file that
    calls lua_pcall or makes or closes a Lua state; the code has no other."""

    PCALL = {"src/host/host.c", "src/json/json_lua.c", "src/host/context.c",
             "src/host/log_module.c",
             "src/host/kafka_schema.c", "src/runtime/exec.c"}
    STATE = {"src/host/host.c", "src/host/collector.c", "src/runtime/exec.c"}
    COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)

    def calls(self, pattern):
        files = set()
        for top, _, names in os.walk(os.path.join(SRC, "src")):
            for name in names:
                if name.endswith((".c", ".h")):
                    path = os.path.join(top, name)
                    with open(path, encoding="utf-8") as f:
                        code = self.COMMENT.sub("", f.read())
                    if re.search(pattern, code):
                        files.add(os.path.relpath(path, SRC))
        return files

    def test_protected_calls_are_where_the_docs_say(self):
        self.assertEqual(self.calls(r"\blua_pcallk?\s*\("), self.PCALL)
        self.assertEqual(self.calls(r"\b(?:lua_newstate|luaL_newstate|lua_close)\s*\("),
                         self.STATE)
        with open(os.path.join(SRC, "docs", "architecture.md"), encoding="utf-8") as f:
            doc = f.read()
        start = doc.index("**One protected entry.**")
        para = doc[start:doc.index("\n- **", start)]
        for path in sorted(self.PCALL | self.STATE):
            self.assertIn(os.path.basename(path), para)


class HandlerExamples(unittest.TestCase):
    def last_json(self, r):
        # stdout is the response (or error object) alone
        return json.loads(r.stdout.decode())

    def test_custom_example(self):
        r = run(["--event", "examples/handlers/custom/event.json",
                 "--root", "examples/handlers/custom", "--handler", "handler"])
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.decode().strip().splitlines()
        self.assertEqual(len(lines), 1, lines)
        # print is an INFO record (on stderr): timestamp, request id, level,
        # text.
        self.assertRegex(r.stderr.decode().splitlines()[0], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\t"
                                   r"([0-9a-f-]{36})\tINFO\trequest \1 for world$")
        body = json.loads(lines[-1])
        self.assertEqual(body, {"greeting": "hello world", "invocations": 1,
                                "tags": [], "remaining_ms_positive": True})
        self.assertIn('"tags":[]', lines[-1])

    def test_errors_example_typed_and_plain(self):
        r = run(["--event", "examples/handlers/errors/event.json",
                 "--root", "examples/handlers/errors", "--handler", "handler"])
        self.assertEqual(r.returncode, 1, r.stderr)
        err = self.last_json(r)
        self.assertEqual(err["errorType"], "Orders.Invalid")
        self.assertEqual(err["errorMessage"], "order A-17 has no items")
        self.assertIsInstance(err["stackTrace"], list)
        self.assertTrue(all(isinstance(s, str) for s in err["stackTrace"]))
        r = run(["--event", "-", "--root", "examples/handlers/errors"], stdin=b'{"kind":"plain"}')
        self.assertEqual(r.returncode, 1)
        err = self.last_json(r)
        self.assertEqual(err["errorType"], "Lua.RuntimeError")
        self.assertRegex(err["errorMessage"], r"handler\.lua:\d+: something went wrong$")

    def test_module_function_example(self):
        r = run(["--event", "examples/handlers/modfunc/event.json",
                 "--root", "examples/handlers/modfunc", "--handler", "app.handle"],
                env={"AWS_LAMBDA_FUNCTION_NAME": "orders"})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.last_json(r), {"source": "aws:kafka", "function_name": "orders"})


if __name__ == "__main__":
    unittest.main()
