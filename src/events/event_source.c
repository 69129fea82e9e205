/* event_source: detection and the decoding loop. See event_source.h.
 *
 * The per-source files fill one record (event_records.h) or one event
 * (event_http.h); this file owns what they share: the Records loop with
 * tables made at their final size, the record index in messages,
 * event.event_source, and the lazy .raw metatable. */
#include "event_source.h"

#include <lauxlib.h>

#include "error_types.h"
#include "event_fields.h"
#include "event_http.h"
#include "event_kafka.h"
#include "event_raw.h"
#include "event_records.h"
#include "json_tree.h"

typedef void (*event_record_fn)(struct event_fields *, const cJSON *, int);

struct event_source_info {
  const char *name;       /* for messages */
  const char *error_type; /* raised on a wrong shape */
  event_record_fn record; /* NULL for the non-batch sources */
  int fields;             /* a record's usual field count (table size) */
};

static const struct event_source_info *event_source_info(enum event_kind k)
{
  static const struct event_source_info sqs = {"SQS", ERROR_TYPE_SQS_EVENT,
                                               event_sqs_record, 10};
  static const struct event_source_info sns = {"SNS", ERROR_TYPE_SNS_EVENT,
                                               event_sns_record, 8};
  static const struct event_source_info s3 = {"S3", ERROR_TYPE_S3_EVENT,
                                              event_s3_record, 9};
  static const struct event_source_info ddb = {
      "DynamoDB", ERROR_TYPE_DYNAMODB_EVENT, event_dynamodb_record, 8};
  static const struct event_source_info kin = {
      "Kinesis", ERROR_TYPE_KINESIS_EVENT, event_kinesis_record, 7};
  static const struct event_source_info eb = {
      "EventBridge", ERROR_TYPE_EVENTBRIDGE_EVENT, NULL, 10};
  static const struct event_source_info api = {
      "API Gateway", ERROR_TYPE_APIGATEWAY_EVENT, NULL, 16};
  switch (k) {
  case EVENT_SQS:
    return &sqs;
  case EVENT_SNS:
    return &sns;
  case EVENT_S3:
    return &s3;
  case EVENT_DYNAMODB:
    return &ddb;
  case EVENT_KINESIS:
    return &kin;
  case EVENT_EVENTBRIDGE:
    return &eb;
  default:
    return &api;
  }
}

static int event_source_is(const cJSON *obj, const char *name, const char *want)
{
  return event_fields_text_is(json_tree_get(obj, name), want);
}

enum event_kind event_source_detect(const cJSON *root)
{
  if (!cJSON_IsObject(root))
    return EVENT_CUSTOM;
  if (event_kafka_is_kafka(root))
    return EVENT_KAFKA;
  const cJSON *records = json_tree_get(root, "Records");
  if (cJSON_IsArray(records) && cJSON_IsObject(records->child)) {
    const cJSON *r = records->child;
    if (event_source_is(r, "eventSource", "aws:sqs"))
      return EVENT_SQS;
    if (event_source_is(r, "EventSource", "aws:sns"))
      return EVENT_SNS;
    if (event_source_is(r, "eventSource", "aws:s3"))
      return EVENT_S3;
    if (event_source_is(r, "eventSource", "aws:dynamodb"))
      return EVENT_DYNAMODB;
    if (event_source_is(r, "eventSource", "aws:kinesis"))
      return EVENT_KINESIS;
  }
  if (json_tree_get(root, "source") != NULL &&
      json_tree_get(root, "detail-type") != NULL)
    return EVENT_EVENTBRIDGE;
  const cJSON *ctx = json_tree_get(root, "requestContext");
  if (!cJSON_IsObject(ctx))
    return EVENT_CUSTOM;
  if (event_source_is(root, "version", "2.0") &&
      cJSON_IsObject(json_tree_get(ctx, "http")))
    return EVENT_APIGATEWAY;
  if (json_tree_get(root, "httpMethod") != NULL &&
      json_tree_get(root, "resource") != NULL &&
      json_tree_get(ctx, "elb") == NULL &&
      json_tree_get(ctx, "connectionId") == NULL &&
      json_tree_get(ctx, "eventType") == NULL)
    return EVENT_APIGATEWAY;
  return EVENT_CUSTOM;
}

/* event.records for a batch source. Stack: ... event mt order. */
static void event_source_records(struct event_fields *f,
                                 const struct event_source_info *info,
                                 const cJSON *root, int ev, int mt, int order)
{
  lua_State *L = f->L;
  const cJSON *records = json_tree_get(root, "Records");
  int n = cJSON_GetArraySize(records);
  lua_createtable(L, n, 0);
  int arr = lua_gettop(L);
  int i = 0;
  for (const cJSON *rec = records->child; rec != NULL; rec = rec->next) {
    f->record = ++i;
    if (!cJSON_IsObject(rec))
      event_fields_fail_type(f, "Records", "an array of objects", rec);
    lua_createtable(L, 0, info->fields);
    f->record_idx = lua_gettop(L);
    info->record(f, rec, f->record_idx);
    event_raw_add_record(L, mt, order, f->record_idx, i);
    lua_rawseti(L, arr, i);
  }
  f->record = 0;
  f->record_idx = 0;
  lua_setfield(L, ev, "records");
}

void event_source_push(lua_State *L, const cJSON *root, enum event_kind kind,
                       struct buf *scratch)
{
  const struct event_source_info *info = event_source_info(kind);
  luaL_checkstack(L, EVENT_FIELDS_STACK_NEED, "event decoding");
  struct event_fields f = {L, info->name, info->error_type, 0, 0, scratch};
  lua_createtable(L, 0, info->fields);
  int ev = lua_gettop(L);
  const cJSON *records = json_tree_get(root, "Records");
  event_raw_begin(L, root, info->record ? cJSON_GetArraySize(records) : 0);
  int mt = ev + 1;
  int order = ev + 2;
  if (info->record != NULL) {
    const cJSON *first = records->child;
    const char *src =
        json_tree_get(first, "eventSource") ? "eventSource" : "EventSource";
    event_fields_set_string(&f, ev, "event_source", first, src, 1);
    event_source_records(&f, info, root, ev, mt, order);
  } else {
    /* The event-level decode_errors (a bad body) go on the event. */
    f.record_idx = ev;
    if (kind == EVENT_EVENTBRIDGE)
      event_eventbridge_fill(&f, root, ev);
    else
      event_apigateway_fill(&f, root, ev,
                            json_tree_get(json_tree_get(root, "requestContext"),
                                          "http") != NULL &&
                                event_source_is(root, "version", "2.0"));
    f.record_idx = 0;
  }
  lua_pushvalue(L, mt);
  lua_setmetatable(L, ev);
  lua_settop(L, ev);
}
