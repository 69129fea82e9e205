#!/usr/bin/env python3
"""Every non-Kafka event source through the real bootstrap, checked against
an independent model (tests/events/model.py).

Every fixture in tests/fixtures/events (real events from AWS's own
repositories, see its SOURCES.md) is run through `bootstrap --event F --root
handlers --handler dump`: the route that took it must be the one the
contract's table names, and every field Lua sees (bytes exactly, integers
apart from floats, decode_error naming the fields) must be what the model
derives from the JSON; record.raw and event.raw must be the delivered JSON.
Synthetic events then cover every rule one at a time: the bad values that
become decode_error, the wrong shapes that are invocation errors naming the
record and field, DynamoDB numbers, S3 keys, the fallback to router.custom
and the no-handler error, and a bad event in the Runtime API loop followed
by a good one.

Env: LRT_BOOTSTRAP (the built bootstrap), LRT_SOURCE_DIR (repo root).
"""

import base64
import json
import os
import subprocess
import sys
import tempfile
import unittest

sys.dont_write_bytecode = True  # no __pycache__ in the source tree

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("LRT_SOURCE_DIR") or os.path.dirname(os.path.dirname(HERE))
BOOT = os.environ.get("LRT_BOOTSTRAP") or os.path.join(SRC, "build", "bootstrap")
HANDLERS = os.path.join(HERE, "handlers")
FIXTURES = os.path.join(SRC, "tests", "fixtures", "events")
SANITIZE = os.environ.get("LRT_SANITIZE") == "1"
TIMEOUT = 120 if SANITIZE else 30

sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(SRC, "tests", "integration"))
import model  # noqa: E402


def invoke(event, handler="dump", root=HANDLERS, env=None):
    """Run one local invocation; returns (exit code, parsed stdout, stderr)."""
    data = event if isinstance(event, bytes) else json.dumps(event).encode()
    e = dict(os.environ)
    e.pop("AWS_LAMBDA_RUNTIME_API", None)
    e.update(env or {})
    r = subprocess.run([BOOT, "--event", "-", "--root", root, "--handler",
                        handler], input=data, capture_output=True, env=e,
                       timeout=TIMEOUT)
    out = r.stdout.decode().strip()
    out = json.loads(out) if out else None
    if isinstance(out, dict) and out.get("statusCode") == 200 and \
            "route" not in out:
        out = json.loads(out["body"])  # an API route's response
    return r.returncode, out, r.stderr.decode()


def split_errors(tagged_record):
    """decode_error (a string "<field>: <why>; ...") -> the field names."""
    fields = tagged_record["t"]
    de = fields.pop("decode_error", None)
    if de is None:
        return None
    text = bytes.fromhex(de["s"]).decode()
    return [part.split(": ", 1)[0] for part in text.split("; ")]


def normalise(ev, route):
    """Move decode_error out of the tagged event (as the model has it)."""
    if route in model.RECORDS:
        for rec in ev["t"]["records"]["t"].values():
            names = split_errors(rec)
            if names is not None:
                rec["t"]["decode_error"] = names
    else:
        names = split_errors(ev)
        if names is not None:
            ev["t"]["decode_error"] = names
    return ev


def expect_decode_errors(exp):
    """The model's records with decode_error lists, in the same form."""
    return exp


