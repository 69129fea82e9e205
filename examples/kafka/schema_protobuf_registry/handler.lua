-- Protobuf in Lambda's schema-registry mode (the event source mapping has a
-- SchemaRegistryConfig): Lambda already removed the registry framing and puts
-- the schema id in valueSchemaMetadata; a value may still start with its
-- Confluent message index, which the runtime skips. The message decoded is
-- the one named here.
local router = require "router"
local kafka = require "kafka"

local user = kafka.protobuf("schemas/user.pb", "shop.User")

router.kafka(function(event)
  local users = {}
  for _, record in ipairs(event.records) do
    local u = record.value
    -- Unset fields read as their proto3 defaults ("", 0, the first enum
    -- value, {} for repeated); an unset message field is nil.
    users[#users + 1] = {
      id = u.id, name = u.name, tier = u.tier, tags = #u.tags,
      city = u.address and u.address.city or "(unknown)",
      schema_id = record.value_schema_id,
    }
  end
  return users
end, { value = user })
