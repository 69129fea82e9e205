-- file: examples/hello/spec/handler_spec.lua
-- The hello handler's tests, in Lua, run by busted inside the runtime:
--   build/bootstrap --exec /usr/bin/busted examples/hello/spec
-- lambda.invoke loads the handler in a fresh state and runs one invocation
-- exactly as Lambda would (decoding, routing, limits, error shaping).
local lambda = require "lambda"

-- Paths from this file's place, so the specs run from any directory.
local here = debug.getinfo(1, "S").source:match("^@(.-)spec/[^/]*$") or ""
local root = here .. "app"

local function event(name)
  local f = assert(io.open(here .. "events/" .. name, "rb"))
  local text = f:read("a")
  f:close()
  return text
end

describe("hello", function()
  it("greets by name", function()
    local ok, response = lambda.invoke("handler", event("world.json"),
      { root = root })
    assert.is_true(ok)
    assert.are.same({ greeting = "Hello, world!" }, response)
  end)

  it("takes the event as a Lua table too", function()
    local ok, response = lambda.invoke("handler", { name = "Ada" },
      { root = root })
    assert.is_true(ok)
    assert.are.equal("Hello, Ada!", response.greeting)
  end)

  it("rejects a name that is not a string", function()
    local ok, err = lambda.invoke("handler", event("bad.json"), { root = root })
    assert.is_false(ok)
    assert.are.equal("Hello.InvalidEvent", err.errorType)
    assert.are.equal("event.name must be a string", err.errorMessage)
    assert.is_table(err.stackTrace)
  end)

  it("finds a shared module through LUA_PATH given for the call", function()
    local ok, response = lambda.invoke("shout", { name = "ada lovelace" }, {
      root = root,
      env = { LUA_PATH = here .. "shared/?.lua" },
    })
    assert.is_true(ok)
    assert.are.equal("ADA LOVELACE", response.shout)
  end)

  it("reports a missing module as Lambda would", function()
    local ok, err = lambda.invoke("shout", { name = "x" }, { root = root })
    assert.is_false(ok)
    assert.are.equal("Runtime.ImportModuleError", err.errorType)
  end)
end)
