"""The code's own limits, read from its sources, so that a test or a docs
check compares with the constant rather than with a copy of its value.

c_constant(name) finds `#define NAME <expr>` (or `static const <type> NAME =
<expr>;`) in src/*/*.{h,c} and evaluates it: integer literals (u/l suffixes,
casts like (size_t) dropped), + - * / << and parentheses, and other constants
by name. Python 3 standard library only."""
import ast
import glob
import os
import re

SRC = os.environ.get("LRT_SOURCE_DIR", os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", ".."))

_DEFINE = re.compile(r"^[ \t]*#define[ \t]+([A-Z][A-Z0-9_]*)[ \t]+((?:[^\n\\]|\\\n)+)", re.M)
_STATIC = re.compile(r"\bstatic const [a-z_ ]+ ([A-Z][A-Z0-9_]*) = ([^;]+);")
_CAST = re.compile(r"\(\s*(?:unsigned |signed |const )*(?:size_t|int|long|long long|unsigned|double|lua_Integer|uint\d+_t|int\d+_t)\s*\)")
_SUFFIX = re.compile(r"\b(\d+(?:\.\d+)?)(?:[uU]|[lL]|[uU][lL]|[lL][lL]|[uU][lL][lL])\b")
_OPS = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Constant, ast.Name,
        ast.Load, ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv,
        ast.LShift, ast.USub, ast.Mod)

_table = None


def _definitions():
    global _table
    if _table is None:
        _table = {}
        for path in sorted(glob.glob(os.path.join(SRC, "src", "*", "*.[ch]"))):
            with open(path, encoding="utf-8") as f:
                text = f.read()
            for rx in (_DEFINE, _STATIC):
                for name, expr in rx.findall(text):
                    expr = re.sub(r"/\*.*?\*/|//.*", "", expr.replace("\\\n", " "))
                    _table.setdefault(name, (expr.strip(), os.path.relpath(path, SRC)))
    return _table


def c_constant(name, _depth=0):
    """The value of the constant 'name' (int, or float for a float literal)."""
    defs = _definitions()
    if name not in defs:
        raise KeyError("no constant %s in src/" % name)
    expr = _SUFFIX.sub(r"\1", _CAST.sub("", defs[name][0]))
    if "." not in expr:
        expr = expr.replace("/", "//")  # C's integer division
    tree = ast.parse(expr, mode="eval")
    for node in ast.walk(tree):
        if not isinstance(node, _OPS):
            raise ValueError("%s = %r is not a plain number" % (name, expr))
    names = {n.id: c_constant(n.id, _depth + 1)
             for n in ast.walk(tree) if isinstance(n, ast.Name)}
    value = eval(compile(tree, name, "eval"), {"__builtins__": {}}, names)
    return value


def c_constant_file(name):
    """The file (relative to the source tree) that defines 'name'."""
    return _definitions()[name][1]
