"""A validator for CloudWatch Embedded Metric Format records, written from the
EMF specification (docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/
CloudWatch_Embedded_Metric_Format_Specification.html) and CloudWatch's limits:

* the record is one JSON object, at most 256 KB (a CloudWatch Logs event);
* `_aws` holds `Timestamp` (a number: epoch milliseconds) and
  `CloudWatchMetrics`, an array of MetricDirectives, and nothing else is
  required; members defined by the specification are case-sensitive;
* a MetricDirective has `Namespace` (a string of 1 to 255 characters),
  `Dimensions` (an array of DimensionSets) and `Metrics` (an array of at
  most 100 MetricDefinitions), and no other member;
* a DimensionSet is an array of at most 30 dimension names, each naming a
  member of the root whose value is a string (1 to 1024 characters); names
  are 1 to 255 characters and do not start with ':'; CloudWatch takes
  dimension names and values of ASCII with a non-space character;
* a Namespace is made of letters, digits, '.', '-', '_', '/', '#', ':' and
  spaces, and does not start with "AWS/" (CloudWatch's rule);
* a MetricDefinition has `Name` (1 to 255 characters) naming a member of the
  root whose value is a number or an array of at most 100 numbers, an
  optional `Unit` from CloudWatch's list, an optional `StorageResolution`
  of 1 or 60, and no other member; a metric is defined once per directive.

Python 3.11 standard library only.
"""

import json
import math
import re

UNITS = {
    "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes",
    "Megabytes", "Gigabytes", "Terabytes", "Bits", "Kilobits", "Megabits",
    "Gigabits", "Terabits", "Percent", "Count", "Bytes/Second",
    "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second",
    "Terabytes/Second", "Bits/Second", "Kilobits/Second", "Megabits/Second",
    "Gigabits/Second", "Terabits/Second", "Count/Second", "None",
}
MAX_RECORD = 256 * 1024
MAX_METRICS = 100
MAX_DIMENSIONS = 30
MAX_VALUES = 100


class EMFError(AssertionError):
    pass


def _check(cond, msg):
    if not cond:
        raise EMFError(msg)


def _is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and \
        math.isfinite(v)


def _name(n, what):
    _check(isinstance(n, str) and 1 <= len(n) <= 255,
           "%s must be a string of 1 to 255 characters: %r" % (what, n))


def validate(line):
    """Validate one EMF record (its text); returns the decoded object."""
    raw = line.encode("utf-8") if isinstance(line, str) else line
    _check(len(raw) <= MAX_RECORD, "record over 256 KB: %d bytes" % len(raw))
    rec = json.loads(raw)
    _check(isinstance(rec, dict), "the root is not an object")
    aws = rec.get("_aws")
    _check(isinstance(aws, dict), "_aws is missing or not an object")
    _check(_is_number(aws.get("Timestamp")), "_aws.Timestamp is not a number")
    _check(aws["Timestamp"] > 1e12, "_aws.Timestamp is not epoch milliseconds")
    directives = aws.get("CloudWatchMetrics")
    _check(isinstance(directives, list) and directives,
           "_aws.CloudWatchMetrics is not a non-empty array")
    for d in directives:
        _check(isinstance(d, dict), "a MetricDirective is not an object")
        _check(set(d) <= {"Namespace", "Dimensions", "Metrics"},
               "unknown MetricDirective members: %r" % sorted(d))
        _name(d.get("Namespace"), "Namespace")
        _check(re.fullmatch(r"[A-Za-z0-9._/#: -]+", d["Namespace"]) and
               not d["Namespace"].startswith("AWS/"),
               "Namespace %r has characters CloudWatch refuses or starts "
               "with AWS/" % d["Namespace"])
        dims = d.get("Dimensions")
        _check(isinstance(dims, list), "Dimensions is not an array")
        for ds in dims:
            _check(isinstance(ds, list), "a DimensionSet is not an array")
            _check(len(ds) <= MAX_DIMENSIONS,
                   "a DimensionSet has %d dimensions (max 30)" % len(ds))
            for dn in ds:
                _name(dn, "a dimension name")
                _check(not dn.startswith(":"), "dimension name starts with ':'")
                v = rec.get(dn)
                _check(isinstance(v, str) and 1 <= len(v) <= 1024,
                       "dimension %r has no string value of 1 to 1024 "
                       "characters in the root: %r" % (dn, v))
                for text in (dn, v):
                    _check(re.fullmatch(r"[\x20-\x7e]*[\x21-\x7e][\x20-\x7e]*", text),
                           "dimension name or value %r is not printable ASCII "
                           "with a non-space character" % text)
        metrics = d.get("Metrics")
        _check(isinstance(metrics, list), "Metrics is not an array")
        _check(len(metrics) <= MAX_METRICS,
               "%d MetricDefinitions in one directive (max 100)" % len(metrics))
        seen = set()
        for m in metrics:
            _check(isinstance(m, dict), "a MetricDefinition is not an object")
            _check(set(m) <= {"Name", "Unit", "StorageResolution"},
                   "unknown MetricDefinition members: %r" % sorted(m))
            _name(m.get("Name"), "a metric Name")
            _check(m["Name"] not in seen, "metric %r defined twice" % m["Name"])
            seen.add(m["Name"])
            if "Unit" in m:
                _check(m["Unit"] in UNITS, "unknown Unit %r" % m["Unit"])
            if "StorageResolution" in m:
                _check(m["StorageResolution"] in (1, 60),
                       "StorageResolution must be 1 or 60")
            v = rec.get(m["Name"])
            if isinstance(v, list):
                _check(1 <= len(v) <= MAX_VALUES,
                       "metric %r has %d values (1 to 100)" % (m["Name"], len(v)))
                _check(all(_is_number(x) for x in v),
                       "metric %r has a value that is not a number" % m["Name"])
            else:
                _check(_is_number(v), "metric %r has no number in the root: %r"
                       % (m["Name"], v))
    return rec


def values(rec, name):
    v = rec[name]
    return v if isinstance(v, list) else [v]
