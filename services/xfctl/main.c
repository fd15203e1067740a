/* xfctl: the operator's tool. `xfctl help` lists the commands. */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "pg.h"
#include "xfctl.h"

static const struct command {
	const char *name, *args, *help;
	int (*fn)(struct xfctl *x, int argc, char **argv);
} commands[] = {
	{ "migrate", "", "apply the SQL migrations not yet applied", cmd_migrate },
	{ "rules",
	  "import [--no-topics] FILE | export | rollback | validate FILE | test FILE PETITION",
	  "manage the routing rules", cmd_rules },
	{ "keywords", "import FILE | export | validate FILE",
	  "manage xf-classify's keyword/phrase table", cmd_keywords },
	{ "policies", "import FILE | export | validate FILE",
	  "manage xf-classify's related policies table (关联政策)", cmd_policies },
	{ "case", "show CASE_ID | qr CASE_ID [--svg] [-o FILE]",
	  "a case's state, assignments and audit chain; the QR code of its status page "
	  "(PNG, or SVG; XF_QUERY_KEY, XF_PUBLIC_URL)",
	  cmd_case },
	{ "cases", "[LIMIT]", "the latest cases, one line each", cmd_cases },
	{ "lag", "[--samples N] [--interval S] [--all] [--json]",
	  "consumer lag per group, topic and partition, in offsets and seconds, with a verdict",
	  cmd_lag },
	{ "audit", "verify", "check every case's hash chain", cmd_audit },
	{ "topics", "create", "create the core and department topics", cmd_topics },
	{ "publish", "[--as SENDER [--secret NAME]] TOPIC FILE",
	  "publish JSON lines (one message each); --as: with the headers xf-sender: SENDER and,"
	  " with --secret, xf-signature under the key in variable NAME (or NAME_FILE)",
	  cmd_publish },
	{ "model",
	  "split DATA --seed N [--test-pct 20] -o DIR | train DATA -o MODEL [-C X ...] | "
	  "eval MODEL DATA [--errors] [--whole] | cv TRAIN [-k 5 ...]",
	  "train and judge the category model on labelled JSON lines", cmd_model },
	{ "calendar", "import FILE | show [YEAR]",
	  "the working-day calendar (holidays and adjusted working days)", cmd_calendar },
	{ "departments", "[--json]", "the department scorecard (三色预警)", cmd_departments },
	{ "board", "[--period 7d|YYYY-MM|FROM..TO] [--region PREFIX] [--json]",
	  "the situation board: heat grid, tide table, rising hotspots, 信访指数", cmd_board },
	{ "report", "month YYYY-MM [--region PREFIX] [--csv | --json]",
	  "a month's three-colour warning (三色预警) for areas and departments, with escalations",
	  cmd_report },
	{ "dlq",
	  "list [--reason R] [--service S] [--since T] [--until T] [--limit N] |"
	  " replay [--reason R] [--service S] [--since T] [--until T] [--id N] [--again]",
	  "dead letters kept in PostgreSQL: list them, or send them to their source"
	  " topic again",
	  cmd_dlq },
};

static int usage(void)
{
	fprintf(stderr, "usage: xfctl COMMAND [ARGS]\n\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(stderr, "  %s %s\n      %s\n", commands[i].name, commands[i].args,
			commands[i].help);
	fprintf(stderr, "\nconfiguration: XF_DATABASE_URL, XF_KAFKA_BROKERS, XF_KAFKA_<NAME>\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct xfctl x = { .conn = NULL };
	struct sbuf err = SBUF_INIT;
	enum log_level level = LOG_WARN;
	int rc = -1;

	if (cfg_load(&x.conf, "off", &err))
		return xfctl_fail("configuration", &err);
	log_level_parse(x.conf.log_level, &level);
	log_init("xfctl", level > LOG_WARN ? level : LOG_WARN);
	for (size_t i = 0; argc > 1 && i < sizeof commands / sizeof commands[0]; i++)
		if (!strcmp(argv[1], commands[i].name))
			rc = commands[i].fn(&x, argc - 2, argv + 2);
	if (rc < 0)
		rc = usage();
	if (x.conn)
		PQfinish(x.conn);
	cfg_release(&x.conf);
	sbuf_release(&err);
	return rc;
}
