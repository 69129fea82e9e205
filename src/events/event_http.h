/* event_http: the events that are not record batches — EventBridge and
 * API Gateway (REST v1, HTTP API v2, Function URLs) — into their event
 * tables. Defined in event_eventbridge.c and event_apigateway.c; each fills
 * the event table at the absolute index 't' from 'root'. [-0, +0, v] */
#ifndef LRT_EVENT_HTTP_H
#define LRT_EVENT_HTTP_H

#include <cjson/cJSON.h>

#include "event_fields.h"

void event_eventbridge_fill(struct event_fields *f, const cJSON *root, int t);

/* 'v2' is nonzero for the version "2.0" payload. */
void event_apigateway_fill(struct event_fields *f, const cJSON *root, int t,
                           int v2);

#endif