class FixtureTest(unittest.TestCase):
    """Each real sample: routed as the table says, decoded as the model says."""

    def test_every_fixture(self):
        names = sorted(f for f in os.listdir(FIXTURES) if f.endswith(".json"))
        self.assertGreater(len(names), 30)
        routes = set()
        for name in names:
            with self.subTest(fixture=name):
                with open(os.path.join(FIXTURES, name), "rb") as f:
                    text = f.read()
                ev = json.loads(text)
                route = model.route_of(ev)
                routes.add(route)
                code, out, err = invoke(text)
                self.assertEqual(code, 0, err)
                self.assertEqual(out["route"], route)
                if route == "custom":
                    self.assertEqual(out["event"], ev)
                    continue
                params = {}
                if route == "apigateway":
                    rp = bytes.fromhex(
                        out["event"]["t"]["route_path"]["s"]).decode()
                    seg = rp.strip("/")
                    params = {"proxy": seg} if seg else {}
                want = model.expected(ev, route, params)
                got = normalise(out["event"], route)
                self.assertEqual(got, want)
                # raw: the delivered JSON, for the event and each record.
                self.assertEqual(out["raw"], ev)
                if route in model.RECORDS:
                    self.assertEqual(out["record_raws"], ev["Records"])
        self.assertEqual(routes, {"sqs", "sns", "s3", "dynamodb", "kinesis",
                                  "eventbridge", "apigateway", "custom"})

    def test_known_bad_values_in_samples(self):
        """The AWS samples' own bad values are decode_errors, not failures."""
        cases = {
            "aws-powertools__powertools-lambda-python__sqsEvent.json":
                ("sqs", None),
            "aws__aws-lambda-go__sns-event.json":
                ("sns", "message_attributes.TestBinary"),
            "aws-powertools__powertools-lambda-python__"
            "apiGatewayProxyEventAnotherPath.json": ("apigateway", "body"),
        }
        for name, (route, field) in cases.items():
            with self.subTest(fixture=name):
                with open(os.path.join(FIXTURES, name), "rb") as f:
                    code, out, err = invoke(f.read())
                self.assertEqual(code, 0, err)
                self.assertEqual(out["route"], route)
                text = json.dumps(out["event"])
                if field is None:
                    # Number attribute: value from stringValue, the bad
                    # binaryValue beside it is not looked at.
                    self.assertNotIn("decode_error", text)
                else:
                    self.assertIn("decode_error", text)


# ---- synthetic events ---------------------------------------------------

def sqs_rec(i=1, **over):
    rec = {"messageId": "m%d" % i, "receiptHandle": "rh", "body": "b%d" % i,
           "attributes": {"ApproximateReceiveCount": "1"},
           "messageAttributes": {}, "md5OfBody": "x",
           "eventSource": "aws:sqs",
           "eventSourceARN": "arn:aws:sqs:us-east-1:1:q", "awsRegion": "r"}
    rec.update(over)
    return rec


def ddb_rec(i=1, new=None, keys=None):
    d = {"Keys": keys if keys is not None else {"id": {"N": str(i)}},
         "SequenceNumber": "10%d" % i, "StreamViewType": "NEW_IMAGE"}
    if new is not None:
        d["NewImage"] = new
    return {"eventID": "e%d" % i, "eventName": "INSERT",
            "eventSource": "aws:dynamodb", "awsRegion": "r",
            "eventSourceARN": "arn:aws:dynamodb:r:1:table/t/stream/x",
            "dynamodb": d}


def kin_rec(i=1, data="aGk=", **over):
    k = {"partitionKey": "p", "sequenceNumber": "49%d" % i, "data": data,
         "approximateArrivalTimestamp": 1.5, "kinesisSchemaVersion": "1.0"}
    k.update(over)
    return {"eventSource": "aws:kinesis", "eventID": "shardId-0:%d" % i,
            "eventSourceARN": "arn:aws:kinesis:r:1:stream/s",
            "awsRegion": "r", "kinesis": k}


def s3_rec(key, **obj):
    o = {"key": key, "size": 3, "eTag": "e", "sequencer": "q"}
    o.update(obj)
    return {"eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
            "s3": {"bucket": {"name": "bk"}, "object": o}}


