/* error_types: the one table of the errorType names the runtime posts.
 *
 * Every errorType the runtime itself gives an error (in /error, /init/error,
 * a typed Lua error { type = ..., message = ... }, a log record) is one row
 * here: its constant, the name Lambda sees and when it happens. Files use the
 * constants, never the text; docs/handlers.md's table lists exactly these rows
 * (tests/docs/test_docs.py holds the two together and finds any errorType
 * literal written outside this file). A handler's own types
 * (error{type = "Orders.Invalid"}) are not the runtime's and are not here.
 * Knows nothing; plain C. */
#ifndef ERROR_TYPES_H
#define ERROR_TYPES_H

/* X(constant, errorType, when it happens) */
#define ERROR_TYPES(X)                                                         \
  X(ERROR_TYPE_LUA_RUNTIME, "Lua.RuntimeError",                                \
    "error(\"text\") or a Lua runtime error")                                  \
  X(ERROR_TYPE_IMPORT_MODULE, "Runtime.ImportModuleError",                     \
    "init: the handler module is not found")                                   \
  X(ERROR_TYPE_SYNTAX, "Runtime.UserCodeSyntaxError",                          \
    "init: a syntax error in the handler or a module it requires")             \
  X(ERROR_TYPE_HANDLER_NOT_FOUND, "Runtime.HandlerNotFound",                   \
    "init: no route registered / module.function names no function")           \
  X(ERROR_TYPE_INIT, "Runtime.InitError",                                      \
    "init: the module raised an error at its top level")                       \
  X(ERROR_TYPE_NO_HANDLER, "Runtime.NoHandler",                                \
    "no route takes this kind of event")                                       \
  X(ERROR_TYPE_INVALID_EVENT, "Runtime.InvalidEvent",                          \
    "the event body is empty or not JSON")                                     \
  X(ERROR_TYPE_EVENT_TOO_LARGE, "Runtime.EventTooLarge",                       \
    "the event body is over the runtime's cap")                                \
  X(ERROR_TYPE_KAFKA_EVENT, "Kafka.InvalidEvent",                              \
    "a Kafka event that breaks the wire format")                               \
  X(ERROR_TYPE_SQS_EVENT, "SQS.InvalidEvent",                                  \
    "an SQS event with a record or field of the wrong shape")                  \
  X(ERROR_TYPE_SNS_EVENT, "SNS.InvalidEvent",                                  \
    "an SNS event with a record or field of the wrong shape")                  \
  X(ERROR_TYPE_S3_EVENT, "S3.InvalidEvent",                                    \
    "an S3 event with a record or field of the wrong shape")                   \
  X(ERROR_TYPE_DYNAMODB_EVENT, "DynamoDB.InvalidEvent",                        \
    "a DynamoDB stream event with a record or field of the wrong shape")       \
  X(ERROR_TYPE_KINESIS_EVENT, "Kinesis.InvalidEvent",                          \
    "a Kinesis event with a record or field of the wrong shape")               \
  X(ERROR_TYPE_EVENTBRIDGE_EVENT, "EventBridge.InvalidEvent",                  \
    "an EventBridge event with a field of the wrong shape")                    \
  X(ERROR_TYPE_APIGATEWAY_EVENT, "APIGateway.InvalidEvent",                    \
    "an API Gateway event with a field of the wrong shape")                    \
  X(ERROR_TYPE_INVALID_JSON, "Runtime.InvalidJSON",                            \
    "a JSON value the decoder cannot turn into Lua values")                    \
  X(ERROR_TYPE_INVALID_LOG_FIELDS, "Runtime.InvalidLogFields",                 \
    "log.* fields that cannot be encoded as JSON")                             \
  X(ERROR_TYPE_METRICS, "Runtime.MetricsError",                                \
    "logged, not posted: the metrics records could not be written")            \
  X(ERROR_TYPE_INVALID_RESPONSE, "Runtime.InvalidResponse",                    \
    "the return value cannot be encoded as JSON")                              \
  X(ERROR_TYPE_RESPONSE_TOO_LARGE, "Runtime.ResponseTooLarge",                 \
    "the encoded response is over Lambda's response cap")                      \
  X(ERROR_TYPE_OUT_OF_MEMORY, "Runtime.OutOfMemory",                           \
    "the Lua heap passed its cap")                                             \
  X(ERROR_TYPE_TIMEOUT, "Runtime.Timeout",                                     \
    "the handler was still running close to the deadline")                     \
  X(ERROR_TYPE_ERROR_HANDLER_FAILED, "Runtime.ErrorHandlerFailed",             \
    "describing an error failed in turn (LUA_ERRERR)")                         \
  X(ERROR_TYPE_INVALID_TASK_ROOT, "Runtime.InvalidTaskRoot",                   \
    "init: LAMBDA_TASK_ROOT is missing or not a readable folder")              \
  X(ERROR_TYPE_UNKNOWN, "Runtime.Unknown",                                     \
    "an error posted without a type (the Runtime API client's fallback)")

/* One array per row, so a file can take sizeof of the name; unused rows cost
 * nothing (a static const the file never reads is dropped). */
#define ERROR_TYPE_DEFINE(constant, name, when)                                \
  static const char constant[] = name;
ERROR_TYPES(ERROR_TYPE_DEFINE)
#undef ERROR_TYPE_DEFINE

#endif
