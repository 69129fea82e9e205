-- API Gateway routes for test_apigateway.py: each route says which it is
-- and what it saw; /ret/* return each kind of value the response rules
-- cover.
local router = require "router"

local function says(name)
  return function(e)
    return { route = name, params = e.path_params, method = e.method }
  end
end

router.apigateway("/users/{id}", "GET", says("get_user"))
router.apigateway("/users/{id}", "delete", says("delete_user"))
router.apigateway("/users", "POST", says("create_user"))
router.apigateway("/files/{path+}", "ANY", says("files"))
router.apigateway("/", "GET", says("root"))
router.apigateway("/first/{a}", "GET", says("first"))
router.apigateway("/first/x", "GET", says("second"))
router.apigateway("/orgs/{org}/repos/{repo}/", "GET", says("repo"))
router.apigateway("/ret/nil", "GET", function() return nil end)
router.apigateway("/ret/str", "GET", function() return "hi" end)
router.apigateway("/ret/bin", "GET", function() return "\255\0\1" end)
router.apigateway("/ret/table", "GET", function() return { a = 1 } end)
router.apigateway("/ret/resp", "GET", function()
  return { statusCode = 201, headers = { ["x-a"] = "b" }, body = "made" }
end)
router.apigateway("/echo", "ANY", function(e)
  return { body = e.body, decode_error = e.decode_error, query = e.query,
           query_all = e.query_all, cookies = e.cookies, headers = e.headers,
           route_path = e.route_path, path = e.path }
end)
router.custom(function(e) return { route = "custom", keys = e.httpMethod } end)
