/* kafka_rules: the Kafka event's rules both decoders apply. See
 * kafka_rules.h. */
#include "kafka_rules.h"

#include <string.h>

#define KAFKA_FIELD_ROW(id, member, field) [id] = {member, field},
const struct kafka_field_name kafka_rules_fields[KAFKA_FIELD_COUNT] = {
    KAFKA_MEMBERS(KAFKA_FIELD_ROW) /* then the one with no member: */
        [KAFKA_TOPIC_PARTITION] = {NULL, "topic_partition"},
};
#undef KAFKA_FIELD_ROW

static int same(const char *s, size_t len, const char *lit, size_t n)
{
  return len == n && memcmp(s, lit, n) == 0;
}

#define SAME(s, len, lit) same(s, len, lit, sizeof(lit) - 1)

const char *kafka_rules_event_source(const char *s, size_t len)
{
  if (SAME(s, len, "aws:kafka"))
    return "aws:kafka";
  if (SAME(s, len, "SelfManagedKafka") || SAME(s, len, "aws:SelfManagedKafka"))
    return "SelfManagedKafka";
  return NULL;
}

int kafka_rules_integer(double d, lua_Integer *out)
{
  if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0))
    return 0;
  lua_Integer i = (lua_Integer)d;
  if ((double)i != d)
    return 0;
  *out = i;
  return 1;
}
