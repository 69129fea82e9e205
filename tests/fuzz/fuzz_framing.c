/* fuzz_framing: libFuzzer target for the framing reader of schema-aware Kafka
 * values; the properties are in schema_props.h (shared with the unit test
 * that replays saved inputs). */
#include "fuzz_common.h"
#include "schema_props.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  schema_props_framing(data, size);
  return 0;
}
