-- file: examples/sources/apigateway/handler.lua
-- API Gateway (REST, HTTP API or a Function URL): routes by path and method.
local router = require "router"

local users = { ["1"] = { id = "1", name = "Ada" } }

router.apigateway("/users/{id}", "GET", function(req)
  local user = users[req.path_params.id]
  if not user then
    return { statusCode = 404, body = "no such user" }
  end
  return user -- a table: 200, application/json
end)

router.apigateway("/users", "POST", function(req)
  return { statusCode = 201, headers = { location = "/users/2" },
           body = req.body }
end)

router.apigateway("/health", "ANY", function() return "ok" end)
