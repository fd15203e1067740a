/*
 * test_chaos.c - the chaos run (issue 10) on the real broker and
 * PostgreSQL. 20,000 events of 2,000 petitioners (one in twenty malformed,
 * one in twenty a duplicate) are published in 14 slices; after each
 * slice, once the cases of the slices before it are in, comes a blow:
 * kill -9 of a daemon and its restart (each daemon four times, in an
 * order a seeded PRNG shuffles; xf-dispatch runs as two instances and the
 * PRNG picks which), except that one step restarts PostgreSQL and one the
 * broker. All assertions are on the end state, once every group has
 * committed the end of its inputs:
 *   - tables: exactly one intake key, case and lead assignment per valid
 *     event; every audit chain verifies;
 *   - topics (at least once, so after a kill a message may be produced
 *     again): every valid event's accepted receipts name one case, every
 *     case's lead assignments are byte-identical copies of one, every
 *     duplicate's receipt names its original's case; every malformed
 *     event has exactly one distinct dead letter, i.e. all its copies
 *     come from the same source offset with its code and bytes; no dead
 *     letter is processing_failed.
 * XF_CHAOS_SEED picks another blow sequence (the default is fixed).
 * Restarting the shared stack disturbs other suites: tests/run.sh runs
 * this suite on its own, after the others. Needs XF_TEST_RUN.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "tharness.h"
#include "util.h"

#define NEVENTS 20000
#define NSTEPS 14      /* slices of the events, one blow after each */
#define PG_STEP 5      /* the step that restarts PostgreSQL */
#define BROKER_STEP 10 /* the step that restarts the broker */
#define NKILLS (NSTEPS - 2)
#define SEED 20261202u
#define PEOPLE 2000 /* petitioners, ten petitions each */

static const char *const names[E2E_NDAEMONS][E2E_NINST] = {
	{ "intake", "intake.2" },
	{ "classify", "classify.2" },
	{ "dispatch", "dispatch.2" },
};
static const int ninst[E2E_NDAEMONS] = { 1, 1, 2 }; /* instances run of each */

struct chaos {
	struct e2e t;
	struct check_run run;
	unsigned seed, rng;
	enum e2e_daemon plan[NKILLS]; /* the daemon of each kill, in order */
	int kills[E2E_NDAEMONS];
	int nkills;
	double t0; /* when the run began (ms) */
};

