/* exec: `bootstrap --exec FILE [ARG...]`, a Lua script run the way
 * `lua FILE ARG...` (lua.c) runs it, with the runtime's modules.
 *
 * The state is a plain one (Lua's own allocator, no memory cap, no deadline
 * guard: a script is a tool such as busted, not a handler). package.path is
 * the runtime's own lua/ folder first, then what Lua itself would use
 * (LUA_PATH_5_4, else LUA_PATH, else Debian's default with /usr/share/lua/5.4
 * and ./?.lua); package.cpath likewise from LUA_CPATH(_5_4) or the default
 * with /usr/lib/<triplet>/lua/5.4. `router`, `json`, `log` and `lambda` are
 * preloaded; `kafka` and `metrics` come from the lua/ folder.
 *
 * The global `arg` is lua.c's: arg[0] the script, arg[1..n] its arguments,
 * negative indices the command line before it (arg[-1] "--exec", arg[-2]
 * the binary); the arguments are also the chunk's `...`. Scripts load as
 * text only, like handlers: precompiled bytecode is not verified by the VM.
 * FILE "-" reads the script from stdin; a first line starting with '#' (a
 * shebang, as /usr/bin/busted has) is skipped.
 *
 * Exit status: 0 when the script returns, the os.exit code when it calls
 * os.exit, 1 after an error, whose message and traceback go to stderr
 * ("bootstrap: <message>"), as lua5.4 does. Knows Lua and the modules it
 * preloads; nothing of HTTP. */
#ifndef LRT_EXEC_H
#define LRT_EXEC_H

/* Run argv[script] with argv[script + 1 ..] as its arguments; argv[0 ..
 * script - 1] become arg's negative indices. 'runtime_lua_dir' (may be NULL)
 * goes first on package.path. Returns the process exit code. */
int exec_run(int argc, char **argv, int script, const char *runtime_lua_dir);

#endif
