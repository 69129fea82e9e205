"""The house's naming and layout rules, checked on the real build and sources
(docs/architecture.md, "Layout" and the file table):

- every function or object a file exports carries that file's prefix (its
  name: host.c exports host_*, kafka_scan.c kafka_scan_*), so a reader knows
  from a call where it lives; the exceptions are written below, with why;
- nothing of ours takes the lua_/luaL_/LUA_ names Lua reserves;
- every file under src/ is in docs/architecture.md's table, in the folder the
  table says, and the table names no file that does not exist;
- every source file opens with a comment on its role.
"""
import glob
import os
import re
import subprocess
import unittest

SRC = os.environ.get("LRT_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("LRT_BUILD_DIR", os.path.join(SRC, "build"))

# file stem -> prefixes its exports may carry instead of '<stem>_', and why.
PREFIX_EXCEPTIONS = {
    # avro_ is avro-c's namespace (avro_schema_t, avro_value_*): ours would
    # read as the library's, as lua_ did.
    "avro_decode": ("lrt_avro_",),
}


def exported_symbols():
    """(library, file stem, symbol) for every defined global of our layers."""
    out = []
    libs = sorted(glob.glob(os.path.join(BUILD, "liblrt_*.a")))
    for lib in libs:
        text = subprocess.run(["nm", "-g", "--defined-only", "-A", lib],
                              capture_output=True, text=True, check=True).stdout
        for line in text.splitlines():
            parts = line.split()
            if len(parts) < 3 or parts[-2] not in "TDRBC":
                continue
            if parts[-1].startswith("__"):
                continue  # the compiler's own (ASan's __odr_asan.*...)
            member = parts[0].split(":")[1]
            stem = re.sub(r"\.c\.o$", "", member)
            out.append((os.path.basename(lib), stem, parts[-1]))
    return libs, out


class Names(unittest.TestCase):
    def test_exports_carry_their_file_prefix(self):
        libs, symbols = exported_symbols()
        self.assertGreaterEqual(len(libs), 7, "no layer libraries in %s" % BUILD)
        self.assertGreater(len(symbols), 100)
        wrong = []
        for lib, stem, sym in symbols:
            allowed = (stem + "_",) + PREFIX_EXCEPTIONS.get(stem, ())
            if sym == stem or sym.startswith("luaopen_") or sym.startswith(allowed):
                continue
            wrong.append("%s: %s.c exports %s" % (lib, stem, sym))
        self.assertEqual(wrong, [], "exports without their file's prefix")

    def test_nothing_takes_luas_reserved_names(self):
        _, symbols = exported_symbols()
        ours = [s for _, _, s in symbols if re.match(r"(lua|luaL)_", s)]
        self.assertEqual(ours, [])
        defined = []
        for path in glob.glob(os.path.join(SRC, "src", "*", "*.[ch]")):
            with open(path, encoding="utf-8") as f:
                for n, line in enumerate(f, 1):
                    if re.match(r"\s*#\s*define\s+(LUA|LUAL|lua|luaL)_", line):
                        defined.append("%s:%d: %s" % (os.path.relpath(path, SRC), n, line.strip()))
        self.assertEqual(defined, [], "macros in Lua's namespace")


class Layout(unittest.TestCase):
    def table_paths(self):
        with open(os.path.join(SRC, "docs", "architecture.md"), encoding="utf-8") as f:
            doc = f.read()
        start = doc.index("| file |")
        table = doc[start:doc.index("\n\n", start)]
        paths = set()
        for row in table.splitlines()[2:]:
            first = row.split("|")[1]
            paths |= set(re.findall(r"`([a-z_]+/[a-z_0-9]+\.[ch])`", first))
        return paths

    def test_every_source_file_is_in_the_table(self):
        on_disk = {os.path.relpath(p, os.path.join(SRC, "src"))
                   for p in glob.glob(os.path.join(SRC, "src", "*", "*.[ch]"))}
        in_table = self.table_paths()
        # A module is listed by its .c (its header is its manual); a header
        # with no .c (json_scan.h, event_kind.h...) is listed itself.
        modules = {p for p in on_disk
                   if p.endswith(".c") or p[:-2] + ".c" not in on_disk}
        self.assertEqual(sorted(modules - in_table), [], "files missing from the table")
        self.assertEqual(sorted(in_table - on_disk), [], "table rows for files that do not exist")

    def test_every_source_file_opens_with_its_role(self):
        bare = []
        for path in sorted(glob.glob(os.path.join(SRC, "src", "*", "*.[ch]"))):
            with open(path, encoding="utf-8") as f:
                head = f.read(400).lstrip()
            if not head.startswith("/*") or len(head.split("*/")[0]) < 40:
                bare.append(os.path.relpath(path, SRC))
        self.assertEqual(bare, [], "files without an opening paragraph")


if __name__ == "__main__":
    unittest.main()
