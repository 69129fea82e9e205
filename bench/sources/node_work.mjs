// bench/sources: the Node.js twin of handlers/work.lua, timed in-process.
//
// For each event file: N times, JSON.parse the text (what aws-lambda-ric
// does with the body), run the handler's work, JSON.stringify the result
// (the response); CPU per invocation from process.cpuUsage (user+system).
// This leaves out the RIC's HTTP round trips, so it is Node's lower bound:
// Node's real per-invocation CPU is higher, never lower.
// Usage: node node_work.mjs ITERATIONS FILE...
import { readFileSync } from "node:fs";

// @aws-sdk/util-dynamodb's unmarshall, by hand (N -> Number).
function unmarshallValue(av) {
  const [t, v] = Object.entries(av)[0];
  switch (t) {
    case "S": return v;
    case "N": return Number(v);
    case "B": return Buffer.from(v, "base64");
    case "BOOL": return v;
    case "NULL": return null;
    case "M": return unmarshall(v);
    case "L": return v.map(unmarshallValue);
    case "SS": return new Set(v);
    case "NS": return new Set(v.map(Number));
    case "BS": return new Set(v.map((b) => Buffer.from(b, "base64")));
  }
  throw new Error("bad type " + t);
}
function unmarshall(m) {
  const out = {};
  for (const k of Object.keys(m)) out[k] = unmarshallValue(m[k]);
  return out;
}

function work(event) {
  if (event.eventSource === "aws:kafka") {
    let records = 0, bytes = 0;
    for (const batch of Object.values(event.records)) {
      for (const r of batch) {
        records++;
        bytes += Buffer.from(r.value, "base64").length;
      }
    }
    return { records, bytes, sum: 0 };
  }
  const src = event.Records[0].eventSource;
  let bytes = 0, sum = 0;
  for (const r of event.Records) {
    if (src === "aws:sqs") bytes += Buffer.byteLength(r.body);
    else if (src === "aws:kinesis")
      bytes += Buffer.from(r.kinesis.data, "base64").length;
    else {
      const img = unmarshall(r.dynamodb.NewImage);
      sum += img.amount;
      bytes += Object.keys(img).length;
    }
  }
  return { records: event.Records.length, bytes,
           sum: Math.floor(sum * 100 + 0.5) };
}

const n = Number(process.argv[2]);
for (const file of process.argv.slice(3)) {
  const text = readFileSync(file, "utf8");
  let out;
  JSON.stringify(work(JSON.parse(text))); // warm-up
  const t0 = process.cpuUsage();
  for (let i = 0; i < n; i++) out = JSON.stringify(work(JSON.parse(text)));
  const t = process.cpuUsage(t0);
  const ms = (t.user + t.system) / 1000 / n;
  console.log(`node ${file.split("/").pop()} ${ms.toFixed(2)} ms/invocation ${out}`);
}
