-- luacheck (Debian's lua-check) over the runtime's Lua modules, the examples
-- and the specs: tests/local/test_luacheck.py runs it from ctest.
std = "lua54"
max_line_length = 100
-- The modules the runtime preloads are required, never globals; a handler
-- that writes a global is a bug (globals outlive the invocation).
-- Handlers spell out the whole signature, (event, context), as the docs do.
files["examples/**/*.lua"] = { unused_args = false }
files["**/spec/**/*_spec.lua"] = { std = "+busted" }
files["tests/lua/**/*_spec.lua"] = { std = "+busted" }
exclude_files = { "build/**", "build-*/**", "tests/fuzz/**" }
