-- file: examples/sources/dynamodb/handler.lua
-- DynamoDB Streams: images are plain Lua values (N numbers, M tables...);
-- router.process stops at the first failure (ordered: one shard).
local router = require "router"

local totals = {}

router.dynamodb(function(event)
  return router.process(event, function(change)
    local item = change.new_image
    if change.event_name ~= "REMOVE" then
      totals[item.customer] = (totals[item.customer] or 0) + item.amount
      print(("%s %s: %s, total %s"):format(change.event_name,
        change.keys.id, item.customer, totals[item.customer]))
    end
  end)
end)