class SyntheticTest(unittest.TestCase):
    def check_model(self, ev):
        route = model.route_of(ev)
        code, out, err = invoke(ev)
        self.assertEqual(code, 0, err)
        self.assertEqual(out["route"], route)
        self.assertEqual(normalise(out["event"], route),
                         model.expected(ev, route))
        return out

    def rec_of(self, out, i=1):
        return out["event"]["t"]["records"]["t"][str(i)]["t"]

    def expect_bad(self, ev, etype, *parts):
        code, out, err = invoke(ev)
        self.assertEqual(code, 1, err)
        self.assertEqual(out["errorType"], etype)
        for p in parts:
            self.assertIn(p, out["errorMessage"])
        return out

    def test_dynamodb_numbers(self):
        new = {"a": {"N": "42"}, "b": {"N": "-7"}, "c": {"N": "1.5"},
               "d": {"N": "1e3"}, "e": {"N": "9223372036854775807"},
               "f": {"N": "9223372036854775808"},
               "g": {"N": "-9223372036854775808"},
               "h": {"N": "12345678901234567890123456789012345678"},
               "i": {"N": "0.1"}, "j": {"N": "-0"}}
        out = self.check_model({"Records": [ddb_rec(1, new)]})
        img = self.rec_of(out)["new_image"]["t"]
        self.assertEqual(img["a"], {"i": "42"})
        self.assertEqual(img["d"], {"f": "1000"})
        self.assertEqual(img["e"], {"i": "9223372036854775807"})
        self.assertEqual(img["f"], {"f": "9.2233720368547758e+18"})
        self.assertEqual(img["g"], {"i": "-9223372036854775808"})

    def test_dynamodb_bad_numbers_are_decode_errors(self):
        for bad in ("abc", "0x10", " 1", "1.", ".5", "+1", "1e", "inf", ""):
            with self.subTest(n=bad):
                new = {"ok": {"S": "x"}, "n": {"N": bad}}
                out = self.check_model({"Records": [ddb_rec(1, new)]})
                rec = self.rec_of(out)
                self.assertNotIn("n", rec["new_image"]["t"])
                self.assertEqual(rec["decode_error"], ["new_image.n"])

    def test_dynamodb_all_types(self):
        new = {"s": {"S": "x"}, "b": {"B": "AAEC"}, "t": {"BOOL": True},
               "z": {"NULL": True},
               "m": {"M": {"in": {"L": [{"N": "1"}, {"S": "two"}]}}},
               "l": {"L": []}, "ss": {"SS": ["a", "b"]},
               "ns": {"NS": ["1", "2.5"]}, "bs": {"BS": ["AA==", "AQ=="]},
               "bad_bs": {"BS": ["AA==", "???"]},
               "deep": {"L": [{"M": {"x": {"N": "bad"}}}]}}
        out = self.check_model({"Records": [ddb_rec(1, new)]})
        rec = self.rec_of(out)
        self.assertEqual(rec["new_image"]["t"]["b"], {"s": "000102"})
        self.assertEqual(rec["new_image"]["t"]["z"], {"null": True})
        self.assertNotIn("bad_bs", rec["new_image"]["t"])
        self.assertIn("new_image.bad_bs", rec["decode_error"])

    def test_dynamodb_wrong_shapes_fail_naming_record_and_field(self):
        cases = [
            ({"x": {"S": "a", "N": "1"}}, "new_image.x"),  # two types
            ({"x": {}}, "new_image.x"),
            ({"x": {"Q": "1"}}, "unknown attribute type"),
            ({"x": {"S": 1}}, "new_image.x"),
            ({"x": {"N": 1}}, "new_image.x"),
            ({"x": {"BOOL": "true"}}, "new_image.x"),
            ({"x": {"L": {}}}, "new_image.x"),
            ({"x": {"M": []}}, "new_image.x"),
            ({"x": "plain"}, "new_image.x"),
        ]
        for new, part in cases:
            with self.subTest(new=new):
                ev = {"Records": [ddb_rec(1), ddb_rec(2, new)]}
                self.expect_bad(ev, "DynamoDB.InvalidEvent", "record #2", part)

    def test_dynamodb_deep_nesting_is_an_error_not_a_crash(self):
        v = {"S": "x"}
        for _ in range(300):
            v = {"L": [v]}
        self.expect_bad({"Records": [ddb_rec(1, {"x": v})]},
                        "DynamoDB.InvalidEvent", "nesting")

    def test_sqs_attributes_and_bad_binary(self):
        attrs = {"s": {"dataType": "String", "stringValue": "v"},
                 "n": {"dataType": "Number.float", "stringValue": "1.50"},
                 "b": {"dataType": "Binary", "binaryValue": "AP8="},
                 "bad": {"dataType": "Binary.x", "binaryValue": "A P8="}}
        out = self.check_model({"Records": [sqs_rec(1,
                                                     messageAttributes=attrs)]})
        rec = self.rec_of(out)
        ma = rec["message_attributes"]["t"]
        self.assertEqual(ma["b"]["t"]["value"], {"s": "00ff"})
        self.assertEqual(ma["n"]["t"]["value"], {"s": b"1.50".hex()})
        self.assertNotIn("value", ma["bad"]["t"])
        self.assertEqual(rec["decode_error"], ["message_attributes.bad"])

    def test_sqs_empty_and_null_body(self):
        for body in ("", None):
            out = self.check_model({"Records": [sqs_rec(1, body=body)]})
            self.assertEqual(self.rec_of(out)["body"], {"s": ""})

    def test_sqs_wrong_shapes(self):
        self.expect_bad({"Records": [sqs_rec(1), sqs_rec(2, messageId=5)]},
                        "SQS.InvalidEvent", "record #2", "messageId")
        self.expect_bad({"Records": [sqs_rec(1), sqs_rec(2, body=[1])]},
                        "SQS.InvalidEvent", "record #2", "body")
        self.expect_bad({"Records": [sqs_rec(1, messageAttributes={
            "a": {"dataType": "Weird", "stringValue": "x"}})]},
            "SQS.InvalidEvent", "record #1", "messageAttributes")
        self.expect_bad({"Records": [sqs_rec(1), "x"]}, "SQS.InvalidEvent",
                        "record #2", "Records")

    def test_kinesis_data_and_bad_data(self):
        data = base64.b64encode(bytes(range(256))).decode()
        out = self.check_model({"Records": [kin_rec(1, data),
                                            kin_rec(2, "not base64!"),
                                            kin_rec(3, "aGk")]})
        self.assertEqual(self.rec_of(out, 1)["data"],
                         {"s": bytes(range(256)).hex()})
        self.assertEqual(self.rec_of(out, 2)["decode_error"], ["data"])
        self.assertEqual(self.rec_of(out, 3)["decode_error"], ["data"])
        self.expect_bad({"Records": [kin_rec(1, data=7)]},
                        "Kinesis.InvalidEvent", "record #1", "data")

    def test_s3_keys(self):
        for key, want in (("a+b%2Bc", b"a b+c"), ("%E2%82%AC", "€".encode()),
                          ("plain", b"plain"), ("%41%4a", b"AJ")):
            with self.subTest(key=key):
                out = self.check_model({"Records": [s3_rec(key)]})
                self.assertEqual(self.rec_of(out)["key"], {"s": want.hex()})
        for key in ("100%", "%zz", "%4"):
            with self.subTest(key=key):
                out = self.check_model({"Records": [s3_rec(key)]})
                self.assertEqual(self.rec_of(out)["decode_error"], ["key"])
        self.expect_bad({"Records": [s3_rec("k", size="3")]},
                        "S3.InvalidEvent", "record #1", "size")
        self.expect_bad({"Records": [{"eventSource": "aws:s3",
                                      "eventName": "x"}]},
                        "S3.InvalidEvent", "record #1", "s3")

    # A \u0000 is a byte like any other: no string stops at it.
    def test_nul_in_sqs_body_and_attribute(self):
        nul = "a\u0000b"
        attrs = {"k\u0000x": {"dataType": "String", "stringValue": nul}}
        out = self.check_model({"Records": [
            sqs_rec(1, body=nul, messageAttributes=attrs)]})
        rec = self.rec_of(out)
        self.assertEqual(rec["body"], {"s": b"a\0b".hex()})
        self.assertEqual(rec["message_attributes"]["t"]["k\u0000x"]["t"]
                         ["value"], {"s": b"a\0b".hex()})

    def test_nul_in_sns_message(self):
        nul = "a\u0000b"
        sns = {"EventSource": "aws:sns", "EventSubscriptionArn": "arn",
               "Sns": {"Type": "Notification", "MessageId": "m",
                       "TopicArn": "arn", "Message": nul,
                       "Timestamp": "t", "MessageAttributes": {}}}
        out = self.check_model({"Records": [sns]})
        self.assertEqual(self.rec_of(out)["message"], {"s": b"a\0b".hex()})

    def test_nul_in_kinesis_partition_key(self):
        nul = "a\u0000b"
        out = self.check_model({"Records": [kin_rec(1, partitionKey=nul)]})
        self.assertEqual(self.rec_of(out)["partition_key"],
                         {"s": b"a\0b".hex()})

    def test_nul_in_dynamodb_s_value_and_map_key(self):
        nul = "a\u0000b"
        out = self.check_model({"Records": [ddb_rec(1, new={
            "m\u0000k": {"S": nul}, "ss": {"SS": [nul]}})]})
        img = self.rec_of(out)["new_image"]["t"]
        self.assertEqual(img["m\u0000k"], {"s": b"a\0b".hex()})
        self.assertEqual(img["ss"]["t"]["1"], {"s": b"a\0b".hex()})

    def test_nul_ends_no_number_tag_or_source_early(self):
        """An N with a \\u0000 inside is no number, a type tag with one no
        type, eventSource "aws:sqs\\u0000" no SQS record."""
        out = self.check_model({"Records": [ddb_rec(1, new={
            "n": {"N": "1\u00002"}})]})
        self.assertEqual(self.rec_of(out)["decode_error"], ["new_image.n"])
        self.expect_bad({"Records": [ddb_rec(1, new={"x": {"S\u0000": "a"}})]},
                        "DynamoDB.InvalidEvent", "unknown attribute type")
        self.assertEqual(invoke({"Records": [
            sqs_rec(1, eventSource="aws:sqs\u0000")]})[1]["route"], "custom")

    def test_nul_in_api_gateway_header_body_path_query(self):
        nul = "a\u0000b"
        api = {"resource": "/{proxy+}", "path": "/p\u0000q",
               "httpMethod": "POST", "headers": {"X-N\u0000ul": nul},
               "multiValueQueryStringParameters": {"q": [nul]},
               "queryStringParameters": {"q": nul}, "body": nul,
               "isBase64Encoded": False,
               "requestContext": {"stage": "prod", "requestId": "r"}}
        code, out, err = invoke(api)
        self.assertEqual(code, 0, err)
        self.assertEqual(out["route"], "apigateway")
        got = normalise(out["event"], "apigateway")
        self.assertEqual(got, model.expected(api, "apigateway",
                                             {"proxy": "p\u0000q"}))
        ev = got["t"]
        self.assertEqual(ev["body"], {"s": b"a\0b".hex()})
        self.assertEqual(ev["headers"]["t"]["x-n\u0000ul"],
                         {"s": b"a\0b".hex()})
        self.assertEqual(ev["path"], {"s": b"/p\0q".hex()})
        v2 = {"version": "2.0", "rawPath": "/st\u0000/x", "routeKey": "$default",
              "rawQueryString": "a=%00&b=x\u0000y", "headers": {},
              "requestContext": {"stage": "st\u0000",
                                 "http": {"method": "GET"}}}
        code, out, err = invoke(v2)
        self.assertEqual(code, 0, err)
        ev = out["event"]["t"]
        self.assertEqual(ev["route_path"], {"s": b"/x".hex()})
        self.assertEqual(ev["query_all"]["t"]["b"]["t"]["1"],
                         {"s": b"x\0y".hex()})

    def test_envelopes_route_by_outer_source(self):
        inner = json.dumps({"Records": [s3_rec("k")]})
        code, out, err = invoke({"Records": [sqs_rec(1, body=inner)]})
        self.assertEqual(out["route"], "sqs")
        test_event = {"Service": "Amazon S3", "Event": "s3:TestEvent",
                      "Bucket": "b"}
        self.assertEqual(invoke(test_event)[1]["route"], "custom")
        lattice = {"method": "GET", "raw_path": "/x", "headers": {},
                   "requestContext": {"serviceNetworkArn": "arn"}}
        self.assertEqual(invoke(lattice)[1]["route"], "custom")

    def test_no_route_goes_to_custom_else_no_handler_error(self):
        with tempfile.TemporaryDirectory() as root:
            with open(os.path.join(root, "only_custom.lua"), "w") as f:
                f.write('require("router").custom(function(e) '
                        'return { custom = e.Records[1].messageId } end)\n')
            with open(os.path.join(root, "only_sns.lua"), "w") as f:
                f.write('require("router").sns(function() end)\n')
            kafka_ev = {"eventSource": "aws:kafka", "records": {"t-0": [{
                "topic": "t", "partition": 0, "offset": 5, "value": "AA=="}]}}
            with open(os.path.join(root, "kafka_custom.lua"), "w") as f:
                f.write('require("router").custom(function(e) '
                        'return e.records["t-0"][1].value end)\n')
            code, out, err = invoke(kafka_ev, "kafka_custom", root)
            self.assertEqual((code, out), (0, "AA=="), err)
            code, out, err = invoke(kafka_ev, "only_sns", root)
            self.assertEqual(out["errorType"], "Runtime.NoHandler")
            self.assertIn("'kafka'", out["errorMessage"])
            ev = {"Records": [sqs_rec(1)]}
            code, out, err = invoke(ev, "only_custom", root)
            self.assertEqual((code, out), (0, {"custom": "m1"}), err)
            code, out, err = invoke(ev, "only_sns", root)
            self.assertEqual(code, 1)
            self.assertEqual(out["errorType"], "Runtime.NoHandler")
            self.assertIn("'sqs'", out["errorMessage"])
            self.assertIn("router\").sqs(fn)", out["errorMessage"])

    def test_registration_rules(self):
        with tempfile.TemporaryDirectory() as root:
            cases = {
                "twice": 'local r = require "router"\n'
                         'r.sqs(function() end) r.sqs(function() end)\n',
                "late": 'local r = require "router"\n'
                        'r.custom(function() r.kinesis(function() end) end)\n',
                "notfn": 'require("router").dynamodb(42)\n',
            }
            for name, code_text in cases.items():
                with open(os.path.join(root, name + ".lua"), "w") as f:
                    f.write(code_text)
            code, out, err = invoke({}, "twice", root)
            self.assertEqual(code, 2)
            self.assertIn("router.sqs: a handler is already registered", err)
            code, out, err = invoke({}, "notfn", root)
            self.assertEqual(code, 2)
            self.assertIn("router.dynamodb: expected a function", err)
            code, out, err = invoke({}, "late", root)
            self.assertEqual(code, 1)
            self.assertIn("router.kinesis: can only register during init",
                          out["errorMessage"])

    def test_eventbridge_fields(self):
        ev = {"version": "0", "id": "i", "detail-type": "T", "source": "s",
              "account": "1", "time": "t", "region": "r", "resources": [],
              "detail": {"n": None, "a": [1, 2.5]}}
        self.check_model(ev)
        ev["detail"] = None
        self.check_model(ev)
        ev["resources"] = "x"
        self.expect_bad(ev, "EventBridge.InvalidEvent", "resources")

    def test_not_json_and_records_not_array(self):
        self.expect_bad(b'{"Records": [', "Runtime.InvalidEvent", "JSON")
        code, out, _ = invoke({"Records": {"eventSource": "aws:sqs"}})
        self.assertEqual(out["route"], "custom")

    def test_large_sqs_batch(self):
        body = "x" * 500
        ev = {"Records": [sqs_rec(i, body=body) for i in range(1, 10001)]}
        with tempfile.TemporaryDirectory() as root:
            with open(os.path.join(root, "count.lua"), "w") as f:
                f.write('require("router").sqs(function(e) local n = 0 '
                        'for _, r in ipairs(e.records) do n = n + #r.body end '
                        'return { n = #e.records, bytes = n, '
                        'last = e.records[10000].raw.messageId } end)\n')
            code, out, err = invoke(ev, "count", root)
        self.assertEqual(code, 0, err)
        self.assertEqual(out, {"n": 10000, "bytes": 5000000,
                               "last": "m10000"})


