-- Every source's route returns its event as Lua sees it (tagged.lua), with
-- the route that took it, and event.raw / record.raw as plain JSON, so
-- test_events.py can check routing, every field and the raw forms.
local router = require "router"
local tagged = require "tagged"

local function dumper(route)
  return function(event)
    local raws = {}
    for i, r in ipairs(event.records or {}) do raws[i] = r.raw end
    return { route = route, event = tagged(event), raw = event.raw,
             record_raws = raws }
  end
end

for _, name in ipairs { "sqs", "sns", "s3", "dynamodb", "kinesis",
                        "eventbridge", "kafka" } do
  router[name](dumper(name))
end
router.apigateway("/{proxy+}", "ANY", dumper("apigateway"))
router.apigateway("/", "ANY", dumper("apigateway"))
router.custom(function(event)
  return { route = "custom", event = event }
end)
