/* Unit tests for common/sbuf.c. */
#include <stdlib.h>
#include <string.h>

#include "sbuf.h"
#include "tharness.h"

static void t_init_empty(void)
{
	struct sbuf sb = SBUF_INIT;

	T_CHECK(sb.buf == sbuf_empty);
	T_STREQ(sb.buf, "");
	T_INTEQ(sb.len, 0);
	T_INTEQ(sb.alloc, 0);
	sbuf_init(&sb, 0);
	T_CHECK(sb.buf == sbuf_empty);
	T_INTEQ(sb.alloc, 0);
	sbuf_init(&sb, 100);
	T_CHECK(sb.buf != sbuf_empty);
	T_CHECK(sb.alloc >= 101);
	T_INTEQ(sb.len, 0);
	T_STREQ(sb.buf, "");
	sbuf_release(&sb);
	T_CHECK(sb.buf == sbuf_empty);
	T_INTEQ(sb.alloc, 0);
}

static void t_add(void)
{
	struct sbuf sb = SBUF_INIT;

	sbuf_adds(&sb, "瑞安");
	sbuf_addch(&sb, '-');
	sbuf_add(&sb, "330381xyz", 6);
	T_STREQ(sb.buf, "瑞安-330381");
	T_INTEQ(sb.len, strlen("瑞安-330381"));
	T_CHECK(sb.alloc > sb.len);
	sbuf_add(&sb, "a\0b", 3); /* bytes, NUL included */
	T_INTEQ(sb.len, strlen("瑞安-330381") + 3);
	T_CHECK(memcmp(sb.buf + sb.len - 3, "a\0b", 4) == 0);
	sbuf_adds(&sb, "");
	T_INTEQ(sb.len, strlen("瑞安-330381") + 3);
	sbuf_release(&sb);
	T_STREQ(sbuf_empty, ""); /* the shared empty string is never written */
}

/* Many small adds: every reallocation keeps the content and the NUL. */
static void t_growth(void)
{
	struct sbuf sb = SBUF_INIT;
	size_t reallocs = 0, last = 0;
	int ok = 1;

	for (int i = 0; i < 5000; i++) {
		sbuf_addch(&sb, (char)('a' + i % 26));
		if (sb.alloc != last)
			reallocs++, last = sb.alloc;
		if (sb.alloc <= sb.len || sb.buf[sb.len] != '\0')
			ok = 0;
	}
	T_CHECK(ok);
	T_INTEQ(sb.len, 5000);
	T_INTEQ(strlen(sb.buf), 5000);
	for (int i = 0; i < 5000; i++)
		if (sb.buf[i] != (char)('a' + i % 26))
			ok = 0;
	T_CHECK(ok);
	T_CHECK(reallocs < 20); /* grows geometrically, not by a byte each time */
	sbuf_grow(&sb, 100000);
	T_CHECK(sb.alloc >= 105001);
	T_INTEQ(sb.len, 5000);
	T_INTEQ(strlen(sb.buf), 5000);
	sbuf_release(&sb);
}

static void t_addf(void)
{
	struct sbuf sb = SBUF_INIT;

	sbuf_addf(&sb, "%s-%06d", "XF-330381-20261122", 123); /* alloc was 0 */
	T_STREQ(sb.buf, "XF-330381-20261122-000123");
	T_INTEQ(sb.len, 25);
	sbuf_addf(&sb, "%s", "");
	T_STREQ(sb.buf, "XF-330381-20261122-000123");
	T_INTEQ(sb.len, 25);
	sbuf_addf(&sb, " %d%%", 50);
	T_STREQ(sb.buf, "XF-330381-20261122-000123 50%");
	sbuf_release(&sb);
}

/* addf whose text does not fit the current allocation is written whole. */
static void t_addf_realloc(void)
{
	struct sbuf sb = SBUF_INIT, want = SBUF_INIT;
	char big[300];
	size_t alloc;

	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	sbuf_adds(&sb, "head:");
	alloc = sb.alloc;
	T_CHECK(alloc < 300);
	sbuf_addf(&sb, "[%s|%d]", big, 42);
	T_CHECK(sb.alloc > alloc);
	sbuf_adds(&want, "head:[");
	sbuf_adds(&want, big);
	sbuf_adds(&want, "|42]");
	T_STREQ(sb.buf, want.buf);
	T_INTEQ(sb.len, want.len);
	T_INTEQ(strlen(sb.buf), sb.len);
	sbuf_release(&sb);
	sbuf_release(&want);
}

