-- file: examples/handlers/spec/handlers_spec.lua
-- Run: build/bootstrap --exec /usr/bin/busted examples/handlers/spec
local lambda = require "lambda"

local here = debug.getinfo(1, "S").source:match("^@(.-)spec/[^/]*$") or ""

describe("custom handler", function()
  local root = here .. "custom"

  it("gets the event as plain JSON and a Lambda context", function()
    local ok, response = lambda.invoke("handler", { name = "world" },
      { root = root })
    assert.is_true(ok)
    assert.are.same({
      greeting = "hello world",
      invocations = 1, -- every lambda.invoke is a cold start
      tags = {},
      remaining_ms_positive = true,
    }, response)
  end)

  it("sees the context fields the test sets", function()
    local ok, response = lambda.invoke("handler", { name = "x" }, {
      root = root,
      context = {
        aws_request_id = "req-1",
        deadline_ms = (os.time() + 3600) * 1000, -- an hour from now
      },
    })
    assert.is_true(ok)
    assert.is_true(response.remaining_ms_positive)
  end)
end)

describe("errors handler", function()
  local root = here .. "errors"

  it("sets errorType and errorMessage from a table error", function()
    local ok, err = lambda.invoke("handler", { kind = "typed", id = "A-17" },
      { root = root })
    assert.is_false(ok)
    assert.are.equal("Orders.Invalid", err.errorType)
    assert.are.equal("order A-17 has no items", err.errorMessage)
  end)

  it("gives a plain error the default type", function()
    local ok, err = lambda.invoke("handler", { kind = "plain" }, { root = root })
    assert.is_false(ok)
    assert.are.equal("Lua.RuntimeError", err.errorType)
    assert.matches("something went wrong$", err.errorMessage)
  end)
end)

describe("module.function handler", function()
  it("runs app.handle with the function name of the context", function()
    local ok, response = lambda.invoke("app.handle",
      { eventSource = "aws:kafka", records = {} }, {
        root = here .. "modfunc",
        context = { function_name = "orders-consumer" },
      })
    assert.is_true(ok)
    assert.are.same({ source = "aws:kafka", function_name = "orders-consumer" },
      response)
  end)
end)
