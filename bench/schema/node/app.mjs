// The schema bench's JavaScript handler (bench/schema/run.sh): Powertools
// TypeScript's Kafka consumer (@aws-lambda-powertools/kafka, with avro-js and
// protobufjs as its documentation says) under AWS's aws-lambda-ric on
// Node.js 22; the twin of bench/schema/handlers/bench.lua, the same work on
// the same event: decode every value, sum total_cents, count per topic.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { kafkaConsumer, SchemaType } from '@aws-lambda-powertools/kafka';
import protobuf from 'protobufjs';

const avroSchema = readFileSync(
  fileURLToPath(new URL('../handlers/order.avsc', import.meta.url)), 'utf8');
// keepCase: the field names as the .proto spells them (total_cents), as
// avro-js and the Lua handler see them.
const Order = new protobuf.Root()
  .loadSync(fileURLToPath(new URL('../order.proto', import.meta.url)), {
    keepCase: true,
  })
  .lookupType('bench.v1.Order');

// int64 is a Long in protobufjs, a number in avro-js.
const num = (v) => (typeof v === 'object' ? v.toNumber() : v);

const work = async (event) => {
  let records = 0;
  let total = 0;
  const topics = {};
  for (const record of event.records) {
    records++;
    total += num(record.value.total_cents);
    topics[record.topic] = (topics[record.topic] || 0) + 1;
  }
  return { records, total_cents: total, topics };
};

const avroHandler = kafkaConsumer(work, {
  value: { type: SchemaType.AVRO, schema: avroSchema },
});
const protobufHandler = kafkaConsumer(work, {
  value: { type: SchemaType.PROTOBUF, schema: Order },
});

export const handler = (event, context) => {
  const first = Object.values(event.records)[0][0];
  return first.valueSchemaMetadata.dataFormat === 'AVRO'
    ? avroHandler(event, context)
    : protobufHandler(event, context);
};
