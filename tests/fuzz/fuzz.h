/*
 * fuzz.h - what the libFuzzer harnesses of tests/fuzz/ share.
 *
 * Each harness is one program (bin-fuzz/fuzz-NAME, built by `make
 * fuzz-build`) that defines LLVMFuzzerTestOneInput; tests/fuzz/run.sh runs
 * it over its seed corpus tests/fuzz/NAME/ for a given time. A property
 * the code promises but breaks goes through FUZZ_ASSERT, which aborts so
 * that libFuzzer saves the input like any crash.
 */
#ifndef XF_FUZZ_H
#define XF_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(cond)                                                                   \
	do {                                                                                \
		if (!(cond)) {                                                              \
			fprintf(stderr, "%s:%d: property broken: %s\n", __FILE__, __LINE__, \
				#cond);                                                     \
			abort();                                                            \
		}                                                                           \
	} while (0)

/* data[0..size) as a new NUL-terminated string (free() it). */
static inline char *fuzz_str(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#endif
