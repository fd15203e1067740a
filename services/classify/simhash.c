/* simhash.c - see simhash.h. */
#include "simhash.h"

#include <pthread.h>

#include "utf8.h"

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* The 8 bits of b spread over the 8 bytes of a word (bit i -> byte i). */
static inline uint64_t spread8(uint64_t b)
{
	return (((b & 0x7f) * 0x0002040810204081ull) & 0x0101010101010101ull) | (b >> 7) << 56;
}

static uint64_t spread_table[256];

static void spread_init(void)
{
	for (unsigned b = 0; b < 256; b++)
		spread_table[b] = spread8(b);
}

/* Moves the byte-packed bit counts of acc into ones[]. */
static void flush_counts(uint64_t acc[8], uint32_t ones[64])
{
	for (int j = 0; j < 8; j++) {
		for (int i = 0; i < 8; i++)
			ones[8 * j + i] += (uint32_t)(acc[j] >> (8 * i)) & 0xFF;
		acc[j] = 0;
	}
}

uint64_t classifier_simhash(const char *norm)
{
	uint32_t ones[64] = { 0 }, cp[3] = { 0 }; /* the last two code points in [1], [2] */
	uint64_t acc[8] = { 0 }, h = 0;
	size_t n = 0, nf = 0;
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, spread_init);

	for (const char *s = norm, *end = norm + strlen(norm); s < end; n++) {
		uint32_t c = (unsigned char)*s;
		size_t k = utf8_decode(s, (size_t)(end - s), &c);

		s += k ? k : 1; /* not in normalized text: the byte as it is */
		cp[1] = cp[2], cp[2] = c;
		if (n < 1)
			continue;
		uint64_t f = mix64(((uint64_t)cp[1] << 21) ^ cp[2]);

		/* count the 1 bits of every position, eight positions per add */
		for (int j = 0; j < 8; j++)
			acc[j] += spread_table[(f >> (8 * j)) & 0xFF];
		if (++nf % 255 == 0)
			flush_counts(acc, ones); /* before a byte counter overflows */
	}
	flush_counts(acc, ones);
	for (int b = 0; b < 64; b++)
		if (2 * (uint64_t)ones[b] > nf)
			h |= 1ull << b;
	return h;
}
