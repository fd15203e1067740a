/* cfg.c - see cfg.h. */
#include "cfg.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

enum cfg_type { CFG_STR, CFG_SECRET_URL, CFG_SECRET, CFG_LONG };

struct cfg_entry {
	const char *env;
	enum cfg_type type;
	size_t offset;
	const char *def; /* NULL: required */
	long min, max;   /* for CFG_LONG */
};

/* brace initialisers in macros, which clang-format takes for blocks */
/* clang-format off */
#define STR(env, field, def) { env, CFG_STR, offsetof(struct xf_conf, field), def, 0, 0 }
#define LONG(env, field, def, lo, hi) \
	{ env, CFG_LONG, offsetof(struct xf_conf, field), def, lo, hi }
/* clang-format on */

static const struct cfg_entry cfg_table[] = {
	STR("XF_KAFKA_BROKERS", brokers, "127.0.0.1:9092"),
	{ "XF_DATABASE_URL", CFG_SECRET_URL, offsetof(struct xf_conf, database_url),
	  "postgresql://postgres@127.0.0.1:5432/xf", 0, 0 },
	STR("XF_HTTP_ADDR", http_addr, ""), /* "" = the program's default */
	STR("XF_LOG_LEVEL", log_level, "info"),
	{ "XF_PETITIONER_KEY", CFG_SECRET, offsetof(struct xf_conf, petitioner_key),
	  "xf-dev-key-change-me", 0, 0 },
	STR("XF_GROUP_PREFIX", group_prefix, "xf"),
	STR("XF_MODEL_PATH", model_path, "models/xf-category.model"),
	LONG("XF_BATCH_MAX", batch_max, "500", 1, 100000),
	LONG("XF_BATCH_MAX_BYTES", batch_max_bytes, "4194304", 1024, 1073741824),
	LONG("XF_BATCH_WAIT_MS", batch_wait_ms, "50", 1, 60000),
	LONG("XF_RETRY_MAX_MS", retry_max_ms, "5000", 10, 600000),
	LONG("XF_RISK_A_INTENSITY", risk_a_intensity, "80", 0, 101),
	LONG("XF_RISK_B_INTENSITY", risk_b_intensity, "60", 0, 101),
	LONG("XF_RISK_B_REPEAT", risk_b_repeat, "3", 1, 1000),
	LONG("XF_LOW_CONFIDENCE_PCT", low_confidence_pct, "50", 0, 100),
	LONG("XF_REPEAT_DAYS", repeat_days, "365", 1, 3650),
	LONG("XF_REPEAT_BITS", repeat_bits, "12", 0, 64),
	LONG("XF_CLUSTER_N", cluster_n, "5", 2, 100000),
	LONG("XF_CLUSTER_DAYS", cluster_days, "7", 1, 365),
	LONG("XF_CLUSTER_BITS", cluster_bits, "14", 0, 64),
	LONG("XF_WARN_PCT", warn_pct, "80", 1, 99),
	LONG("XF_SUPERVISE_WORKDAYS", supervise_workdays, "3", 0, 60),
	LONG("XF_TIMER_MS", timer_ms, "1000", 10, 3600000),
	LONG("XF_LAG_INTERVAL_MS", lag_interval_ms, "10000", 200, 3600000),
	STR("XF_CLOCK_FILE", clock_file, ""),
	LONG("XF_CHOICE_W_FIT", choice_w_fit, "40", 0, 1000),
	LONG("XF_CHOICE_W_SPEED", choice_w_speed, "20", 0, 1000),
	LONG("XF_CHOICE_W_SATISFACTION", choice_w_satisfaction, "20", 0, 1000),
	LONG("XF_CHOICE_W_LOAD", choice_w_load, "20", 0, 1000),
	{ "XF_WEBHOOK_SECRET", CFG_SECRET, offsetof(struct xf_conf, webhook_secret),
	  "xf-dev-webhook-secret-change-me", 0, 0 },
	LONG("XF_WEBHOOK_TIMEOUT_MS", webhook_timeout_ms, "5000", 100, 120000),
	LONG("XF_WEBHOOK_MAX_ATTEMPTS", webhook_max_attempts, "8", 1, 100),
	LONG("XF_WEBHOOK_BACKOFF_MS", webhook_backoff_ms, "1000", 10, 3600000),
	LONG("XF_WEBHOOK_BACKOFF_MAX_MS", webhook_backoff_max_ms, "300000", 10, 86400000),
	LONG("XF_CARD_OVERDUE_YELLOW_PCT", card_overdue_yellow, "10", 0, 100),
	LONG("XF_CARD_OVERDUE_RED_PCT", card_overdue_red, "20", 0, 100),
	LONG("XF_CARD_RETURN_YELLOW_PCT", card_return_yellow, "15", 0, 100),
	LONG("XF_CARD_RETURN_RED_PCT", card_return_red, "30", 0, 100),
	LONG("XF_CARD_SATISFIED_YELLOW_PCT", card_satisfied_yellow, "80", 0, 100),
	LONG("XF_CARD_SATISFIED_RED_PCT", card_satisfied_red, "60", 0, 100),
};

