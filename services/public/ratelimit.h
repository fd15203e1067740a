/*
 * ratelimit.h - lookups per client address, a token bucket each, in a
 * table of fixed size (xf-public's XF_PUBLIC_RATE and XF_PUBLIC_BURST).
 *
 * A client starts with burst tokens; a lookup takes one; they come back at
 * rate per minute up to burst. Clients are kept in RATE_SLOTS slots: an
 * address hashes (under a per-process random seed) to a window of
 * RATE_PROBE slots, and takes the first that is its own or free. A slot
 * whose bucket has filled up again is free (its client is as new). When
 * the whole window is busy, the client seen least recently in it is
 * forgotten and the slot goes to the new one: memory stays bounded, and at
 * worst a client forgotten this way starts again with a full bucket. An
 * IPv6 client is its /64, since one host commonly holds a whole /64.
 */
#ifndef XF_PUBLIC_RATELIMIT_H
#define XF_PUBLIC_RATELIMIT_H

#include <stdint.h>

#define RATE_SLOTS 4096
#define RATE_PROBE 8

struct rate_slot {
	unsigned char addr[16]; /* IPv4 as ::ffff:a.b.c.d, IPv6 its /64 */
	double tokens;
	double seen_ms; /* 0: free */
};

struct ratelimit {
	double per_ms; /* tokens back per millisecond */
	double burst;
	uint64_t seed;
	struct rate_slot slots[RATE_SLOTS];
};

/* rate per minute, burst at once (both >= 1). */
void ratelimit_init(struct ratelimit *rl, long rate, long burst);
/*
 * Takes a token for addr (16 bytes, as above) at now_ms: 0 when the lookup
 * may go on, else the whole seconds until a token is back (Retry-After).
 */
long ratelimit_take(struct ratelimit *rl, const unsigned char addr[16], double now_ms);

#endif
