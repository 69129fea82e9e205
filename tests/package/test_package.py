#!/usr/bin/env python3
"""scripts/package.sh and the zips it makes, run the way Lambda runs them.

The zips are unpacked into an otherwise empty root directory (a static
busybox as /bin/sh, /dev/null, /dev/urandom and /tmp, nothing else: no C
library, no /proc, no /etc) and the runtime is started there with chroot
against the mock Runtime API on loopback. A Kafka event must get the right
response from function.zip alone, and from runtime-layer.zip (/opt) with
code.zip (/var/task); a broken handler must reach /runtime/init/error; a
task root with lib/, lua/ and bin/ folders and a native C module on
LUA_CPATH must work, and so must AWS_LAMBDA_RUNTIME_API given as localhost.
Besides: what the zips hold (no test data, no build files, a stripped
binary, the C library's own shared libraries and nothing else, at most
2 MiB), that packaging again after a Lua-only change runs no compiler, and
that every package.sh command in docs/deploy.md works as written.

ArchTests holds what is checked for every architecture; PackageTest runs
them for this machine's, test_package_arm64.py for arm64 (cross-built, run
under qemu-user). Needs root (chroot, mknod); skipped otherwise. The runtime
is built as a lean Release build in a temporary directory by package.sh
itself (so the sanitizer build of the suite is never what gets packaged);
the lean dependencies come from scripts/lean-deps.sh's cache (build-lean/
in the source tree, LRT_LEAN_CACHE elsewhere), which the suite's second
build finds ready.
"""

import base64
import json
import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
import tempfile
import unittest
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.environ.get("LRT_SOURCE_DIR") or os.path.dirname(
    os.path.dirname(HERE))
PACKAGE_SH = os.path.join(SOURCE_DIR, "scripts", "package.sh")
SCRIPTS = os.path.join(HERE, "scripts")
LAYOUT = os.path.join(HERE, "layout")
NATIVE_SRC = os.path.join(HERE, "native", "nativeadd.c")
RUNTIME_DIR = "lua-kafka-runtime"
MAX_ZIP = 2 * 1024 * 1024
HOST_ARCH = {"aarch64": "arm64"}.get(os.uname().machine, os.uname().machine)
TRIPLET = {"x86_64": "x86_64-linux-gnu", "arm64": "aarch64-linux-gnu"}
DEPLOY_MD = os.path.join(SOURCE_DIR, "docs", "deploy.md")
SAM_TEMPLATE = os.path.join(SOURCE_DIR, "examples", "sam", "template.yaml")

sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "integration"))
from mock_runtime_api import MockRuntimeAPI  # noqa: E402

IS_ROOT = os.geteuid() == 0
# Executables whose running means something was compiled or linked.
COMPILER_RE = re.compile(
    r"^(?:[\w.]+-)*(?:cc|gcc|c\+\+|g\+\+|clang|cc1|cc1plus|collect2|ld|"
    r"ld\.bfd|ld\.gold|as)(?:-[\d.]+)?$")
# What Lambda sets for provided.al2023 functions.
LAMBDA_LD_LIBRARY_PATH = ("/var/lang/lib:/lib64:/usr/lib64:/var/runtime:"
                          "/var/runtime/lib:/var/task:/var/task/lib:/opt/lib")


def run_package(args, cwd=SOURCE_DIR, trace=None, timeout=900):
    """Run package.sh (under strace -e execve when trace is a file path)."""
    cmd = [PACKAGE_SH] + list(args)
    if trace:
        cmd = ["strace", "-f", "-qq", "-e", "trace=execve", "-o", trace] + cmd
    env = dict(os.environ)
    env.pop("LUA_PATH", None)
    return subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=timeout)


def executed(trace):
    """Basenames of every program successfully executed in an strace log."""
    names = []
    with open(trace) as f:
        for line in f:
            m = re.search(r'execve\("([^"]+)".* = 0$', line.rstrip())
            if m:
                names.append(os.path.basename(m.group(1)))
    return names


