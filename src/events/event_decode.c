/* event_decode: the decode policy. See event_decode.h. */
#include "event_decode.h"

#include "dynamodb_scan.h"
#include "error_types.h"
#include "event_kafka.h"
#include "event_raw.h"
#include "event_source.h"
#include "heap.h"
#include "json_lua.h"
#include "json_tree.h"
#include "kafka_scan.h"
#include "kinesis_scan.h"
#include "lrt_error.h"
#include "sqs_scan.h"

/* A one-pass scanner: 1 with the event table pushed, 0 with nothing pushed
 * (the event is left to the tree path). Raises only memory errors.
 * [-0, +(0|1), m] */
typedef int (*event_scan_fn)(lua_State *L, const char *json, size_t len,
                             struct buf *scratch, struct arena *arena);

/* The scanners, tried in this order, each only when its kind has a route.
 * SQS's, Kinesis's and DynamoDB's first: they decline any other event at its
 * first key or record, where kafka_scan looks through the whole text. A new
 * scanner is one row. */
static const struct {
  enum event_kind kind;
  event_scan_fn scan;
} scanners[] = {
    {EVENT_SQS, sqs_scan_push},
    {EVENT_KINESIS, kinesis_scan_push},
    {EVENT_DYNAMODB, dynamodb_scan_push},
    {EVENT_KAFKA, kafka_scan_push},
};

void event_decode_init(struct event_decoder *d, struct heap *budget)
{
  arena_init(&d->arena);
  if (budget != NULL)
    arena_set_budget(&d->arena, budget);
  buf_init(&d->scratch, EVENT_DECODE_MAX_SCRATCH);
}

void event_decode_end(lua_State *L, struct event_decoder *d)
{
  event_raw_end(L); /* .raw reads the tree: not after this */
  arena_reset(&d->arena);
}

void event_decode_free(struct event_decoder *d)
{
  arena_free(&d->arena); /* uncharged from the heap's budget */
  buf_free(&d->scratch);
}

/* Parse the text into the arena, raising when it is not JSON or does not
 * fit the budget. [-0, +0, v] */
static const cJSON *parse_tree(lua_State *L, struct event_decoder *d,
                               const char *json, size_t len)
{
  size_t at = 0;
  const char *why = NULL;
  cJSON *tree = json_tree_parse(&d->arena, json, len, &at, &why);
  if (!tree && d->arena.failed) {
    const struct heap *budget = d->arena.budget;
    lrt_error_raise(L, ERROR_TYPE_OUT_OF_MEMORY,
                    "the event (%I bytes) does not fit in the memory left to "
                    "the function (limit %I MB)",
                    (lua_Integer)len,
                    (lua_Integer)(budget ? budget->limit >> 20 : 0));
  }
  if (!tree)
    lrt_error_raise(L, ERROR_TYPE_INVALID_EVENT,
                    "event is not valid JSON: %s at byte %I of %I", why,
                    (lua_Integer)at, (lua_Integer)len);
  return tree;
}

enum event_kind event_decode_push(lua_State *L, struct event_decoder *d,
                                  const char *json, size_t len, unsigned routes,
                                  enum event_kind *detected)
{
  for (size_t i = 0; i < sizeof scanners / sizeof scanners[0]; i++) {
    enum event_kind kind = scanners[i].kind;
    if ((routes & EVENT_DECODE_ROUTE(kind)) &&
        scanners[i].scan(L, json, len, &d->scratch, &d->arena)) {
      *detected = kind;
      return kind;
    }
  }
  const cJSON *tree = parse_tree(L, d, json, len);
  enum event_kind kind = event_source_detect(tree);
  *detected = kind;
  /* With no route a source's event goes to router.custom as plain JSON:
   * its decoder would build the wrong table. */
  if (!(routes & EVENT_DECODE_ROUTE(kind)))
    kind = EVENT_CUSTOM;
  if (kind == EVENT_CUSTOM)
    json_lua_push_typed(L, tree, ERROR_TYPE_INVALID_EVENT);
  else if (kind == EVENT_KAFKA)
    event_kafka_push(L, tree, &d->scratch);
  else
    event_source_push(L, tree, kind, &d->scratch);
  return kind;
}