#define CFG_N (sizeof cfg_table / sizeof cfg_table[0])

static void add_error(struct sbuf *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Appends one problem to err (NULL is fine), "; "-separated. */
static void add_error(struct sbuf *err, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (err)
		sbuf_addf(err, "%s%s", err->len ? "; " : "", buf);
}

static int cfg_set(struct xf_conf *conf, const struct cfg_entry *e, const char *val,
		   struct sbuf *err)
{
	char *p = (char *)conf + e->offset;

	if (e->type != CFG_LONG) {
		*(const char **)p = val;
		return 0;
	}
	char *end;
	long v;

	errno = 0;
	v = strtol(val, &end, 10);
	if (errno || end == val || *end || v < e->min || v > e->max) {
		add_error(err, "%s=\"%s\" is not a whole number from %ld to %ld", e->env, val,
			  e->min, e->max);
		return -1;
	}
	*(long *)p = v;
	return 0;
}

int cfg_load(struct xf_conf *conf, const char *http_default, struct sbuf *err)
{
	enum log_level level;
	int rc = 0;

	memset(conf, 0, sizeof *conf);
	for (size_t i = 0; i < CFG_N; i++) {
		const char *val = getenv(cfg_table[i].env);

		if (!val || !*val)
			val = cfg_table[i].def;
		if (cfg_set(conf, &cfg_table[i], val, err))
			rc = -1;
	}
	if (!*conf->http_addr)
		conf->http_addr = http_default;
	if (log_level_parse(conf->log_level, &level)) {
		add_error(err, "XF_LOG_LEVEL=\"%s\" is not debug, info, warn or error",
			  conf->log_level);
		rc = -1;
	}
	return rc;
}

/* Length of a password value at v: quoted ('...' with \' escapes) or up to a separator. */
static size_t value_len(const char *v)
{
	size_t n = 0;

	if (*v != '\'')
		return strcspn(v, " &");
	for (n = 1; v[n] && v[n] != '\''; n++)
		if (v[n] == '\\' && v[n + 1])
			n++;
	return v[n] ? n + 1 : n;
}

/* Appends s with the value of every ...password parameter masked
 * (password= and sslpassword= alike, blanks around '=' allowed as libpq does). */
static void mask_params(const char *s, struct sbuf *out)
{
	const char *p = s;

	while ((p = strstr(p, "password"))) {
		const char *q = p + 8;

		while (*q == ' ')
			q++;
		if (*q != '=') {
			p += 8;
			continue;
		}
		for (q++; *q == ' '; q++)
			;
		sbuf_add(out, s, (size_t)(q - s));
		sbuf_adds(out, "***");
		s = p = q + value_len(q);
	}
	sbuf_adds(out, s);
}

void cfg_mask_url(const char *url, struct sbuf *out)
{
	const char *scheme = strstr(url, "://");
	const char *auth = scheme ? scheme + 3 : NULL;
	size_t authlen = auth ? strcspn(auth, "/?") : 0;
	const char *at = auth ? memchr(auth, '@', authlen) : NULL;
	const char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;

	if (!colon) {
		mask_params(url, out);
		return;
	}
	sbuf_add(out, url, (size_t)(colon - url) + 1);
	sbuf_adds(out, "***");
	mask_params(at, out);
}

void cfg_log(const struct xf_conf *conf)
{
	struct log_field fields[CFG_N];
	struct sbuf masked[CFG_N];

	for (size_t i = 0; i < CFG_N; i++) {
		const struct cfg_entry *e = &cfg_table[i];
		const char *p = (const char *)conf + e->offset;

		masked[i] = (struct sbuf)SBUF_INIT;
		if (e->type == CFG_LONG) {
			fields[i] = LOG_I(e->env, *(const long *)p);
			continue;
		}
		if (e->type == CFG_SECRET)
			sbuf_adds(&masked[i], "***");
		else if (e->type == CFG_SECRET_URL)
			cfg_mask_url(*(const char *const *)p, &masked[i]);
		fields[i] = LOG_S(e->env, e->type == CFG_SECRET || e->type == CFG_SECRET_URL
						  ? masked[i].buf
						  : *(const char *const *)p);
	}
	log_write(LOG_INFO, "config", fields, CFG_N);
	for (size_t i = 0; i < CFG_N; i++)
		sbuf_release(&masked[i]);
}
