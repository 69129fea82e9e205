-- lambda.invoke under `bootstrap --exec busted`: what a handler test relies
-- on (tests/local/test_busted.py runs this file with the example specs).
local lambda = require "lambda"

local root -- a task root with handlers written for these tests

local HANDLERS = {
  echo = [[
    local router = require "router"
    router.custom(function(event, context)
      return {
        event = event,
        request_id = context.aws_request_id,
        function_name = context.function_name,
        memory = context.memory_limit_in_mb,
        arn = context.invoked_function_arn,
        identity = context.identity,
        client_context = context.client_context,
        remaining = context:get_remaining_time_in_millis(),
        env = os.getenv("LRT_SPEC_VAR"),
      }
    end)
  ]],
  noroute = [[ return {} ]],
  broken = [[ local x = ]],
  hog = [[
    local router = require "router"
    router.custom(function()
      local t = {}
      for i = 1, 1e9 do t[i] = ("x"):rep(100) .. i end
    end)
  ]],
  spin = [[
    local router = require "router"
    router.custom(function() while true do end end)
  ]],
  returns_nil = [[
    local router = require "router"
    router.custom(function() end)
  ]],
  bad_response = [[
    local router = require "router"
    router.custom(function() return { f = print } end)
  ]],
  chatty = [[
    local router = require "router"
    local metrics = require "metrics"
    router.custom(function(event)
      print("printed", event.n)
      io.write('{"_aws": not json\n')
      metrics.add("Seen", event.n)
      metrics.add("Seen", 2 * event.n)
      metrics.dimension("kind", "test")
      return "done"
    end)
  ]],
  state = [[
    local router = require "router"
    local n = 0
    router.custom(function() n = n + 1; return n end)
  ]],
}

setup(function()
  root = os.tmpname()
  os.remove(root)
  assert(os.execute("mkdir -p " .. root))
  for name, source in pairs(HANDLERS) do
    local f = assert(io.open(root .. "/" .. name .. ".lua", "w"))
    f:write(source)
    f:close()
  end
end)

teardown(function()
  os.execute("rm -rf " .. root)
end)

