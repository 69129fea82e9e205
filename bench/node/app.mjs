// The bench's JavaScript handler for AWS's aws-lambda-ric (Node.js 22), the
// twin of bench/handlers/bench.lua: the same work on the same event.
//
// Base64-decodes every key and value, decodes each record's headers (arrays of
// Java signed bytes; Buffer.from masks each to b & 0xFF) into a name -> value
// table, first occurrence wins, counts records per topic and sums key, value
// and header bytes. SQS, Kinesis and DynamoDB events (Records[0].eventSource)
// get the Lua handler's work for them: what the runtime decodes in C before
// the Lua handler runs (base64, DynamoDB's typed values) is done here in
// JavaScript, as a Node handler has to. Returns the same JSON as the Lua
// handler.

const sqs = (event) => {
  let bodyBytes = 0;
  let attributeBytes = 0;
  const names = {};
  for (const r of event.Records) {
    bodyBytes += Buffer.byteLength(r.body, "utf8");
    for (const [name, a] of Object.entries(r.messageAttributes || {})) {
      names[name] = (names[name] || 0) + 1;
      attributeBytes += a.dataType.startsWith("Binary")
        ? Buffer.from(a.binaryValue, "base64").length
        : Buffer.byteLength(a.stringValue, "utf8");
    }
  }
  return {
    records: event.Records.length,
    body_bytes: bodyBytes,
    attribute_bytes: attributeBytes,
    attributes: names,
  };
};

const kinesis = (event) => {
  let dataBytes = 0;
  const keys = {};
  for (const r of event.Records) {
    dataBytes += Buffer.from(r.kinesis.data, "base64").length;
    const k = r.kinesis.partitionKey;
    keys[k] = (keys[k] || 0) + 1;
  }
  return {
    records: event.Records.length,
    data_bytes: dataBytes,
    partition_keys: keys,
  };
};

// DynamoDB's typed attribute value -> a plain value, as the runtime's
// dynamodb_value.c (and @aws-sdk/util-dynamodb's unmarshall) does.
const plain = (av) => {
  const [type, v] = Object.entries(av)[0];
  switch (type) {
    case "S":
    case "BOOL":
      return v;
    case "N":
      return Number(v);
    case "B":
      return Buffer.from(v, "base64");
    case "NULL":
      return null;
    case "M":
      return image(v);
    case "L":
      return v.map(plain);
    case "SS":
      return v.slice();
    case "NS":
      return v.map(Number);
    case "BS":
      return v.map((b) => Buffer.from(b, "base64"));
    default:
      throw new Error("unknown attribute type " + type);
  }
};

const image = (m) => {
  const out = {};
  for (const name of Object.keys(m)) {
    out[name] = plain(m[name]);
  }
  return out;
};

const dynamodb = (event) => {
  let sum = 0;
  let attributes = 0;
  const events = {};
  for (const r of event.Records) {
    const d = r.dynamodb;
    image(d.Keys);
    const img = image(d.NewImage);
    if (d.OldImage) {
      image(d.OldImage);
    }
    sum += img.amount;
    attributes += Object.keys(img).length;
    events[r.eventName] = (events[r.eventName] || 0) + 1;
  }
  return {
    records: event.Records.length,
    amount_sum: sum,
    attributes,
    events,
  };
};

const SOURCES = { "aws:sqs": sqs, "aws:kinesis": kinesis, "aws:dynamodb": dynamodb };

export const handler = async (event) => {
  const source = event.Records && SOURCES[event.Records[0].eventSource];
  if (source) {
    return source(event);
  }
  let records = 0;
  let keyBytes = 0;
  let valueBytes = 0;
  let headerBytes = 0;
  const topics = {};
  for (const batch of Object.values(event.records)) {
    for (const record of batch) {
      records++;
      if (record.key != null) {
        keyBytes += Buffer.from(record.key, "base64").length;
      }
      if (record.value != null) {
        valueBytes += Buffer.from(record.value, "base64").length;
      }
      const headers = {};
      for (const h of record.headers || []) {
        for (const name of Object.keys(h)) {
          if (!(name in headers)) {
            headers[name] = Buffer.from(h[name]);
          }
        }
      }
      for (const name in headers) {
        headerBytes += headers[name].length;
      }
      topics[record.topic] = (topics[record.topic] || 0) + 1;
    }
  }
  return {
    records,
    key_bytes: keyBytes,
    value_bytes: valueBytes,
    header_bytes: headerBytes,
    topics,
  };
};
