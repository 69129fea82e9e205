/* event_records: one function per record-based event source, each filling
 * one record table from one delivered record (a cJSON object).
 *
 * Defined in event_sqs.c, event_sns.c, event_s3.c, event_dynamodb.c and
 * event_kinesis.c; event_source.c runs the loop over Records that calls
 * them, so the loop, record.raw and the error wording are written once.
 * Each function reads only 'rec' and sets fields of the table at the
 * absolute index 't' (which is f->record_idx). All: [-0, +0, v]. */
#ifndef LRT_EVENT_RECORDS_H
#define LRT_EVENT_RECORDS_H

#include <cjson/cJSON.h>

#include "event_fields.h"

void event_sqs_record(struct event_fields *f, const cJSON *rec, int t);
void event_sns_record(struct event_fields *f, const cJSON *rec, int t);
void event_s3_record(struct event_fields *f, const cJSON *rec, int t);
void event_dynamodb_record(struct event_fields *f, const cJSON *rec, int t);
void event_kinesis_record(struct event_fields *f, const cJSON *rec, int t);

#endif
