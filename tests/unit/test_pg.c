/*
 * Unit tests for common/pg.c that need no server: what an SQLSTATE says
 * of an error's cause (pg_fault_of), which decides whether the service
 * loop retries a batch or isolates a message.
 */
#include <stdio.h>

#include "pg.h"
#include "tharness.h"

static void t_fault_transient(void)
{
	static const char *const states[] = {
		"08006", "08001", /* connection failure */
		"40001", "40P01", /* serialisation failure, deadlock */
		"53100", "53200", /* disk full, out of memory */
		"57014", "57P01", /* statement timeout, admin shutdown */
		"58030",          /* I/O error */
		"25006",          /* read-only transaction */
		"55P03",          /* lock not available */
		"42501", "42P01", /* privileges revoked, table missing: every message alike */
		"XX000", "P0001", /* internal errors, RAISE in our functions */
	};

	for (size_t i = 0; i < sizeof states / sizeof states[0]; i++)
		if (!T_INTEQ(pg_fault_of(states[i]), PG_FAULT_TRANSIENT))
			fprintf(stderr, "    %s\n", states[i]);
}

static void t_fault_data(void)
{
	static const char *const states[] = {
		"22001", "22P02", "22007", "22008", /* too long, bad text, bad datetime */
		"23505", "23502", "23514",          /* unique, not null, check */
		"21000", "54000", "27000", "44000",
	};

	for (size_t i = 0; i < sizeof states / sizeof states[0]; i++)
		if (!T_INTEQ(pg_fault_of(states[i]), PG_FAULT_DATA))
			fprintf(stderr, "    %s\n", states[i]);
}

static void t_fault_none(void)
{
	T_INTEQ(pg_fault_of(NULL), PG_FAULT_NONE);
	T_INTEQ(pg_fault_of(""), PG_FAULT_NONE);
	T_INTEQ(pg_fault_of("2200"), PG_FAULT_NONE);
	pg_error_reset();
	T_STREQ(pg_error_state(), "");
}

/* clang-format off */
T_SUITE(pg,
	{ "fault_transient", t_fault_transient },
	{ "fault_data", t_fault_data },
	{ "fault_none", t_fault_none })
/* clang-format on */
