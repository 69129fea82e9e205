#!/usr/bin/env python3
"""API Gateway routing and responses through the real bootstrap.

REST v1 and HTTP API v2 / Function URL events, built here, run against
handlers/api.lua: stage stripping, the trailing slash, {name} and {name+}
(percent-decoded), ANY, case-insensitive methods, first match wins, 404 and
405 with Allow, the return-value rules (nil, string, bytes, table, a
response table), isBase64Encoded bodies, query / query_all, cookies and
lower-case headers, load errors for repeated or malformed routes, and the
fallback to router.custom when no API route is registered. ALB and WebSocket
events are never API events.

Env: LRT_BOOTSTRAP (the built bootstrap), LRT_SOURCE_DIR (repo root).
"""

import base64
import json
import os
import subprocess
import sys
import tempfile
import unittest

sys.dont_write_bytecode = True

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("LRT_SOURCE_DIR") or os.path.dirname(os.path.dirname(HERE))
BOOT = os.environ.get("LRT_BOOTSTRAP") or os.path.join(SRC, "build", "bootstrap")
HANDLERS = os.path.join(HERE, "handlers")
TIMEOUT = 120 if os.environ.get("LRT_SANITIZE") == "1" else 30


def invoke(event, handler="api", root=HANDLERS):
    e = dict(os.environ)
    e.pop("AWS_LAMBDA_RUNTIME_API", None)
    r = subprocess.run([BOOT, "--event", "-", "--root", root, "--handler",
                        handler], input=json.dumps(event).encode(),
                       capture_output=True, env=e, timeout=TIMEOUT)
    out = r.stdout.decode().strip()
    return r.returncode, (json.loads(out) if out else None), r.stderr.decode()


def v1(method, path, **over):
    ev = {"resource": "/{proxy+}", "path": path, "httpMethod": method,
          "headers": {"Content-Type": "text/plain"},
          "multiValueHeaders": {}, "queryStringParameters": None,
          "multiValueQueryStringParameters": None, "pathParameters": None,
          "stageVariables": None, "body": None, "isBase64Encoded": False,
          "requestContext": {"stage": "prod", "path": "/prod" + path,
                             "httpMethod": method, "requestId": "r"}}
    ev.update(over)
    return ev


def v2(method, raw_path, stage="$default", **over):
    ev = {"version": "2.0", "routeKey": "$default", "rawPath": raw_path,
          "rawQueryString": "", "headers": {"X-Mixed": "a"},
          "requestContext": {"stage": stage, "http": {"method": method,
                                                      "path": raw_path},
                             "requestId": "r"},
          "isBase64Encoded": False}
    ev.update(over)
    return ev


