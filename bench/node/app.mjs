// The bench's JavaScript handler for AWS's aws-lambda-ric (Node.js 22), the
// twin of bench/handlers/bench.lua: the same work on the same event.
//
// Base64-decodes every key and value, decodes each record's headers (arrays of
// Java signed bytes; Buffer.from masks each to b & 0xFF) into a name -> value
// table, first occurrence wins, counts records per topic and sums key, value
// and header bytes. Returns the same JSON as the Lua handler.

export const handler = async (event) => {
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
