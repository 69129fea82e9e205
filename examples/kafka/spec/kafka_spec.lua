-- file: examples/kafka/spec/kafka_spec.lua
-- The Kafka examples on their bundled events, through the real decoder.
-- Run: build/bootstrap --exec /usr/bin/busted examples/kafka/spec
local lambda = require "lambda"
local json = require "json"

local here = debug.getinfo(1, "S").source:match("^@(.-)spec/[^/]*$") or ""

local function invoke(example, event)
  if not event then
    local f = assert(io.open(here .. example .. "/event.json", "rb"))
    event = f:read("a")
    f:close()
  end
  return lambda.invoke("handler", event, { root = here .. example })
end

describe("kafka examples", function()
  it("minimal counts the records", function()
    local ok, response = invoke("minimal")
    assert.is_true(ok)
    assert.are.same({ processed = 3 }, response)
  end)

  it("partial_batch reports the records that failed", function()
    local ok, response = invoke("partial_batch")
    assert.is_true(ok)
    assert.are.same({
      batchItemFailures = {
        { itemIdentifier = { partition = "orders-0", offset = 101 } },
        { itemIdentifier = { partition = "orders-1", offset = 55 } },
      },
    }, response)
  end)

  it("partial_batch answers an empty list when all succeed", function()
    local ok, response = invoke("partial_batch", {
      eventSource = "aws:kafka",
      records = {
        ["orders-0"] = {
          { topic = "orders", partition = 0, offset = 1, timestamp = 0,
            timestampType = "CREATE_TIME",
            headers = json.array({}), -- {} alone would encode as an object
            value = "eyJpZCI6IDF9" }, -- {"id": 1}
        },
      },
    })
    assert.is_true(ok)
    assert.are.same({ batchItemFailures = {} }, response)
  end)

  it("topic_routing counts per topic", function()
    local ok, response = invoke("topic_routing")
    assert.is_true(ok)
    assert.are.same({ orders = 2, users = 1, skipped = 1 }, response)
  end)

  it("batch_errors separates good and bad records", function()
    local ok, response = invoke("batch_errors")
    assert.is_true(ok)
    assert.are.equal(2, #response.successful)
    assert.are.equal(2, #response.failed)
    assert.are.equal("amount must be positive, got -5", response.failed[2].error)
  end)

  it("basic prints each record and counts them", function()
    local ok, response, output = invoke("basic")
    assert.is_true(ok)
    assert.are.same({ processed = 3 }, response)
    assert.matches("users partition 1 offset 7: {\"id\":42,\"name\":\"Ann\"}",
      output.stdout, 1, true)
  end)

  it("headers routes by a header, matched case-insensitively", function()
    local ok, response = invoke("headers")
    assert.is_true(ok)
    assert.are.same({ standard = 2, priority = 2 }, response)
  end)

  it("binary tells text, bytes and tombstones apart", function()
    local ok, response, output = invoke("binary")
    assert.is_true(ok)
    assert.are.same({ text = 1, binary = 1, empty = 1 }, response)
    assert.matches("binary, 7 bytes, starts 000102fffe8041", output.stdout, 1, true)
  end)

  it("monitoring counts records, errors and bytes", function()
    local ok, response = invoke("monitoring")
    assert.is_true(ok)
    assert.are.same({ processed = 3, errors = 2, bytes_processed = 52, records = 5 },
      response)
  end)

  it("performance sums per topic", function()
    local ok, response = invoke("performance")
    assert.is_true(ok)
    assert.are.same({ orders = { records = 3, bytes = 98 },
                      users = { records = 1, bytes = 22 } }, response)
  end)

  it("metrics counts processed and failed records and bytes", function()
    local ok, response, output = invoke("metrics")
    assert.is_true(ok)
    assert.are.equal(2, #response.batchItemFailures)
    -- the third value: what the handler wrote, and its EMF records decoded
    local record = output.metrics[1]
    assert.are.equal(3, record.RecordsProcessed)
    assert.are.equal(2, record.RecordsFailed)
    assert.are.equal("orders", record.topic)
    assert.are.same({ { "topic" } }, record._aws.CloudWatchMetrics[1].Dimensions)
  end)

  it("a malformed event is an invocation error, not a crash", function()
    local ok, err = invoke("minimal", '{"eventSource": "aws:kafka", "records": [')
    assert.is_false(ok)
    assert.are.equal("Runtime.InvalidEvent", err.errorType)
  end)
end)