class RoutingTest(unittest.TestCase):
    def body(self, event):
        code, out, err = invoke(event)
        self.assertEqual(code, 0, err)
        self.assertEqual(out["statusCode"], 200, out)
        self.assertEqual(out["headers"]["content-type"], "application/json")
        return json.loads(out["body"])

    def test_path_params_one_segment_percent_decoded(self):
        for ev in (v1("GET", "/users/42"), v2("GET", "/users/42")):
            self.assertEqual(self.body(ev)["params"], {"id": "42"})
        self.assertEqual(self.body(v1("GET", "/users/a%20b%2Fc"))["params"],
                         {"id": "a b/c"})
        self.assertEqual(self.body(v2("GET", "/orgs/o/repos/r"))["params"],
                         {"org": "o", "repo": "r"})

    def test_trailing_slash_ignored(self):
        self.assertEqual(self.body(v1("GET", "/users/42/"))["route"],
                         "get_user")
        self.assertEqual(self.body(v1("GET", "/orgs/o/repos/r/"))["route"],
                         "repo")
        self.assertEqual(self.body(v2("GET", "/"))["route"], "root")

    def test_stage_stripped_unless_default(self):
        self.assertEqual(self.body(v2("GET", "/prod/users/7", "prod"))
                         ["params"], {"id": "7"})
        self.assertEqual(self.body(v2("GET", "/prod", "prod"))["route"],
                         "root")
        # $default: the path is the path, even when it looks like a stage.
        code, out, _ = invoke(v2("GET", "/prod/users/7"))
        self.assertEqual(out["statusCode"], 404)
        # v1 path never has the stage.
        self.assertEqual(self.body(v1("GET", "/users/9"))["params"],
                         {"id": "9"})

    def test_greedy_takes_the_rest_and_needs_one(self):
        self.assertEqual(self.body(v1("PUT", "/files/a/b%20c/d"))["params"],
                         {"path": "a/b c/d"})
        for path in ("/files", "/files/"):
            code, out, _ = invoke(v1("GET", path))
            self.assertEqual(out["statusCode"], 404, path)

    def test_methods_case_insensitive_any_and_405(self):
        self.assertEqual(self.body(v1("get", "/users/1"))["route"],
                         "get_user")
        self.assertEqual(self.body(v2("DELETE", "/users/1"))["route"],
                         "delete_user")
        code, out, _ = invoke(v1("PATCH", "/users/1"))
        self.assertEqual(out["statusCode"], 405)
        self.assertEqual(out["headers"]["Allow"], "GET, DELETE")
        self.assertEqual(json.loads(out["body"]),
                         {"message": "Method Not Allowed"})
        code, out, _ = invoke(v1("GET", "/nowhere"))
        self.assertEqual(code, 0)
        self.assertEqual(out["statusCode"], 404)
        self.assertEqual(json.loads(out["body"]), {"message": "Not Found"})

    def test_first_registered_match_wins(self):
        self.assertEqual(self.body(v1("GET", "/first/x"))["route"], "first")

    def test_return_values(self):
        code, out, _ = invoke(v1("GET", "/ret/nil"))
        self.assertEqual(out, {"statusCode": 204})
        code, out, _ = invoke(v1("GET", "/ret/str"))
        self.assertEqual(out, {"statusCode": 200, "body": "hi",
                               "headers": {"content-type": "text/plain"}})
        code, out, _ = invoke(v1("GET", "/ret/bin"))
        self.assertTrue(out["isBase64Encoded"])
        self.assertEqual(base64.b64decode(out["body"]), b"\xff\x00\x01")
        code, out, _ = invoke(v1("GET", "/ret/table"))
        self.assertEqual(json.loads(out["body"]), {"a": 1})
        code, out, _ = invoke(v1("GET", "/ret/resp"))
        self.assertEqual(out, {"statusCode": 201, "body": "made",
                               "headers": {"x-a": "b"}})

    def test_request_fields(self):
        ev = v2("POST", "/echo", rawQueryString="a=1&a=2&b=x+y%21&c",
                queryStringParameters={"a": "1,2", "b": "x y!", "c": ""},
                cookies=["k=v", "k2=v2"],
                body=base64.b64encode(b"\x00hi").decode(),
                isBase64Encoded=True)
        got = self.body(ev)
        self.assertEqual(got["query"], {"a": "1,2", "b": "x y!", "c": ""})
        self.assertEqual(got["query_all"], {"a": ["1", "2"], "b": ["x y!"],
                                            "c": [""]})
        self.assertEqual(got["cookies"], ["k=v", "k2=v2"])
        self.assertEqual(got["headers"], {"x-mixed": "a"})
        self.assertEqual(got["body"], "\x00hi")
        ev = v1("POST", "/echo", body="not base64!", isBase64Encoded=True,
                queryStringParameters={"a": "2"},
                multiValueQueryStringParameters={"a": ["1", "2"]})
        got = self.body(ev)
        self.assertNotIn("body", got)
        self.assertIn("body: not base64", got["decode_error"])
        self.assertEqual(got["query_all"], {"a": ["1", "2"]})
        self.assertEqual(got["query"], {"a": "2"})
        got = self.body(v1("POST", "/echo", body="plain"))
        self.assertEqual(got["body"], "plain")
        self.assertEqual(got["query"], {})

    def test_wrong_shapes_are_errors(self):
        code, out, _ = invoke(v1("GET", "/echo", headers={"a": 1}))
        self.assertEqual(code, 1)
        self.assertEqual(out["errorType"], "APIGateway.InvalidEvent")
        self.assertIn("headers", out["errorMessage"])
        code, out, _ = invoke(v2("GET", "/echo", cookies="k=v"))
        self.assertEqual(out["errorType"], "APIGateway.InvalidEvent")
        self.assertIn("cookies", out["errorMessage"])

    def test_alb_and_websocket_are_not_api_events(self):
        alb = {"requestContext": {"elb": {"targetGroupArn": "a"}},
               "httpMethod": "GET", "path": "/users/1", "resource": "/x",
               "headers": {}, "body": "", "isBase64Encoded": False}
        ws = v1("GET", "/users/1")
        ws["requestContext"].update({"connectionId": "c",
                                     "eventType": "MESSAGE"})
        for ev in (alb, ws):
            code, out, _ = invoke(ev)
            self.assertEqual(out, {"route": "custom", "keys": "GET"})


class RegistrationTest(unittest.TestCase):
    def handler(self, root, name, text):
        with open(os.path.join(root, name + ".lua"), "w") as f:
            f.write(text)

    def test_load_errors(self):
        with tempfile.TemporaryDirectory() as root:
            self.handler(root, "dup", 'local r = require "router"\n'
                         'r.apigateway("/a/{x}", "GET", print)\n'
                         'r.apigateway("/a/{x}/", "get", print)\n')
            self.handler(root, "badpat", 'require("router").apigateway('
                         '"/a/{x+}/b", "GET", print)\n')
            self.handler(root, "noslash", 'require("router").apigateway('
                         '"a", "GET", print)\n')
            self.handler(root, "notfn", 'require("router").apigateway('
                         '"/a", "GET", 1)\n')
            for name, want in (("dup", "GET /a/{x}/ is already registered"),
                               ("badpat", "must be the last segment"),
                               ("noslash", "must start with '/'"),
                               ("notfn", "expected a function")):
                with self.subTest(handler=name):
                    code, out, err = invoke({}, name, root)
                    self.assertEqual(code, 2, err)
                    self.assertIn(want, err)

    def test_no_api_route_means_custom(self):
        with tempfile.TemporaryDirectory() as root:
            self.handler(root, "c", 'local r = require "router"\n'
                         'r.sqs(print)\n'
                         'r.custom(function(e) return e.rawPath end)\n')
            code, out, err = invoke(v2("GET", "/x"), "c", root)
            self.assertEqual((code, out), (0, "/x"), err)


if __name__ == "__main__":
    unittest.main()
