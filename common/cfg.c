/* cfg.c - see cfg.h. */
#include "cfg.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "xalloc.h"

enum cfg_type { CFG_STR, CFG_SECRET_URL, CFG_SECRET, CFG_LONG };

struct cfg_entry {
	const char *env;
	enum cfg_type type;
	size_t offset;
	const char *def;     /* CFG_SECRET: the development default, "" for none */
	long min, max;       /* for CFG_LONG */
	const char *used_by; /* CFG_SECRET: the programs that need it, space-separated */
};

/* brace initialisers in macros, which clang-format takes for blocks */
/* clang-format off */
#define STR(env, field, def) { env, CFG_STR, offsetof(struct xf_conf, field), def, 0, 0, "" }
#define LONG(env, field, def, lo, hi) \
	{ env, CFG_LONG, offsetof(struct xf_conf, field), def, lo, hi, "" }
#define SECRET(env, field, def, used_by) \
	{ env, CFG_SECRET, offsetof(struct xf_conf, field), def, 0, 0, used_by }
/* clang-format on */

static const struct cfg_entry cfg_table[] = {
	STR("XF_ENV", env, "production"),
	STR("XF_KAFKA_BROKERS", brokers, "127.0.0.1:9092"),
	{ "XF_DATABASE_URL", CFG_SECRET_URL, offsetof(struct xf_conf, database_url),
	  "postgresql://postgres@127.0.0.1:5432/xf", 0, 0, "" },
	STR("XF_HTTP_ADDR", http_addr, ""), /* "" = the program's default */
	STR("XF_LOG_LEVEL", log_level, "info"),
	SECRET("XF_PETITIONER_KEY", petitioner_key, "xf-dev-key-change-me",
	       "xf-intake xf-classify"),
	SECRET("XF_QUERY_KEY", query_key, "xf-dev-query-key-change-me", "xf-intake xf-public"),
	STR("XF_PUBLIC_ADDR", public_addr, "127.0.0.1:8090"),
	STR("XF_PUBLIC_URL", public_url, "http://127.0.0.1:8090"),
	LONG("XF_PUBLIC_RATE", public_rate, "30", 1, 1000000),
	LONG("XF_PUBLIC_BURST", public_burst, "10", 1, 1000000),
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
	STR("XF_FOLLOWUPS", followups, "callback:48h,visit:7d,review:30d"),
	LONG("XF_TIMER_MS", timer_ms, "1000", 10, 3600000),
	LONG("XF_LAG_INTERVAL_MS", lag_interval_ms, "10000", 200, 3600000),
	STR("XF_CLOCK_FILE", clock_file, ""),
	LONG("XF_CHOICE_W_FIT", choice_w_fit, "40", 0, 1000),
	LONG("XF_CHOICE_W_SPEED", choice_w_speed, "20", 0, 1000),
	LONG("XF_CHOICE_W_SATISFACTION", choice_w_satisfaction, "20", 0, 1000),
	LONG("XF_CHOICE_W_LOAD", choice_w_load, "20", 0, 1000),
	SECRET("XF_WEBHOOK_SECRET", webhook_secret, "xf-dev-webhook-secret-change-me",
	       "xf-dispatch"),
	SECRET("XF_HTTP_TOKEN", http_token, "", ""), /* optional: checked when set */
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
	STR("XF_INDEX_WEIGHTS", index_weights,
	    "volume:30,repeat:20,overdue:20,risk_a:20,dissatisfied:10"),
	LONG("XF_INDEX_VOLUME_REF", index_volume_ref, "50", 1, 1000000),
	LONG("XF_INDEX_RISK_A_REF", index_risk_a_ref, "3", 1, 1000000),
	LONG("XF_CARD_REPEAT_YELLOW_PCT", card_repeat_yellow, "10", 0, 100),
	LONG("XF_CARD_REPEAT_RED_PCT", card_repeat_red, "20", 0, 100),
	LONG("XF_CARD_GROWTH_YELLOW_PCT", card_growth_yellow, "10", 0, 100000),
	LONG("XF_CARD_GROWTH_RED_PCT", card_growth_red, "30", 0, 100000),
	LONG("XF_CARD_ONTIME_YELLOW_PCT", card_ontime_yellow, "90", 0, 100),
	LONG("XF_CARD_ONTIME_RED_PCT", card_ontime_red, "80", 0, 100),
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

/* Reads path's whole content into out, one trailing newline stripped. */
static int read_secret_file(const char *env, const char *path, struct sbuf *out, struct sbuf *err)
{
	FILE *f = fopen(path, "rb");
	char buf[4096];
	size_t n;

	if (!f) {
		add_error(err, "%s_FILE=\"%s\" cannot be read: %s", env, path, strerror(errno));
		return -1;
	}
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		sbuf_add(out, buf, n);
	fclose(f);
	if (out->len && out->buf[out->len - 1] == '\n')
		out->buf[--out->len] = '\0';
	if (out->len && out->buf[out->len - 1] == '\r')
		out->buf[--out->len] = '\0';
	return 0;
}

char *cfg_secret_read(const char *name)
{
	struct sbuf path = SBUF_INIT, val = SBUF_INIT;
	const char *v = getenv(name), *file;
	int rc = 0;

	if (v && *v)
		return xstrdup(v);
	sbuf_addf(&path, "%s_FILE", name);
	file = getenv(path.buf);
	sbuf_release(&path);
	if (file && *file)
		rc = read_secret_file(name, file, &val, NULL);
	if (rc || !val.len) {
		sbuf_release(&val);
		return NULL;
	}
	return sbuf_detach(&val, NULL);
}

/*
 * The value of secret e: from its variable or the file named by
 * <variable>_FILE (not both), else the development default in development
 * and "" outside it. A file's content is kept in conf->secret_files.
 */
static int secret_value(struct xf_conf *conf, const struct cfg_entry *e, const char **val,
			struct sbuf *err)
{
	char name[64];
	const char *path;
	struct sbuf *buf;

	snprintf(name, sizeof name, "%s_FILE", e->env);
	path = getenv(name);
	if (path && *path && *val && **val) {
		add_error(err, "%s and %s are both set: set one", e->env, name);
		return -1;
	}
	if (path && *path && conf->nsecret_files == CFG_SECRET_FILES) {
		add_error(err, "%s: more secrets in files than CFG_SECRET_FILES", name);
		return -1;
	}
	if (path && *path) {
		buf = &conf->secret_files[conf->nsecret_files++];
		*buf = (struct sbuf)SBUF_INIT;
		if (read_secret_file(e->env, path, buf, err))
			return -1;
		*val = buf->buf;
		return 0;
	}
	if (!*val || !**val)
		*val = conf->development ? e->def : "";
	return 0;
}

static int cfg_set(struct xf_conf *conf, const struct cfg_entry *e, const char *val,
		   struct sbuf *err)
{
	char *p = (char *)conf + e->offset;

	if (e->type == CFG_SECRET && secret_value(conf, e, &val, err)) {
		*(const char **)p = "";
		return -1;
	}
	if (!val || !*val)
		val = e->type == CFG_SECRET ? "" : e->def;
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

/* XF_ENV, read first: the secrets' defaults depend on it. */
static int env_load(struct xf_conf *conf, struct sbuf *err)
{
	const char *env = getenv("XF_ENV");

	if (!env || !*env)
		env = "production";
	conf->development = !strcmp(env, "development");
	if (!conf->development && strcmp(env, "production")) {
		add_error(err, "XF_ENV=\"%s\" is not development or production", env);
		return -1;
	}
	return 0;
}

int cfg_load(struct xf_conf *conf, const char *http_default, struct sbuf *err)
{
	enum log_level level;
	int rc = 0;

	memset(conf, 0, sizeof *conf);
	if (env_load(conf, err))
		rc = -1;
	for (size_t i = 0; i < CFG_N; i++) {
		const char *val = getenv(cfg_table[i].env);

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

void cfg_release(struct xf_conf *conf)
{
	for (int i = 0; i < conf->nsecret_files; i++)
		sbuf_release(&conf->secret_files[i]);
	conf->nsecret_files = 0;
}

/* Whether program is one of the space-separated names of list. */
static int listed(const char *list, const char *program)
{
	size_t n = strlen(program);

	for (const char *p = list; (p = strstr(p, program)); p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || !p[n]))
			return 1;
	return 0;
}

/* Outside development: e's secret, if required or set, is set, not the default, long enough. */
static int secret_check(const struct xf_conf *conf, const struct cfg_entry *e, int required,
			struct sbuf *err)
{
	const char *val = *(const char *const *)((const char *)conf + e->offset);

	if (!*val && required) {
		add_error(err,
			  "%s (or %s_FILE) is not set; it has no default outside "
			  "XF_ENV=development",
			  e->env, e->env);
		return -1;
	}
	if (*val && *e->def && !strcmp(val, e->def)) {
		add_error(err, "%s is the development default; set a secret of its own", e->env);
		return -1;
	}
	if (*val && strlen(val) < CFG_SECRET_MIN) {
		add_error(err, "%s is shorter than %d bytes", e->env, CFG_SECRET_MIN);
		return -1;
	}
	return 0;
}

/* Whether the host of addr ("host:port") is a loopback address. */
static int addr_loopback(const char *addr)
{
	return !strncmp(addr, "127.", 4) || !strncmp(addr, "localhost:", 10);
}

int cfg_check_secrets(const struct xf_conf *conf, const char *program, struct sbuf *err)
{
	int rc = 0;

	if (conf->development)
		return 0;
	for (size_t i = 0; i < CFG_N; i++) {
		const struct cfg_entry *e = &cfg_table[i];

		if (e->type == CFG_SECRET &&
		    secret_check(conf, e, listed(e->used_by, program), err))
			rc = -1;
	}
	if (*conf->http_addr && strcmp(conf->http_addr, "off") && !addr_loopback(conf->http_addr) &&
	    !*conf->http_token) {
		add_error(err, "XF_HTTP_ADDR=\"%s\" is not loopback and XF_HTTP_TOKEN is not set",
			  conf->http_addr);
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
