/* ratelimit.c - see ratelimit.h. */
#include "ratelimit.h"

#include <math.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void ratelimit_init(struct ratelimit *rl, long rate, long burst)
{
	struct timespec ts;

	memset(rl, 0, sizeof *rl);
	rl->per_ms = (double)rate / 60000.0;
	rl->burst = (double)burst;
	clock_gettime(CLOCK_REALTIME, &ts);
	rl->seed = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15u ^ (uint64_t)ts.tv_sec ^
		   (uint64_t)getpid() << 32;
}

/* FNV-1a of addr, keyed by the seed, folded once more. */
static size_t slot_of(const struct ratelimit *rl, const unsigned char addr[16])
{
	uint64_t h = 0xcbf29ce484222325u ^ rl->seed;

	for (int i = 0; i < 16; i++)
		h = (h ^ addr[i]) * 0x100000001b3u;
	h ^= h >> 29;
	return (size_t)(h % RATE_SLOTS);
}

/* The slot's tokens at now (refilled), capped at burst. */
static double refilled(const struct ratelimit *rl, const struct rate_slot *s, double now)
{
	double t = s->tokens + (now - s->seen_ms) * rl->per_ms;

	return t > rl->burst ? rl->burst : t;
}

/* addr's slot: its own, a free one, or the least recently seen one of the window. */
static struct rate_slot *find(struct ratelimit *rl, const unsigned char addr[16], double now)
{
	size_t at = slot_of(rl, addr);
	struct rate_slot *spare = NULL, *oldest = NULL;

	for (size_t i = 0; i < RATE_PROBE; i++) {
		struct rate_slot *s = &rl->slots[(at + i) % RATE_SLOTS];
		int is_free = !s->seen_ms || refilled(rl, s, now) >= rl->burst;

		if (s->seen_ms && !memcmp(s->addr, addr, 16))
			return s;
		if (is_free && !spare)
			spare = s;
		if (!oldest || s->seen_ms < oldest->seen_ms)
			oldest = s;
	}
	spare = spare ? spare : oldest;
	memcpy(spare->addr, addr, 16);
	spare->tokens = rl->burst;
	spare->seen_ms = now;
	return spare;
}

long ratelimit_take(struct ratelimit *rl, const unsigned char addr[16], double now_ms)
{
	struct rate_slot *s = find(rl, addr, now_ms);

	s->tokens = refilled(rl, s, now_ms);
	s->seen_ms = now_ms > 0 ? now_ms : 1e-9;
	if (s->tokens >= 1.0) {
		s->tokens -= 1.0;
		return 0;
	}
	return (long)ceil((1.0 - s->tokens) / rl->per_ms / 1000.0);
}
