-- Topic-specific processing: each topic has its own function.
local router = require "router"
local kafka = require "kafka"

local function handle_order(record)
  local order = assert(kafka.json(record))
  print(("order %d: total %d"):format(order.id, order.total))
end

local function handle_user(record)
  local user = assert(kafka.json(record))
  print(("user %d: %s"):format(user.id, user.name))
end

local handlers = { orders = handle_order, users = handle_user }

router.kafka(function(event, context)
  local counts = { orders = 0, users = 0, skipped = 0 }
  for _, record in ipairs(event.records) do
    local handle = handlers[record.topic]
    if handle then
      handle(record)
      counts[record.topic] = counts[record.topic] + 1
    else
      print("no handler for topic " .. record.topic)
      counts.skipped = counts.skipped + 1
    end
  end
  return counts
end)
