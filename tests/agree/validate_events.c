/*
 * validate-events: xf-intake's verdict on events, for the agreement check
 * (tests/schema_agree.py) against an independent JSON Schema validator.
 *
 *   validate-events < CASES     one case a line, the event's bytes in hex;
 *                               prints a line per case: "valid", or
 *                               "invalid <code>@<field>,..." ("-" for no field)
 *   validate-events --gen N     prints the bytes (hex) of the N events the
 *                               integration tests publish (tests/e2e/gen.c),
 *                               malformed and duplicate ones included
 *
 * Exits 0, or 1 on a line that is not hex or a schema that does not load.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../e2e/gen.h"
#include "intake/validate.h"
#include "jschema.h"
#include "sbuf.h"

static void put_hex(const char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		printf("%02x", (unsigned char)buf[i]);
	putchar('\n');
}

static int gen(size_t n)
{
	struct gen_event *ev = gen_events("agree", n, 1, 1);

	for (size_t i = 0; i < n; i++)
		put_hex(ev[i].bytes, ev[i].len);
	gen_free(ev, n);
	return 0;
}

/* The value of the hex digit c, or -1. */
static int hex_digit(char c)
{
	static const char digits[] = "0123456789abcdef0123456789ABCDEF";
	const char *p = c ? strchr(digits, c) : NULL;

	return p ? (int)((p - digits) % 16) : -1;
}

/* Decodes the hex of line (its newline dropped) into out; -1 if not hex. */
static int unhex(const char *line, struct sbuf *out)
{
	size_t n = strcspn(line, "\r\n");
	int hi, lo;

	if (n % 2)
		return -1;
	for (size_t i = 0; i < n; i += 2) {
		if ((hi = hex_digit(line[i])) < 0 || (lo = hex_digit(line[i + 1])) < 0)
			return -1;
		sbuf_addch(out, (char)(hi * 16 + lo));
	}
	return 0;
}

static void verdict(const struct jschema_set *set, const struct sbuf *bytes)
{
	struct intake_verdict v;
	size_t i;
	json_t *e;

	if (intake_validate(set, bytes->buf, bytes->len, &v) == 0)
		printf("valid\n");
	else
		printf("invalid ");
	json_array_foreach(v.errors, i, e)
	{
		const char *f = json_string_value(json_object_get(e, "field"));

		printf("%s%s@%s", i ? "," : "", json_string_value(json_object_get(e, "code")),
		       f ? f : "-");
	}
	if (json_array_size(v.errors))
		putchar('\n');
	intake_verdict_release(&v);
}

static int judge(void)
{
	struct sbuf err = SBUF_INIT, bytes = SBUF_INIT;
	struct jschema_set *set = intake_schemas_new(&err);
	char *line = NULL;
	size_t cap = 0;
	int rc = 0;

	if (!set) {
		fprintf(stderr, "validate-events: %s\n", err.buf);
		sbuf_release(&err);
		return 1;
	}
	while (!rc && getline(&line, &cap, stdin) > 0) {
		sbuf_reset(&bytes);
		if ((rc = unhex(line, &bytes)))
			fprintf(stderr, "validate-events: a line is not hex\n");
		else
			verdict(set, &bytes);
	}
	free(line);
	sbuf_release(&bytes);
	sbuf_release(&err);
	jschema_set_free(set);
	return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--gen"))
		return gen(strtoul(argv[2], NULL, 10));
	if (argc != 1) {
		fprintf(stderr, "usage: validate-events [--gen N] < CASES\n");
		return 2;
	}
	return judge() ? 1 : 0;
}