/* xorshift32: the same seed, the same sequence of blows. */
static unsigned next_rand(unsigned *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Each daemon NKILLS / 3 times, in an order the PRNG shuffles (Fisher-Yates). */
static void plan_kills(struct chaos *c)
{
	for (int k = 0; k < NKILLS; k++)
		c->plan[k] = (enum e2e_daemon)(k % E2E_NDAEMONS);
	for (int k = NKILLS - 1; k > 0; k--) {
		int j = (int)(next_rand(&c->rng) % (unsigned)(k + 1));
		enum e2e_daemon d = c->plan[k];

		c->plan[k] = c->plan[j];
		c->plan[j] = d;
	}
}

static size_t slice_end(int step)
{
	return (size_t)NEVENTS * (size_t)(step + 1) / NSTEPS;
}

/* Events of kind among the first n. */
static long kind_in(const struct check_run *run, size_t n, enum gen_kind kind)
{
	long v = 0;

	for (size_t i = 0; i < n; i++)
		v += run->ev[i].kind == kind;
	return v;
}

/* kill -9 the next daemon of the plan (which instance: the PRNG), wait until it is gone, start it again. */
static void kill_one(struct chaos *c, int step)
{
	enum e2e_daemon d = c->plan[c->nkills];
	int inst = (int)(next_rand(&c->rng) % (unsigned)ninst[d]);

	e2e_kill_instance(&c->t, d, inst, SIGKILL);
	for (int i = 0; i < 3000 && e2e_alive_instance(&c->t, d, inst); i++)
		usleep(10000);
	if (!T_CHECK(!e2e_alive_instance(&c->t, d, inst)))
		fprintf(stderr, "    step %d: %s survived kill -9 for 30 s\n", step,
			names[d][inst]);
	T_CHECK(e2e_start_instance(&c->t, d, inst, NULL) == 0);
	c->kills[d]++;
	c->nkills++;
	printf("    step %d at %.0f s: kill -9 %s\n", step, (now_ms() - c->t0) / 1000,
	       names[d][inst]);
	fflush(stdout);
}

static void restart(struct chaos *c, const char *script, int step)
{
	if (!T_INTEQ(e2e_stack(script, "stop"), 0) || !T_INTEQ(e2e_stack(script, "start"), 0))
		fprintf(stderr, "    step %d: %s restart failed\n", step, script);
	printf("    step %d at %.0f s: %s restarted\n", step, (now_ms() - c->t0) / 1000, script);
	fflush(stdout);
}

static void blow(struct chaos *c, int step)
{
	if (step == PG_STEP)
		restart(c, "pg.sh", step);
	else if (step == BROKER_STEP)
		restart(c, "kafka.sh", step);
	else
		kill_one(c, step);
}

/* Publishes the slices, each followed by its blow once the slices before it are cased. */
static int storm(struct chaos *c)
{
	for (int s = 0; s < NSTEPS; s++) {
		size_t from = s ? slice_end(s - 1) : 0;
		long want = kind_in(&c->run, from, GEN_VALID);

		if (!T_CHECK(check_publish(&c->t, c->run.ev, from, slice_end(s)) == 0))
			return -1;
		if (!T_CHECK(e2e_collect_until(&c->t, check_cases_at_least, &want, 300))) {
			fprintf(stderr, "    step %d: fewer than %ld cases after 300 s: %ld\n", s,
				want, e2e_sql_long(&c->t, "SELECT count(*) FROM cases"));
			return -1;
		}
		blow(c, s);
	}
	return 0;
}

static void start_all(struct chaos *c)
{
	for (int d = 0; d < E2E_NDAEMONS; d++)
		for (int k = 0; k < ninst[d]; k++)
			T_CHECK(e2e_start_instance(&c->t, d, k, NULL) == 0);
}

static void stop_all(struct chaos *c)
{
	for (int d = 0; d < E2E_NDAEMONS; d++)
		for (int k = 0; k < ninst[d]; k++)
			if (!T_INTEQ(e2e_stop_instance(&c->t, d, k), 0))
				fprintf(stderr, "    %s did not stop cleanly\n", names[d][k]);
}

/* Every daemon was killed as often as planned. */
static void check_kills(const struct chaos *c)
{
	T_INTEQ(c->nkills, NKILLS);
	for (int d = 0; d < E2E_NDAEMONS; d++)
		if (!T_INTEQ(c->kills[d], NKILLS / E2E_NDAEMONS))
			fprintf(stderr, "    %s killed %d times\n", names[d][0], c->kills[d]);
}

static void report(struct chaos *c, const struct check_counts *dl, double t1, double t2)
{
	printf("    chaos: %zu events: %zu valid, %ld duplicates, %ld malformed; kills:"
	       " intake %d, classify %d, dispatch %d (total %d), PostgreSQL and broker"
	       " restarted once\n",
	       c->run.n, c->run.nvalid, kind_in(&c->run, c->run.n, GEN_DUP),
	       kind_in(&c->run, c->run.n, GEN_BAD), c->kills[0], c->kills[1], c->kills[2],
	       c->nkills);
	printf("    chaos: cases %ld, lead assignments %ld (table), %zu lead messages,"
	       " %zu receipts, dead letters %zu (%zu distinct), processing_failed %zu,"
	       " case events %ld\n",
	       e2e_sql_long(&c->t, "SELECT count(*) FROM cases"),
	       e2e_sql_long(&c->t, "SELECT count(*) FROM assignments WHERE role = 'lead'"),
	       e2e_count(&c->t, "assignments.*"), e2e_count(&c->t, "petition.receipts"), dl->dlq,
	       dl->dlq_distinct, dl->processing_failed,
	       e2e_sql_long(&c->t, "SELECT count(*) FROM case_events"));
	printf("    chaos: seconds: storm %.1f, to rest %.1f, total %.1f\n", (t1 - c->t0) / 1000,
	       (t2 - t1) / 1000, (now_ms() - c->t0) / 1000);
}

/*
 * The events, from PEOPLE petitioners, at a time 10 minutes ago: live
 * traffic, inside xf-classify's cached window (the outcomes checked do
 * not depend on the time).
 */
static struct gen_event *chaos_events(char at[32])
{
	struct gen_opts o = { PEOPLE, at };
	time_t t = time(NULL) - 600;
	struct tm tm;

	strftime(at, 32, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
	return gen_events_with("chaos", NEVENTS, 1, 1, &o);
}

static void t_chaos(void)
{
	char at[32];
	struct chaos c = { .nkills = 0 };
	struct check_counts dl = { 0, 0, 0 };
	const char *seed = getenv("XF_CHAOS_SEED");
	double t1, t2;

	c.t0 = now_ms();
	if (!T_CHECK(e2e_setup(&c.t, "chaos") == 0))
		return;
	c.seed = seed && *seed ? (unsigned)strtoul(seed, NULL, 10) : SEED;
	c.rng = c.seed ? c.seed : SEED; /* xorshift stays at 0 */
	plan_kills(&c);
	printf("    chaos: seed %u\n", c.seed);
	setenv("XF_RETRY_MAX_MS", "1000", 1);
	c.run = (struct check_run){ chaos_events(at), NEVENTS, 0 };
	c.run.nvalid = (size_t)kind_in(&c.run, NEVENTS, GEN_VALID);
	/* a known mix: one in twenty malformed, one in twenty a duplicate */
	T_INTEQ(kind_in(&c.run, NEVENTS, GEN_BAD), NEVENTS / 20);
	T_INTEQ(kind_in(&c.run, NEVENTS, GEN_DUP), NEVENTS / 20);
	start_all(&c);
	if (!storm(&c)) {
		t1 = now_ms();
		T_CHECK(e2e_collect_until(&c.t, check_complete, &c.run, 300));
		T_CHECK(e2e_quiet(&c.t, 120));
		t2 = now_ms();
		check_kills(&c);
		check_run(&c.t, &c.run, 1);
		check_one_case_each(&c.t, &c.run);
		check_dead_letters(&c.t, &c.run, &dl);
		check_tables(&c.t, &c.run);
		report(&c, &dl, t1, t2);
	}
	stop_all(&c);
	unsetenv("XF_RETRY_MAX_MS");
	gen_free(c.run.ev, c.run.n);
	e2e_teardown(&c.t);
}

/* clang-format off */
T_SUITE(e2e_chaos, { "kill_9_and_restarts_under_20000_events", t_chaos })
/* clang-format on */
