-- router.process and kafka.process for test_process.py: records whose
-- payload says "fail" raise; the response also lists the records fn ran
-- and whether fn got the invocation's context.
local router = require "router"
local kafka = require "kafka"
local json = require "json"

local function payload(r)
  return r.body or r.data or r.value
    or (r.new_image and r.new_image.v) or ""
end

local function run(event, context, call)
  local ran, ctx_ok = {}, true
  local opts = nil
  local first = event.records[1]
  if first and payload(first):find("unordered", 1, true) then
    opts = { ordered = false }
  elseif first and payload(first):find("ordered", 1, true) then
    opts = { ordered = true }
  end
  local resp = call(event, function(r, c)
    ran[#ran + 1] = r.message_id or r.sequence_number or r.offset
    if c == nil or c.aws_request_id ~= context.aws_request_id then
      ctx_ok = false
    end
    if payload(r):find("fail", 1, true) then error("boom " .. ran[#ran]) end
  end, opts)
  return { resp = resp, ran = json.array(ran), ctx_ok = ctx_ok }
end

for _, name in ipairs { "sqs", "kinesis", "dynamodb" } do
  router[name](function(e, c) return run(e, c, router.process) end)
end
router.kafka(function(e, c)
  if e.records[1] and e.records[1].topic == "old-form" then
    -- kafka.process with the context third, as before opts existed
    local ran = {}
    local resp = kafka.process(e, function(r, ctx)
      ran[#ran + 1] = ctx and ctx.aws_request_id == c.aws_request_id
      if r.value == "fail" then error("bad") end
    end, c)
    return { resp = resp, ran = json.array(ran) }
  end
  return run(e, c, kafka.process)
end)
router.eventbridge(function(e)
  return router.process(e, function() end)
end)