def extract(zip_path, dest):
    """Unzip keeping the Unix modes stored in the zip (as Lambda does);
    returns {name: mode} for the files."""
    modes = {}
    with zipfile.ZipFile(zip_path) as z:
        for info in z.infolist():
            target = os.path.join(dest, info.filename)
            mode = (info.external_attr >> 16) & 0o7777
            if info.is_dir():
                os.makedirs(target, exist_ok=True)
                continue
            os.makedirs(os.path.dirname(target), exist_ok=True)
            if stat.S_ISLNK(info.external_attr >> 16):
                os.symlink(z.read(info).decode(), target)
                modes[info.filename] = mode
                continue
            with z.open(info) as src, open(target, "wb") as out:
                shutil.copyfileobj(src, out)
            os.chmod(target, mode or 0o644)
            modes[info.filename] = mode
    return modes


def zip_files(zip_path):
    with zipfile.ZipFile(zip_path) as z:
        return sorted(i.filename for i in z.infolist() if not i.is_dir())


def make_empty_root(root):
    """An otherwise empty root: static /bin/sh, /dev/null, /dev/urandom, /tmp."""
    busybox = shutil.which("busybox") or "/bin/busybox"
    if not os.path.exists(busybox):
        raise AssertionError("busybox is missing: apt-get install -y "
                             "busybox-static (scripts/deps.sh test)")
    with open(busybox, "rb") as f:
        head = f.read(4096)
    # A static binary has no PT_INTERP; the interpreter path would show here.
    if b"ld-linux" in head:
        raise AssertionError(busybox + " is not static: install busybox-static")
    for d in ("bin", "dev", "tmp", "var/task", "opt"):
        os.makedirs(os.path.join(root, d), exist_ok=True)
    shutil.copy(busybox, os.path.join(root, "bin", "sh"))
    os.chmod(os.path.join(root, "bin", "sh"), 0o755)
    os.chmod(os.path.join(root, "tmp"), 0o1777)
    for name, minor in (("null", 3), ("urandom", 9)):
        os.mknod(os.path.join(root, "dev", name), 0o666 | stat.S_IFCHR,
                 os.makedev(1, minor))
        os.chmod(os.path.join(root, "dev", name), 0o666)


def b64(data):
    return base64.b64encode(data).decode()


def kafka_event(source):
    """A Kafka batch over two partitions; order id 2 asks to fail."""
    def record(partition, offset, order):
        return {"topic": "orders", "partition": partition, "offset": offset,
                "timestamp": 1700000000000 + offset,
                "timestampType": "CREATE_TIME",
                "key": b64(b"k%d" % order["id"]),
                "value": b64(json.dumps(order).encode()), "headers": []}
    event = {"eventSource": source, "bootstrapServers": "b-1:9092",
             "records": {
                 "orders-0": [record(0, 10, {"id": 1}),
                              record(0, 11, {"id": 2, "fail": True})],
                 "orders-1": [record(1, 5, {"id": 3})]}}
    if source == "aws:kafka":
        event["eventSourceArn"] = ("arn:aws:kafka:us-east-1:123456789012:"
                                   "cluster/demo/abcd")
    return event


def expected_response(event, request_id, version=1):
    """What tests/package/scripts/app.lua answers, derived from the event."""
    failures, seen = [], []
    for key, records in event["records"].items():
        for r in records:
            order = json.loads(base64.b64decode(r["value"]))
            if order.get("fail"):
                failures.append({"itemIdentifier": {"partition": key,
                                                    "offset": r["offset"]}})
            else:
                seen.append("%s/%d/%d:%s" % (r["topic"], r["partition"],
                                             r["offset"], order["id"]))
    return {"batchItemFailures": failures, "seen": seen,
            "source": event["eventSource"], "request_id": request_id,
            "version": version}


