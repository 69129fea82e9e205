/* memory_size: the function's memory size, read once the same way for
 * every part that needs it (the Lua heap's budget, context.memory_limit_in_mb).
 *
 * AWS_LAMBDA_FUNCTION_MEMORY_SIZE is taken when it is a whole number of MB
 * in MEMORY_SIZE_MIN_MB..MEMORY_SIZE_MAX_MB (Lambda's is 128..10240);
 * anything else stands for the default. Knows nothing but the C library. */
#ifndef LRT_MEMORY_SIZE_H
#define LRT_MEMORY_SIZE_H

#define MEMORY_SIZE_MIN_MB 1
#define MEMORY_SIZE_MAX_MB 10240
#define MEMORY_SIZE_DEFAULT_MB 128

/* The size in MB that 'text' (the variable's value, not NULL) stands for;
 * *valid is set to 0 when the default replaced a nonsense value, else 1. */
long memory_size_mb(const char *text, int *valid);

#endif
