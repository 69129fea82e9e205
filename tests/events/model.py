"""An independent model of what Lua sees for every non-Kafka event source.

Computed from the JSON alone, with the contract's rules ("Every Lambda event
source") and this project's documented choices (docs/events.md), written
without looking at the C: its own base64 and URL decoders, its own DynamoDB
number grammar. Values come out in the tagged form tests/events/handlers/
tagged.lua produces: {"s": hex} strings, {"i": "n"} / {"f": "%.17g"}
numbers, {"b": bool}, {"null": true}, {"t": {key: value}} tables.

Python 3.11 standard library only.
"""

import re

B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


class Bad(Exception):
    """The event has the wrong shape: the runtime must fail the invocation."""


class BadValue(Exception):
    """A value inside a record is bad: the field is nil, decode_error set."""


def b64(text):
    """Padded standard base64; trailing bits ignored. A bit-string decoder."""
    if len(text) % 4:
        raise BadValue("not base64")
    n = len(text)
    pad = 0
    while pad < 2 and n and text[n - 1] == "=":
        n, pad = n - 1, pad + 1
    body = text[:n]
    if any(c not in B64 for c in body) or n % 4 == 1:
        raise BadValue("not base64")
    bits = "".join(format(B64.index(c), "06b") for c in body)
    return bytes(int(bits[i:i + 8], 2) for i in range(0, len(bits) // 8 * 8, 8))


def url(text, plus):
    out = bytearray()
    raw = text.encode()
    i = 0
    while i < len(raw):
        c = raw[i]
        if c == 0x25:
            h = raw[i + 1:i + 3]
            if len(h) < 2 or not re.fullmatch(rb"[0-9A-Fa-f]{2}", h):
                raise BadValue("bad % escape")
            out.append(int(h, 16))
            i += 3
            continue
        out.append(0x20 if (plus and c == 0x2B) else c)
        i += 1
    return bytes(out)


def s(v):
    if isinstance(v, str):
        v = v.encode()
    return {"s": v.hex()}


def num(d):
    d = float(d)
    if d.is_integer() and -2.0**63 <= d < 2.0**63:
        return {"i": str(int(d))}
    return {"f": "%.17g" % d}


def tagged_json(v):
    """A JSON value as json.decode gives it to Lua."""
    if v is None:
        return {"null": True}
    if isinstance(v, bool):
        return {"b": v}
    if isinstance(v, (int, float)):
        return num(v)
    if isinstance(v, str):
        return s(v)
    if isinstance(v, list):
        return {"t": {str(i + 1): tagged_json(x) for i, x in enumerate(v)}}
    return {"t": {k: tagged_json(x) for k, x in v.items()}}


def seq(items):
    return {"t": {str(i + 1): x for i, x in enumerate(items)}}


class Record:
    """Collects one record's fields and decode errors."""

    def __init__(self):
        self.fields = {}
        self.errors = []

    def put(self, key, value):
        self.fields[key] = value

    def bad(self, field):
        self.errors.append(field)

    def done(self):
        out = dict(self.fields)
        if self.errors:
            out["decode_error"] = self.errors  # fields named, in order
        return out


def get_str(obj, name, required=False):
    v = obj.get(name)
    if v is None:
        if required:
            raise Bad(name)
        return None
    if not isinstance(v, str):
        raise Bad(name)
    return v


def get_obj(obj, name, required=False):
    v = obj.get(name)
    if v is None:
        if required:
            raise Bad(name)
        return None
    if not isinstance(v, dict):
        raise Bad(name)
    return v


def opt_str(r, key, obj, name, required=False):
    v = get_str(obj, name, required)
    if v is not None:
        r.put(key, s(v))


# ---- per source --------------------------------------------------------

def sqs(rec):
    r = Record()
    opt_str(r, "message_id", rec, "messageId", True)
    opt_str(r, "receipt_handle", rec, "receiptHandle")
    r.put("body", s(get_str(rec, "body") or ""))
    opt_str(r, "md5_of_body", rec, "md5OfBody")
    opt_str(r, "event_source_arn", rec, "eventSourceARN")
    opt_str(r, "aws_region", rec, "awsRegion")
    if get_obj(rec, "attributes") is not None:
        r.put("attributes", tagged_json(rec["attributes"]))
    attrs = {}
    for name, a in (get_obj(rec, "messageAttributes") or {}).items():
        if not isinstance(a, dict):
            raise Bad("messageAttributes")
        dt = get_str(a, "dataType", True)
        one = {"data_type": s(dt)}
        if dt.startswith("Binary"):
            v = get_str(a, "binaryValue")
            if v is not None:
                try:
                    one["value"] = s(b64(v))
                except BadValue:
                    r.bad("message_attributes." + name)
        elif dt.startswith("String") or dt.startswith("Number"):
            v = get_str(a, "stringValue")
            if v is not None:
                one["value"] = s(v)
        else:
            raise Bad("messageAttributes")
        attrs[name] = {"t": one}
    r.put("message_attributes", {"t": attrs})
    return r.done()


def sns(rec):
    r = Record()
    n = get_obj(rec, "Sns", True)
    opt_str(r, "message", n, "Message", True)
    opt_str(r, "subject", n, "Subject")
    opt_str(r, "message_id", n, "MessageId", True)
    opt_str(r, "topic_arn", n, "TopicArn")
    opt_str(r, "timestamp", n, "Timestamp")
    opt_str(r, "type", n, "Type")
    opt_str(r, "event_subscription_arn", rec, "EventSubscriptionArn")
    attrs = {}
    for name, a in (get_obj(n, "MessageAttributes") or {}).items():
        if not isinstance(a, dict):
            raise Bad("MessageAttributes")
        t = get_str(a, "Type", True)
        v = get_str(a, "Value")
        one = {"type": s(t)}
        if v is not None and t == "Binary":
            try:
                one["value"] = s(b64(v))
            except BadValue:
                r.bad("message_attributes." + name)
        elif v is not None:
            one["value"] = s(v)
        attrs[name] = {"t": one}
    r.put("message_attributes", {"t": attrs})
    return r.done()


def s3(rec):
    r = Record()
    opt_str(r, "event_name", rec, "eventName", True)
    opt_str(r, "event_time", rec, "eventTime")
    opt_str(r, "aws_region", rec, "awsRegion")
    o3 = get_obj(rec, "s3", True)
    bucket = get_obj(o3, "bucket", True)
    obj = get_obj(o3, "object", True)
    opt_str(r, "bucket", bucket, "name", True)
    try:
        r.put("key", s(url(get_str(obj, "key", True), True)))
    except BadValue:
        r.bad("key")
    size = obj.get("size")
    if size is not None:
        if isinstance(size, bool) or not isinstance(size, (int, float)) \
                or size < 0 or float(size) != int(size):
            raise Bad("size")
        r.put("size", {"i": str(int(size))})
    opt_str(r, "etag", obj, "eTag")
    opt_str(r, "version_id", obj, "versionId")
    opt_str(r, "sequencer", obj, "sequencer")
    return r.done()


NUM = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?")


def ddb_number(text, r, path):
    if not isinstance(text, str):
        raise Bad(path)
    if not NUM.fullmatch(text):
        r.bad(path)
        return None
    if re.fullmatch(r"-?[0-9]+", text) and -2**63 <= int(text) < 2**63:
        return {"i": str(int(text))}
    return {"f": "%.17g" % float(text)}


def ddb_bytes(text, r, path):
    if not isinstance(text, str):
        raise Bad(path)
    try:
        return s(b64(text))
    except BadValue:
        r.bad(path)
        return None


def ddb_value(av, r, path):
    """The Lua value, or None for nil (a bad value inside)."""
    if not isinstance(av, dict) or len(av) != 1:
        raise Bad(path)
    (tag, v), = av.items()
    if tag == "S":
        if not isinstance(v, str):
            raise Bad(path)
        return s(v)
    if tag == "N":
        return ddb_number(v, r, path)
    if tag == "B":
        return ddb_bytes(v, r, path)
    if tag in ("BOOL", "NULL"):
        if not isinstance(v, bool):
            raise Bad(path)
        return {"b": v} if tag == "BOOL" else {"null": True}
    if tag == "M":
        if not isinstance(v, dict):
            raise Bad(path)
        return ddb_map(v, r, path)
    if tag in ("L", "SS", "NS", "BS"):
        if not isinstance(v, list):
            raise Bad(path)
        out = []
        for e in v:
            if tag == "SS":
                if not isinstance(e, str):
                    raise Bad(path)
                out.append(s(e))
            elif tag == "NS":
                out.append(ddb_number(e, r, path))
            elif tag == "BS":
                out.append(ddb_bytes(e, r, path))
            else:
                out.append(ddb_value(e, r, path))
        if any(x is None for x in out):
            return None
        return seq(out)
    raise Bad(path)


def ddb_map(m, r, path):
    out = {}
    for k, av in m.items():
        v = ddb_value(av, r, path + "." + k)
        if v is not None:
            out[k] = v
    return {"t": out}


def dynamodb(rec):
    r = Record()
    opt_str(r, "event_name", rec, "eventName", True)
    opt_str(r, "event_id", rec, "eventID")
    opt_str(r, "event_source_arn", rec, "eventSourceARN")
    opt_str(r, "aws_region", rec, "awsRegion")
    d = get_obj(rec, "dynamodb", True)
    opt_str(r, "sequence_number", d, "SequenceNumber", True)
    for name, key in (("Keys", "keys"), ("NewImage", "new_image"),
                      ("OldImage", "old_image")):
        img = get_obj(d, name)
        if img is not None:
            r.put(key, ddb_map(img, r, key))
    r.fields.setdefault("keys", {"t": {}})
    return r.done()


def kinesis(rec):
    r = Record()
    opt_str(r, "event_id", rec, "eventID")
    opt_str(r, "event_source_arn", rec, "eventSourceARN")
    opt_str(r, "aws_region", rec, "awsRegion")
    k = get_obj(rec, "kinesis", True)
    opt_str(r, "partition_key", k, "partitionKey", True)
    opt_str(r, "sequence_number", k, "sequenceNumber", True)
    ts = k.get("approximateArrivalTimestamp")
    if ts is not None:
        if isinstance(ts, bool) or not isinstance(ts, (int, float)):
            raise Bad("approximateArrivalTimestamp")
        r.put("approximate_arrival_timestamp", num(ts))
    try:
        r.put("data", s(b64(get_str(k, "data", True))))
    except BadValue:
        r.bad("data")
    return r.done()


RECORDS = {"sqs": (sqs, "eventSource"), "sns": (sns, "EventSource"),
           "s3": (s3, "eventSource"), "dynamodb": (dynamodb, "eventSource"),
           "kinesis": (kinesis, "eventSource")}


def route_of(ev):
    """The route the contract's table sends 'ev' to (custom when none)."""
    if not isinstance(ev, dict):
        return "custom"
    if ev.get("eventSource") in ("aws:kafka", "SelfManagedKafka",
                                 "aws:SelfManagedKafka"):
        return "kafka"
    recs = ev.get("Records")
    if isinstance(recs, list) and recs and isinstance(recs[0], dict):
        first = recs[0]
        for name in ("sqs", "s3", "dynamodb", "kinesis"):
            if first.get("eventSource") == "aws:" + name:
                return name
        if first.get("EventSource") == "aws:sns":
            return "sns"
    if "source" in ev and "detail-type" in ev:
        return "eventbridge"
    ctx = ev.get("requestContext")
    if not isinstance(ctx, dict):
        return "custom"
    if ev.get("version") == "2.0" and isinstance(ctx.get("http"), dict):
        return "apigateway"
    if "httpMethod" in ev and "resource" in ev and not (
            "elb" in ctx or "connectionId" in ctx or "eventType" in ctx):
        return "apigateway"
    return "custom"


def record_event(ev, route):
    fn, src_key = RECORDS[route]
    recs = ev["Records"]
    out = []
    for rec in recs:
        if not isinstance(rec, dict):
            raise Bad("Records")
        out.append(fn(rec))
    return {"event_source": s(get_str(recs[0], src_key, True)),
            "records": out}


def eventbridge(ev):
    r = Record()
    opt_str(r, "source", ev, "source", True)
    opt_str(r, "detail_type", ev, "detail-type", True)
    for k in ("id", "time", "region", "account", "version"):
        opt_str(r, k, ev, k)
    if "detail" in ev:
        r.put("detail", tagged_json(ev["detail"]))
    res = ev.get("resources") or []
    if not isinstance(res, list) or not all(isinstance(x, str) for x in res):
        raise Bad("resources")
    r.put("resources", seq([s(x) for x in res]))
    return r.done()


def form_pairs(q):
    out = {}
    for part in q.split("&"):
        if not part:
            continue
        name, eq, value = part.partition("=")
        try:
            n = url(name, True)
            v = url(value, True) if eq else b""
        except BadValue:
            continue
        out.setdefault(n.decode("latin-1"), []).append(v)
    return out


def apigateway(ev, path_params):
    r = Record()
    ctx = get_obj(ev, "requestContext", True)
    stage = get_str(ctx, "stage")
    v2 = ev.get("version") == "2.0" and isinstance(ctx.get("http"), dict)
    r.put("version", s("2.0" if v2 else "1.0"))
    if v2:
        opt_str(r, "method", get_obj(ctx, "http", True), "method", True)
        path = get_str(ev, "rawPath", True)
    else:
        opt_str(r, "method", ev, "httpMethod", True)
        path = get_str(ev, "path", True)
    r.put("path", s(path))
    route = path
    if v2 and stage is not None and stage != "$default":
        pre = "/" + stage
        if path == pre or path.startswith(pre + "/"):
            route = path[len(pre):] or "/"
    r.put("route_path", s(route))
    if stage is not None:
        r.put("stage", s(stage))
    query = get_obj(ev, "queryStringParameters") or {}
    r.put("query", {"t": {k: s(v) for k, v in query.items()}})
    multi = None if v2 else get_obj(ev, "multiValueQueryStringParameters")
    raw_q = get_str(ev, "rawQueryString") if v2 else None
    if multi is not None:
        qa = {k: seq([s(x) for x in v]) for k, v in multi.items()}
    elif raw_q:
        qa = {}
        for k, vs in form_pairs(raw_q).items():
            qa[k] = seq([s(x) for x in vs])
    else:
        qa = {k: seq([s(v)]) for k, v in query.items()}
    r.put("query_all", {"t": qa})
    headers = {}
    for k, v in (get_obj(ev, "headers") or {}).items():
        headers.setdefault(k.lower(), s(v))
    r.put("headers", {"t": headers})
    if v2:
        r.put("cookies", seq([s(c) for c in ev.get("cookies") or []]))
    body = get_str(ev, "body")
    if body is not None and ev.get("isBase64Encoded") is True:
        try:
            r.put("body", s(b64(body)))
        except BadValue:
            r.bad("body")
    elif body is not None:
        r.put("body", s(body))
    r.put("path_params", {"t": {k: s(v) for k, v in path_params.items()}})
    r.put("request_context", tagged_json(ev["requestContext"]))
    return r.done()


def expected(ev, route, path_params=None):
    """The event table Lua sees for 'ev' taken by 'route'."""
    if route in RECORDS:
        e = record_event(ev, route)
        e["records"] = seq([wrap(x) for x in e["records"]])
        return {"t": e}
    if route == "eventbridge":
        return wrap(eventbridge(ev))
    return wrap(apigateway(ev, path_params or {}))


def wrap(fields):
    return {"t": fields}