describe("lambda.invoke", function()
  it("encodes a table event and decodes the response", function()
    local ok, r = lambda.invoke("echo", { a = { 1, 2 }, s = "x" }, { root = root })
    assert.is_true(ok)
    assert.are.same({ a = { 1, 2 }, s = "x" }, r.event)
  end)

  it("takes the event as JSON text", function()
    local ok, r = lambda.invoke("echo", '{"n": 1}', { root = root })
    assert.is_true(ok)
    assert.are.same({ n = 1 }, r.event)
  end)

  it("gives each call a fresh state", function()
    for _ = 1, 2 do
      local ok, n = lambda.invoke("state", "{}", { root = root })
      assert.are.same({ true, 1 }, { ok, n })
    end
  end)

  it("fills the context as local invoke does, with overrides", function()
    local ok, r = lambda.invoke("echo", "{}", { root = root })
    assert.is_true(ok)
    assert.matches("^%x+%-%x+%-4%x+%-%x+%-%x+$", r.request_id)
    assert.are.equal("local-function", r.function_name)
    assert.is_true(r.remaining > 0)
    ok, r = lambda.invoke("echo", "{}", {
      root = root,
      context = {
        aws_request_id = "req-42",
        function_name = "orders",
        memory_limit_in_mb = 512,
        invoked_function_arn = "arn:aws:lambda:eu-west-1:1:function:orders",
        identity = { cognito_identity_id = "id-1" },
        client_context = '{"custom": {"k": "v"}}',
        deadline_ms = 0x7fffffffffff,
      },
    })
    assert.is_true(ok)
    assert.are.equal("req-42", r.request_id)
    assert.are.equal("orders", r.function_name)
    assert.are.equal(512, r.memory)
    assert.are.equal("arn:aws:lambda:eu-west-1:1:function:orders", r.arn)
    assert.is_table(r.identity)
    assert.is_table(r.client_context)
  end)

  it("sets opts.env for the call only", function()
    assert.is_nil(os.getenv("LRT_SPEC_VAR"))
    local ok, r = lambda.invoke("echo", "{}", { root = root, env = { LRT_SPEC_VAR = "on" } })
    assert.is_true(ok)
    assert.are.equal("on", r.env)
    assert.is_nil(os.getenv("LRT_SPEC_VAR"))
    assert.is_nil(os.getenv("AWS_LAMBDA_FUNCTION_NAME"))
  end)

  it("returns init errors as error objects", function()
    local ok, err = lambda.invoke("noroute", "{}", { root = root })
    assert.is_false(ok)
    assert.are.equal("Runtime.HandlerNotFound", err.errorType)
    ok, err = lambda.invoke("broken", "{}", { root = root })
    assert.is_false(ok)
    assert.are.equal("Runtime.UserCodeSyntaxError", err.errorType)
    ok, err = lambda.invoke("missing", "{}", { root = root })
    assert.is_false(ok)
    assert.are.equal("Runtime.ImportModuleError", err.errorType)
  end)

  it("applies the runtime's limits and error shaping", function()
    local ok, err = lambda.invoke("echo", "{not json", { root = root })
    assert.is_false(ok)
    assert.are.equal("Runtime.InvalidEvent", err.errorType)
    ok, err = lambda.invoke("bad_response", "{}", { root = root })
    assert.is_false(ok)
    assert.are.equal("Runtime.InvalidResponse", err.errorType)
    ok, err = lambda.invoke("hog", "{}", { root = root,
      context = { memory_limit_in_mb = 128 } })
    assert.is_false(ok)
    assert.are.equal("Runtime.OutOfMemory", err.errorType)
    ok, err = lambda.invoke("spin", "{}", { root = root,
      context = { deadline_ms = os.time() * 1000 + 1500 } })
    assert.is_false(ok)
    assert.are.equal("Runtime.Timeout", err.errorType)
  end)

  it("decodes a nil response as JSON null", function()
    local json = require "json"
    local ok, r = lambda.invoke("returns_nil", "{}", { root = root })
    assert.is_true(ok)
    assert.is_true(r == nil or r == json.null)
  end)

  it("returns what the handler wrote and its metrics records", function()
    local ok, r, output = lambda.invoke("chatty", { n = 3 }, { root = root,
      env = { POWERTOOLS_METRICS_NAMESPACE = "Spec" } })
    assert.is_true(ok)
    assert.are.equal("done", r)
    assert.matches("INFO\tprinted\t3\n", output.stdout)
    assert.matches('{"_aws": not json\n', output.stdout, 1, true)
    assert.are.equal(1, #output.metrics)
    local rec = output.metrics[1]
    assert.are.same({ 3, 6 }, rec.Seen)
    assert.are.equal("test", rec.kind)
    assert.are.same({
      Namespace = "Spec",
      Dimensions = { { "kind" } },
      Metrics = { { Name = "Seen", Unit = "Count" } },
    }, rec._aws.CloudWatchMetrics[1])
    assert.is_true(math.type(rec._aws.Timestamp) == "integer")
    -- nothing added: no record
    local ok2, _, output2 = lambda.invoke("echo", "{}", { root = root })
    assert.is_true(ok2)
    assert.are.same({}, output2.metrics)
  end)

  it("raises on misuse", function()
    assert.has_error(function() lambda.invoke() end)
    assert.has_error(function() lambda.invoke("echo", print) end)
    assert.has_error(function() lambda.invoke("echo", { f = print }, { root = root }) end)
    assert.has_error(function()
      lambda.invoke("echo", "{}", { root = root, context = { nope = 1 } })
    end)
    assert.has_error(function() lambda.invoke("echo", "{}", { root = "/no/such/dir" }) end)
    assert.has_error(function()
      lambda.invoke("echo", "{}", { root = root .. "/echo.lua" })
    end)
    assert.has_error(function()
      lambda.invoke("echo", "{}", { root = root, env = { [1] = "x" } })
    end)
    assert.has_error(function()
      lambda.invoke("echo", "{}", { root = root, env = { A = "x\0y" } })
    end)
    assert.has_error(function()
      lambda.invoke("echo", "{}", { root = root, env = { ["A=B"] = "x" } })
    end)
    -- a raise leaves the environment as it was
    assert.is_nil(os.getenv("AWS_LAMBDA_FUNCTION_NAME"))
  end)
end)
