/* event_kind: the kinds of event the decoders recognise, one per route.
 *
 * The decoders (event_source.c, the scanners) say which kind an event is;
 * the router (host/router.c) keeps one handler per kind. The enum lives here,
 * below both, so the decoders never include the router. */
#ifndef LRT_EVENT_KIND_H
#define LRT_EVENT_KIND_H

enum event_kind {
  EVENT_KAFKA = 0,
  EVENT_CUSTOM = 1,
  EVENT_SQS,
  EVENT_SNS,
  EVENT_S3,
  EVENT_DYNAMODB,
  EVENT_KINESIS,
  EVENT_EVENTBRIDGE,
  EVENT_APIGATEWAY /* the API routes' dispatcher (lua/lrt_router_http.lua) */
};

/* The last kind, for loops over every kind (a new kind moves it). */
#define EVENT_KIND_LAST EVENT_APIGATEWAY

#endif