class ChrootRun:
    """The runtime started in a chroot against a mock Runtime API."""

    def __init__(self, root, bootstrap, handler, api, logdir, env_extra=None):
        """bootstrap: the argv to run in root (a path, or a list)."""
        self.out = open(os.path.join(logdir, "stdout"), "w+b")
        self.err = open(os.path.join(logdir, "stderr"), "w+b")
        env = {"AWS_LAMBDA_RUNTIME_API": api.endpoint,
               "LAMBDA_TASK_ROOT": "/var/task", "_HANDLER": handler,
               "PATH": "/usr/bin:/bin", "TZ": "UTC"}
        env.update(env_extra or {})
        argv = [bootstrap] if isinstance(bootstrap, str) else list(bootstrap)
        self.proc = subprocess.Popen(
            [shutil.which("chroot"), root] + argv, env=env,
            stdin=subprocess.DEVNULL, stdout=self.out, stderr=self.err)

    def stderr(self):
        self.err.flush()
        self.err.seek(0)
        return self.err.read().decode("utf-8", "replace")

    def wait(self, timeout=20):
        return self.proc.wait(timeout)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.out.close()
        self.err.close()


class ArchTests:
    """The checks for one architecture (ARCH), mixed into a TestCase."""

    ARCH = HOST_ARCH
    trace_first = False

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="lrt-pkg-test-%s." % cls.ARCH)
        cls.build = os.path.join(cls.tmp, "build")
        cls.out = os.path.join(cls.tmp, "dist")
        cls.strace = cls.trace_first and bool(shutil.which("strace")) and \
            subprocess.run(["strace", "-f", "-qq", "-o", os.devnull, "true"],
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL).returncode == 0
        cls.first_trace = os.path.join(cls.tmp, "first.strace")
        cls.first = cls.package(["--scripts", SCRIPTS, "--out", cls.out],
                                trace=cls.first_trace if cls.strace else None)
        if cls.first.returncode != 0:
            shutil.rmtree(cls.tmp, ignore_errors=True)
            raise AssertionError("package.sh failed:\n" + cls.first.stdout
                                 + cls.first.stderr)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def package(cls, args, trace=None):
        """package.sh for this class's architecture and build directory."""
        return run_package(list(args) + ["--arch", cls.ARCH,
                                         "--build", cls.build], trace=trace)

    def scratch(self):
        d = tempfile.mkdtemp(dir=self.tmp)
        return d

    def empty_root(self):
        """An empty root that runs this architecture's binaries: for a
        foreign one, with qemu-user in it (binfmt_misc is not assumed)."""
        root = self.scratch()
        make_empty_root(root)
        if self.ARCH != HOST_ARCH:
            qemu = shutil.which("qemu-aarch64-static")
            if not qemu:
                raise AssertionError("qemu-aarch64-static is missing: "
                                     "scripts/deps.sh package")
            shutil.copy(qemu, os.path.join(root, "qemu-aarch64-static"))
        return root

    def bootstrap_for(self, root, bootstrap):
        """The argv that starts the packaged 'bootstrap' in root: itself, or
        for a foreign architecture through qemu-user, which then loads the
        binary's own interpreter (the packaged loader) from the root."""
        if self.ARCH == HOST_ARCH:
            return [bootstrap]
        return ["/qemu-aarch64-static", bootstrap]

    def serve(self, root, bootstrap, events, handler="app", env=None,
              endpoint=None):
        """Start the runtime in root; serve events; return the responses.
        endpoint: what AWS_LAMBDA_RUNTIME_API says instead of the mock's
        address ('{port}' filled in)."""
        with MockRuntimeAPI() as api:
            ids = [api.push_event(e) for e in events]
            env = dict(env or {})
            if endpoint:
                env["AWS_LAMBDA_RUNTIME_API"] = endpoint.format(
                    port=api.endpoint.rsplit(":", 1)[1])
            run = ChrootRun(root, self.bootstrap_for(root, bootstrap),
                            handler, api, self.scratch(), env)
            try:
                posts = api.wait_for_posts(len(events), timeout=30)
            except AssertionError as e:
                run.stop()
                raise AssertionError("%s\nruntime stderr:\n%s" % (
                    e, run.stderr())) from None
            run.stop()
        self.assertEqual([p.kind for p in posts], ["response"] * len(events),
                         [p.body for p in posts])
        self.assertEqual([p.request_id for p in posts], ids)
        return ids, [p.json() for p in posts]

    def check_kafka_responses(self, root, bootstrap, env=None):
        events = [kafka_event("SelfManagedKafka"), kafka_event("aws:kafka")]
        ids, responses = self.serve(root, bootstrap, events, env=env)
        for event, rid, got in zip(events, ids, responses):
            self.assertEqual(got, expected_response(event, rid))

    # ---- running the zips in the empty root ----

    def test_function_zip_runs_in_empty_root(self):
        root = self.empty_root()
        extract(os.path.join(self.out, "function.zip"),
                os.path.join(root, "var", "task"))
        # Lambda's LD_LIBRARY_PATH, led by a folder of broken libraries: the
        # packaged loader must not look there.
        bogus = os.path.join(root, "bogus")
        os.makedirs(bogus)
        for name in ("libc.so.6", "libcurl.so.4", "liblua5.4.so.0"):
            with open(os.path.join(bogus, name), "wb") as f:
                f.write(b"not a library")
        env = {"LD_LIBRARY_PATH": "/bogus:" + LAMBDA_LD_LIBRARY_PATH}
        self.check_kafka_responses(root, "/var/task/bootstrap", env)

    def test_dereferenced_bootstrap_runs_in_empty_root(self):
        # A tool that re-zips following symlinks turns the top-level
        # bootstrap into a copy of the binary: it still finds its runtime
        # folder (lua-kafka-runtime/lua), not a lua/ folder of the user's.
        root = self.empty_root()
        task = os.path.join(root, "var", "task")
        extract(os.path.join(self.out, "function.zip"), task)
        top = os.path.join(task, "bootstrap")
        self.assertTrue(os.path.islink(top))
        real = os.path.realpath(top)
        os.unlink(top)
        shutil.copy2(real, top)
        os.makedirs(os.path.join(task, "lua"))
        with open(os.path.join(task, "lua", "kafka.lua"), "w") as f:
            f.write('error("the user\'s lua/ folder was taken for the '
                    'runtime\'s")\n')
        self.check_kafka_responses(root, "/var/task/bootstrap")

    def test_layer_and_code_zip_run_in_empty_root(self):
        root = self.empty_root()
        extract(os.path.join(self.out, "runtime-layer.zip"),
                os.path.join(root, "opt"))
        extract(os.path.join(self.out, "code.zip"),
                os.path.join(root, "var", "task"))
        self.assertFalse(os.path.exists(os.path.join(root, "var", "task",
                                                     "bootstrap")))
        self.check_kafka_responses(root, "/opt/bootstrap")

    def test_init_error_in_empty_root_reaches_init_error(self):
        root = self.empty_root()
        extract(os.path.join(self.out, "function.zip"),
                os.path.join(root, "var", "task"))
        cases = (("broken", "Runtime.UserCodeSyntaxError"),
                 ("no_such_module", "Runtime.ImportModuleError"))
        bootstrap = self.bootstrap_for(root, "/var/task/bootstrap")
        for handler, error_type in cases:
            with self.subTest(handler=handler), MockRuntimeAPI() as api:
                run = ChrootRun(root, bootstrap, handler, api,
                                self.scratch())
                try:
                    posts = api.wait_for_posts(1, timeout=30)
                    code = run.wait(20)
                finally:
                    run.stop()
                self.assertEqual([p.kind for p in posts], ["init_error"])
                self.assertEqual(posts[0].headers.get(
                    "Lambda-Runtime-Function-Error-Type"), error_type)
                body = posts[0].json()
                self.assertEqual(body["errorType"], error_type)
                self.assertIn(handler, body["errorMessage"])
                self.assertEqual(code, 1)

    # ---- what the zips hold ----

    def test_zip_contents(self):
        function = zip_files(os.path.join(self.out, "function.zip"))
        layer = zip_files(os.path.join(self.out, "runtime-layer.zip"))
        code = zip_files(os.path.join(self.out, "code.zip"))
        # The scripts, minus test data (event.json, tests/, *_test.lua).
        self.assertEqual(code, ["app.lua", "broken.lua", "jobs/orders.lua"])
        self.assertEqual(function, sorted(layer + code))
        self.assertFalse(set(layer) & set(code))
        rt = RUNTIME_DIR + "/"
        runtime_lua = sorted(rt + "lua/" + f for f in os.listdir(
            os.path.join(SOURCE_DIR, "lua")) if f.endswith(".lua"))
        self.assertEqual(sorted(f for f in layer
                                if f.startswith(rt + "lua/")), runtime_lua)
        for name in function:
            self.assertFalse(re.search(
                r"(^|/)(CMake|Makefile|\.)|\.(o|a|c|h|json|zip|stamp)$",
                name), name)
        # The runtime takes two names at the top, no more.
        self.assertEqual(sorted({f.split("/")[0] for f in layer}),
                         ["bootstrap", RUNTIME_DIR])
        self.assertEqual(
            sorted(f for f in layer
                   if not f.startswith((rt + "lib/", rt + "lua/"))),
            ["bootstrap", rt + "bootstrap"])

    def test_zips_at_most_2_mib(self):
        for name in ("function.zip", "runtime-layer.zip"):
            size = os.path.getsize(os.path.join(self.out, name))
            self.assertLessEqual(size, MAX_ZIP, "%s: %d bytes" % (name, size))

    def test_binary_is_stripped_and_bundles_only_the_c_library(self):
        dest = self.scratch()
        modes = extract(os.path.join(self.out, "function.zip"), dest)
        rtdir = os.path.join(dest, RUNTIME_DIR)
        real = os.path.join(rtdir, "bootstrap")
        desc = subprocess.run(["file", "-b", real], stdout=subprocess.PIPE,
                              text=True, check=True).stdout
        self.assertIn("ELF", desc)
        self.assertIn({"x86_64": "x86-64", "arm64": "ARM aarch64"}[self.ARCH],
                      desc)
        self.assertRegex(desc, r"(?<!not )stripped")
        self.assertNotIn("not stripped", desc)
        # bootstrap is the binary, through a symlink: no shell starts first.
        self.assertEqual(os.readlink(os.path.join(dest, "bootstrap")),
                         RUNTIME_DIR + "/bootstrap")
        libs = set(os.listdir(os.path.join(rtdir, "lib")))
        loader = {"x86_64": "ld-linux-x86-64.so.2",
                  "arm64": "ld-linux-aarch64.so.1"}[self.ARCH]
        # curl, cJSON and Lua are linked in: the C library's own, alone.
        self.assertEqual(libs, {loader, "libc.so.6", "libm.so.6"})
        # The interpreter is the packaged loader where Lambda unpacks each
        # zip; the run path, searched before LD_LIBRARY_PATH, its lib/.
        for zip_name, base in (("function.zip", "/var/task"),
                               ("runtime-layer.zip", "/opt")):
            d = self.scratch()
            extract(os.path.join(self.out, zip_name), d)
            elf = os.path.join(d, RUNTIME_DIR, "bootstrap")
            prog = subprocess.run(["readelf", "-lW", elf],
                                  stdout=subprocess.PIPE, text=True,
                                  check=True).stdout
            self.assertIn("[Requesting program interpreter: %s/%s/lib/%s]" % (
                base, RUNTIME_DIR, loader), prog)
            dyn = subprocess.run(["readelf", "-dW", elf],
                                 stdout=subprocess.PIPE, text=True,
                                 check=True).stdout
            self.assertIn("(RPATH)              Library rpath: [%s/%s/lib]" % (
                base, RUNTIME_DIR), dyn)
            self.assertNotIn("(RUNPATH)", dyn)
        # Lua's API is exported (native modules resolve it against the
        # binary); curl's and cJSON's symbols are not.
        dyn = subprocess.run(["readelf", "--dyn-syms", "-W", real],
                             stdout=subprocess.PIPE, text=True,
                             check=True).stdout
        exported = set(re.findall(
            r"\s(?:FUNC|OBJECT)\s+GLOBAL\s+DEFAULT\s+\d+\s+(\S+)", dyn))
        self.assertIn("luaL_gsub", exported)
        self.assertIn("lua_arith", exported)
        self.assertFalse({n for n in exported
                          if n.startswith(("curl_", "Curl_", "cJSON_"))})
        # Executable where Lambda must exec them, readable by anyone (the
        # function runs as an unprivileged user).
        for name in (RUNTIME_DIR + "/bootstrap",
                     RUNTIME_DIR + "/lib/" + loader):
            self.assertEqual(modes[name] & 0o755, 0o755, name)
        for name, mode in modes.items():
            self.assertEqual(mode & 0o444, 0o444, name)
        # Every DT_NEEDED of every packaged ELF is packaged too.
        elves = [real] + [os.path.join(rtdir, "lib", n) for n in libs]
        for path in elves:
            dyn = subprocess.run(["readelf", "-dW", path],
                                 stdout=subprocess.PIPE, text=True,
                                 check=True).stdout
            for needed in re.findall(r"\(NEEDED\).*\[(.+?)\]", dyn):
                self.assertIn(needed, libs, "%s needs %s" % (path, needed))

    def test_prints_each_zip_size(self):
        for name in ("function.zip", "runtime-layer.zip", "code.zip"):
            size = os.path.getsize(os.path.join(self.out, name))
            self.assertRegex(self.first.stdout, r"(?m)^%s\s.*\(%d bytes\)" % (
                re.escape(name), size))

    # ---- the documentation ----

    def test_deploy_md_package_commands(self):
        """Every package.sh command in docs/deploy.md for this architecture
        (its --arch, or none for this machine's), run as written (from the
        repository root) but writing into a scratch --out and reusing this
        suite's build."""
        with open(DEPLOY_MD) as f:
            doc = f.read()
        blocks = re.findall(r"```(?:sh|bash|console)?\n(.*?)```", doc, re.S)
        commands = []
        for block in blocks:
            for line in block.replace("\\\n", " ").splitlines():
                line = line.strip()
                if (not line.startswith("scripts/package.sh")
                        or line in commands):
                    continue
                arch = re.search(r"--arch (\S+)", line)
                if (arch.group(1) if arch else HOST_ARCH) == self.ARCH:
                    commands.append(line)
        self.assertGreaterEqual(len(commands),
                                2 if self.ARCH == HOST_ARCH else 1,
                                "no package.sh commands for " + self.ARCH)
        for line in commands:
            with self.subTest(command=line):
                args = shlex.split(line)[1:]
                out = os.path.join(self.scratch(), "dist")
                if "--out" in args:
                    args[args.index("--out") + 1] = out
                elif "--help" not in args:
                    args += ["--out", out]
                if "--help" not in args and "--build" not in args:
                    args += ["--build", self.build]
                res = run_package(args)
                if "--help" not in args:
                    self.assertIn(os.path.join(out, "function.zip"),
                                  res.stdout)
                self.assertEqual(res.returncode, 0, res.stderr)
                if "--help" not in args:
                    for name in ("function.zip", "runtime-layer.zip",
                                 "code.zip"):
                        self.assertTrue(os.path.isfile(
                            os.path.join(out, name)), name)
                    # The documented handler module is in the code.
                    handler = re.search(r"--handler (\S+)", doc)
                    if handler:
                        module = handler.group(1).replace(".", "/") + ".lua"
                        self.assertIn(module, zip_files(
                            os.path.join(out, "code.zip")))

    # ---- any layout, native modules, the endpoint as a name ----

    def package_layout(self):
        """tests/package/layout with native/nativeadd.so built for ARCH in
        it, packaged; returns the --out directory."""
        scripts = os.path.join(self.scratch(), "layout")
        shutil.copytree(LAYOUT, scripts)
        os.makedirs(os.path.join(scripts, "native"))
        cc = "gcc" if self.ARCH == HOST_ARCH else TRIPLET[self.ARCH] + "-gcc"
        subprocess.run([cc, "-shared", "-fPIC", "-O2", "-I/usr/include/lua5.4",
                        NATIVE_SRC, "-o", os.path.join(scripts, "native",
                                                       "nativeadd.so")],
                       check=True)
        out = os.path.join(self.scratch(), "dist")
        res = self.package(["--scripts", scripts, "--out", out])
        self.assertEqual(res.returncode, 0, res.stderr)
        return out

    def test_any_layout_and_native_module_in_empty_root(self):
        out = self.package_layout()
        self.assertEqual(zip_files(os.path.join(out, "code.zip")),
                         ["bin/helper.lua", "handler.lua", "lib/greet.lua",
                          "lua/shout.lua", "native/nativeadd.so"])
        root = self.empty_root()
        extract(os.path.join(out, "function.zip"),
                os.path.join(root, "var", "task"))
        event = kafka_event("aws:kafka")
        _, responses = self.serve(root, "/var/task/bootstrap", [event],
                                  handler="handler",
                                  env={"LUA_CPATH": "/var/task/native/?.so"})
        records = sum(len(r) for r in event["records"].values())
        self.assertEqual(responses[0], {
            "greeting": "hello, lua", "shout": "QUIET",
            "helper": "bin.helper", "sum": records + 40,
            "replaced": "a+b+c", "lua": "Lua 5.4"})

    def test_runtime_api_given_as_localhost_in_empty_root(self):
        # No /etc/hosts and no resolver in the root: curl answers
        # "localhost" itself (since 7.78), the C library is never asked.
        root = self.empty_root()
        self.assertFalse(os.path.exists(os.path.join(root, "etc")))
        extract(os.path.join(self.out, "function.zip"),
                os.path.join(root, "var", "task"))
        event = kafka_event("SelfManagedKafka")
        ids, responses = self.serve(root, "/var/task/bootstrap", [event],
                                    endpoint="localhost:{port}")
        self.assertEqual(responses[0], expected_response(event, ids[0]))