class LoopTest(unittest.TestCase):
    def run_loop(self, bodies, handler):
        from mock_runtime_api import MockRuntimeAPI
        with MockRuntimeAPI() as api:
            ids = [api.push_event(b) for b in bodies]
            env = dict(os.environ)
            env.update({"AWS_LAMBDA_RUNTIME_API": api.endpoint,
                        "_HANDLER": handler, "LAMBDA_TASK_ROOT": HANDLERS})
            proc = subprocess.Popen([BOOT], env=env, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE)
            try:
                api.wait_for_posts(len(bodies), timeout=TIMEOUT)
            finally:
                proc.terminate()
                try:
                    proc.communicate(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.communicate()
            posts = {p.request_id: p for p in api.get_posts()}
        return [posts[i] for i in ids]

    def test_raw_after_its_invocation_is_an_error(self):
        first, second = self.run_loop(
            [json.dumps({"Records": [sqs_rec(1)]}).encode(),
             json.dumps({"Records": [sqs_rec(2)]}).encode()], "stash")
        self.assertEqual(first.json(), {"first": "m1"})
        got = second.json()
        self.assertEqual(got["ok"], False)
        self.assertIn("only available during the invocation", got["err"])
        self.assertEqual(got["now"], "m2")

    def test_bad_event_then_good_event_in_runtime_loop(self):
        good = json.dumps({"Records": [kin_rec(1)]}).encode()
        bad = json.dumps({"Records": [ddb_rec(1, {"x": {"S": "a", "N": "1"}})]})
        bad_post, trunc_post, good_post = self.run_loop(
            [bad.encode(), good[:30], good], "dump")
        self.assertEqual(bad_post.kind, "error")
        self.assertEqual(bad_post.json()["errorType"], "DynamoDB.InvalidEvent")
        self.assertEqual(trunc_post.kind, "error")
        self.assertEqual(good_post.kind, "response")
        self.assertEqual(good_post.json()["route"], "kinesis")


if __name__ == "__main__":
    unittest.main()