/* Text that exactly fills the allocation, then one byte more. */
static void t_addf_boundary(void)
{
	struct sbuf sb = SBUF_INIT;
	char fill[200];
	size_t room;

	sbuf_init(&sb, 10);
	room = sb.alloc - 1;
	T_CHECK(room < sizeof fill);
	memset(fill, 'y', room);
	fill[room] = '\0';
	sbuf_addf(&sb, "%s", fill);
	T_INTEQ(sb.len, room);
	T_INTEQ(strlen(sb.buf), room);
	T_CHECK(sb.alloc == room + 1); /* fitted, no reallocation */
	sbuf_addf(&sb, "%c", 'z');
	T_INTEQ(sb.len, room + 1);
	T_CHECK(sb.alloc > room + 2);
	T_CHECK(sb.buf[room] == 'z' && sb.buf[room + 1] == '\0');
	T_CHECK(sb.buf[0] == 'y' && sb.buf[room - 1] == 'y');
	sbuf_release(&sb);
}

static void t_reset(void)
{
	struct sbuf sb = SBUF_INIT;
	char *mem;
	size_t alloc;

	sbuf_reset(&sb); /* nothing allocated yet */
	T_CHECK(sb.buf == sbuf_empty);
	T_INTEQ(sb.len, 0);
	sbuf_adds(&sb, "信访事项");
	mem = sb.buf;
	alloc = sb.alloc;
	sbuf_reset(&sb);
	T_STREQ(sb.buf, "");
	T_INTEQ(sb.len, 0);
	T_CHECK(sb.buf == mem); /* memory kept */
	T_INTEQ(sb.alloc, alloc);
	sbuf_adds(&sb, "again");
	T_STREQ(sb.buf, "again");
	T_CHECK(sb.buf == mem);
	sbuf_release(&sb);
}

static void t_release_reuse(void)
{
	struct sbuf sb = SBUF_INIT;

	sbuf_release(&sb); /* never allocated: fine */
	sbuf_adds(&sb, "one");
	sbuf_release(&sb);
	T_CHECK(sb.buf == sbuf_empty);
	T_INTEQ(sb.len, 0);
	T_INTEQ(sb.alloc, 0);
	sbuf_adds(&sb, "two");
	T_STREQ(sb.buf, "two");
	sbuf_release(&sb);
}

static void t_detach(void)
{
	struct sbuf sb = SBUF_INIT;
	size_t len = 99;
	char *s;

	sbuf_addf(&sb, "case %d", 7);
	s = sbuf_detach(&sb, &len);
	T_STREQ(s, "case 7");
	T_INTEQ(len, 6);
	T_CHECK(sb.buf == sbuf_empty); /* the buffer is empty and usable */
	T_INTEQ(sb.len, 0);
	T_INTEQ(sb.alloc, 0);
	sbuf_adds(&sb, "next");
	T_STREQ(sb.buf, "next");
	T_CHECK(sb.buf != s);
	free(s);
	sbuf_release(&sb);
}

/* Detaching an empty buffer still hands out memory the caller may free. */
static void t_detach_empty(void)
{
	struct sbuf sb = SBUF_INIT;
	size_t len = 99;
	char *s = sbuf_detach(&sb, &len);

	T_CHECK(s != NULL);
	T_CHECK(s != sbuf_empty);
	T_STREQ(s, "");
	T_INTEQ(len, 0);
	free(s);
	s = sbuf_detach(&sb, NULL); /* len is optional */
	T_STREQ(s, "");
	free(s);
	T_CHECK(sb.buf == sbuf_empty);
}

static void t_null_ignored(void)
{
	struct sbuf *err = NULL;

	sbuf_add(err, "x", 1);
	sbuf_adds(err, "x");
	sbuf_addch(err, 'x');
	sbuf_addf(err, "%s %d", "x", 1);
	T_STREQ(sbuf_empty, ""); /* reached here, and nothing was written */
}

/* clang-format off */
T_SUITE(sbuf,
	{ "init_empty", t_init_empty },
	{ "add", t_add },
	{ "growth", t_growth },
	{ "addf", t_addf },
	{ "addf_realloc", t_addf_realloc },
	{ "addf_boundary", t_addf_boundary },
	{ "reset", t_reset },
	{ "release_reuse", t_release_reuse },
	{ "detach", t_detach },
	{ "detach_empty", t_detach_empty },
	{ "null_ignored", t_null_ignored })
/* clang-format on */