@unittest.skipUnless(IS_ROOT, "needs root (chroot and mknod for the empty "
                     "root); CI runs this suite as root")
class PackageTest(ArchTests, unittest.TestCase):
    """This machine's architecture, and what does not depend on one."""

    trace_first = True

    # ---- a Lua-only change: no compiler ----

    def test_lua_only_change_runs_no_compiler(self):
        if self.strace:
            # The first packaging built the runtime: the check below sees
            # compilers when they run.
            self.assertTrue(any(COMPILER_RE.match(n)
                                for n in executed(self.first_trace)))
        binary = os.path.join(self.build, "bootstrap")
        objects = {}
        for d, _, files in os.walk(self.build):
            for f in files:
                if f.endswith(".o") or f == "bootstrap":
                    p = os.path.join(d, f)
                    objects[p] = os.stat(p).st_mtime_ns
        self.assertIn(binary, objects)

        scripts = os.path.join(self.scratch(), "scripts")
        shutil.copytree(SCRIPTS, scripts)
        orders = os.path.join(scripts, "jobs", "orders.lua")
        with open(orders) as f:
            text = f.read()
        with open(orders, "w") as f:
            f.write(text.replace("VERSION = 1", "VERSION = 2"))
        out = os.path.join(self.scratch(), "dist")
        trace = os.path.join(self.scratch(), "again.strace")
        res = self.package(["--scripts", scripts, "--out", out],
                           trace=trace if self.strace else None)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertIn("nothing compiled", res.stderr)
        if self.strace:
            ran = executed(trace)
            self.assertIn("zip", ran)
            self.assertEqual([n for n in ran if COMPILER_RE.match(n)], [])
        for p, mtime in objects.items():
            self.assertEqual(os.stat(p).st_mtime_ns, mtime, p)

        # The new logic is what the new zip runs.
        root = self.empty_root()
        extract(os.path.join(out, "function.zip"),
                os.path.join(root, "var", "task"))
        event = kafka_event("SelfManagedKafka")
        ids, responses = self.serve(root, "/var/task/bootstrap", [event])
        self.assertEqual(responses[0],
                         expected_response(event, ids[0], version=2))

    # ---- the command line ----

    def test_left_out_files(self):
        scripts = os.path.join(self.scratch(), "scripts")
        shutil.copytree(SCRIPTS, scripts)
        junk = [".hidden.lua", ".git/config", "build/CMakeCache.txt",
                "CMakeLists.txt", "native.o", "fixtures/msk.json",
                "spec/app_spec.lua", "events/one.json", "msk.event.json",
                "notes.swp", "draft.lua~"]
        for rel in junk:
            os.makedirs(os.path.dirname(os.path.join(scripts, rel)),
                        exist_ok=True)
            with open(os.path.join(scripts, rel), "w") as f:
                f.write("-- junk\n")
        with open(os.path.join(scripts, "config.json"), "w") as f:
            f.write('{"kept": true}\n')  # data a handler may read: kept
        out = os.path.join(self.scratch(), "dist")
        res = run_package(["--scripts", scripts, "--out", out, "--build",
                           self.build, "--exclude", "broken.lua"])
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertEqual(zip_files(os.path.join(out, "code.zip")),
                         ["app.lua", "config.json", "jobs/orders.lua"])
        self.assertIn("left out broken.lua (--exclude broken.lua)", res.stderr)

    def test_usage_errors(self):
        res = run_package(["--help"])
        self.assertEqual(res.returncode, 0)
        self.assertIn("--scripts DIR", res.stdout)
        for args in ([], ["--scripts"], ["--scripts", "/nonexistent-dir"],
                     ["--scripts", SCRIPTS, "--bogus"]):
            with self.subTest(args=args):
                res = run_package(args)
                self.assertEqual(res.returncode, 2, res.stderr)
                self.assertIn("package.sh:", res.stderr)
        res = run_package(["--scripts", SCRIPTS, "--arch", "sparc"])
        self.assertEqual(res.returncode, 2, res.stderr)
        self.assertIn("'sparc' is not x86_64 or arm64", res.stderr)
        # The two names the runtime takes, as a file or as a folder.
        for name, is_dir in (("bootstrap", False), (RUNTIME_DIR, True),
                             ("bootstrap", True), (RUNTIME_DIR, False)):
            with self.subTest(reserved=name, folder=is_dir):
                scripts = os.path.join(self.scratch(), "s")
                shutil.copytree(SCRIPTS, scripts)
                path = os.path.join(scripts, name)
                if is_dir:
                    os.makedirs(path)
                    path = os.path.join(path, "x.lua")
                with open(path, "w") as f:
                    f.write("return 1\n")
                out = self.scratch()
                res = self.package(["--scripts", scripts, "--out", out])
                self.assertEqual(res.returncode, 2, res.stderr)
                self.assertIn("must not contain '%s' at the top: the runtime "
                              "uses that name" % name, res.stderr)
                self.assertEqual(os.listdir(out), [])

    def test_sam_template_matches_package(self):
        with open(SAM_TEMPLATE) as f:
            tpl = f.read()
        self.assertRegex(tpl, r"Runtime:\s*provided\.al2023")
        self.assertRegex(tpl, r"Type:\s*MSK")
        self.assertRegex(tpl, r"FunctionResponseTypes:\s*\n\s*- "
                              r"ReportBatchItemFailures")
        code_uri = re.search(r"CodeUri:\s*(\S+)", tpl).group(1)
        # CodeUri is relative to the template: package.sh's default --out.
        self.assertEqual(os.path.normpath(os.path.join(
            os.path.dirname(SAM_TEMPLATE), code_uri)),
            os.path.join(SOURCE_DIR, "dist", "function.zip"))
        handler = re.search(r"Handler:\s*(\S+)", tpl).group(1)
        scripts = re.search(r"scripts/package\.sh --scripts (\S+)", tpl)
        self.assertIsNotNone(scripts, "template names its package command")
        self.assertTrue(os.path.isfile(os.path.join(
            SOURCE_DIR, scripts.group(1),
            handler.replace(".", "/") + ".lua")), handler)


if __name__ == "__main__":
    unittest.main()
