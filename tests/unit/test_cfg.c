/* Unit tests for common/cfg.c: defaults, overrides, errors, masking. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cfg.h"
#include "sbuf.h"
#include "tharness.h"

static const char *const cfg_vars[] = {
	"XF_KAFKA_BROKERS",       "XF_DATABASE_URL",
	"XF_HTTP_ADDR",           "XF_LOG_LEVEL",
	"XF_PETITIONER_KEY",      "XF_GROUP_PREFIX",
	"XF_BATCH_MAX",           "XF_BATCH_WAIT_MS",
	"XF_RETRY_MAX_MS",        "XF_ENV",
	"XF_WEBHOOK_SECRET",      "XF_HTTP_TOKEN",
	"XF_PETITIONER_KEY_FILE", "XF_WEBHOOK_SECRET_FILE",
	"XF_HTTP_TOKEN_FILE",     "XF_QUERY_KEY",
	"XF_QUERY_KEY_FILE",
};
#define NVARS (sizeof cfg_vars / sizeof cfg_vars[0])

/* The caller's environment, put back after each case. */
struct env_saved {
	char *val[NVARS];
};

/* Saves every XF_ setting of the table and unsets it. */
static void env_clear(struct env_saved *saved)
{
	for (size_t i = 0; i < NVARS; i++) {
		const char *v = getenv(cfg_vars[i]);

		saved->val[i] = v ? strdup(v) : NULL;
		unsetenv(cfg_vars[i]);
	}
}

static void env_restore(struct env_saved *saved)
{
	for (size_t i = 0; i < NVARS; i++) {
		if (saved->val[i])
			setenv(cfg_vars[i], saved->val[i], 1);
		else
			unsetenv(cfg_vars[i]);
		free(saved->val[i]);
		saved->val[i] = NULL;
	}
}

static void t_defaults(void)
{
	struct env_saved saved;
	struct xf_conf conf;
	struct sbuf err = SBUF_INIT;

	env_clear(&saved);
	T_INTEQ(cfg_load(&conf, "127.0.0.1:8081", &err), 0);
	T_STREQ(err.buf, "");
	T_STREQ(conf.brokers, "127.0.0.1:9092");
	T_STREQ(conf.database_url, "postgresql://postgres@127.0.0.1:5432/xf");
	T_STREQ(conf.http_addr, "127.0.0.1:8081");
	T_STREQ(conf.log_level, "info");
	T_STREQ(conf.petitioner_key, ""); /* no default outside development */
	T_STREQ(conf.webhook_secret, "");
	T_STREQ(conf.env, "production");
	T_INTEQ(conf.development, 0);
	T_STREQ(conf.group_prefix, "xf");
	T_INTEQ(conf.batch_max, 500);
	T_INTEQ(conf.batch_wait_ms, 50);
	T_INTEQ(conf.retry_max_ms, 5000);
	T_INTEQ(cfg_load(&conf, "off", &err), 0); /* the program's default */
	T_STREQ(conf.http_addr, "off");
	sbuf_release(&err);
	env_restore(&saved);
}

static void t_overrides(void)
{
	struct env_saved saved;
	struct xf_conf conf;
	struct sbuf err = SBUF_INIT;

	env_clear(&saved);
	setenv("XF_KAFKA_BROKERS", "k1:9092,k2:9092", 1);
	setenv("XF_DATABASE_URL", "host=db dbname=xf", 1);
	setenv("XF_HTTP_ADDR", "0.0.0.0:9000", 1);
	setenv("XF_LOG_LEVEL", "debug", 1);
	setenv("XF_PETITIONER_KEY", "k3y", 1);
	setenv("XF_GROUP_PREFIX", "xf-test", 1);
	setenv("XF_BATCH_MAX", "100000", 1); /* the upper bound is allowed */
	setenv("XF_BATCH_WAIT_MS", "1", 1);  /* the lower bound too */
	setenv("XF_RETRY_MAX_MS", "250", 1);
	T_INTEQ(cfg_load(&conf, "127.0.0.1:8082", &err), 0);
	T_STREQ(err.buf, "");
	T_STREQ(conf.brokers, "k1:9092,k2:9092");
	T_STREQ(conf.database_url, "host=db dbname=xf");
	T_STREQ(conf.http_addr, "0.0.0.0:9000");
	T_STREQ(conf.log_level, "debug");
	T_STREQ(conf.petitioner_key, "k3y");
	T_STREQ(conf.group_prefix, "xf-test");
	T_INTEQ(conf.batch_max, 100000);
	T_INTEQ(conf.batch_wait_ms, 1);
	T_INTEQ(conf.retry_max_ms, 250);
	sbuf_release(&err);
	env_restore(&saved);
}

/* An empty variable counts as unset. */
static void t_empty_is_default(void)
{
	struct env_saved saved;
	struct xf_conf conf;
	struct sbuf err = SBUF_INIT;

	env_clear(&saved);
	setenv("XF_BATCH_MAX", "", 1);
	setenv("XF_HTTP_ADDR", "", 1);
	setenv("XF_LOG_LEVEL", "", 1);
	T_INTEQ(cfg_load(&conf, "127.0.0.1:8083", &err), 0);
	T_STREQ(err.buf, "");
	T_INTEQ(conf.batch_max, 500);
	T_STREQ(conf.http_addr, "127.0.0.1:8083");
	T_STREQ(conf.log_level, "info");
	setenv("XF_HTTP_ADDR", "off", 1);
	T_INTEQ(cfg_load(&conf, "127.0.0.1:8083", &err), 0);
	T_STREQ(conf.http_addr, "off");
	sbuf_release(&err);
	env_restore(&saved);
}

/* Every bad value is reported, in table order, in one message. */
static void t_errors_at_once(void)
{
	struct env_saved saved;
	struct xf_conf conf;
	struct sbuf err = SBUF_INIT;

	env_clear(&saved);
	setenv("XF_BATCH_MAX", "0", 1);
	setenv("XF_BATCH_WAIT_MS", "abc", 1);
	setenv("XF_RETRY_MAX_MS", "600001", 1);
	setenv("XF_LOG_LEVEL", "loud", 1);
	T_INTEQ(cfg_load(&conf, "127.0.0.1:8081", &err), -1);
	T_STREQ(err.buf, "XF_BATCH_MAX=\"0\" is not a whole number from 1 to 100000; "
			 "XF_BATCH_WAIT_MS=\"abc\" is not a whole number from 1 to 60000; "
			 "XF_RETRY_MAX_MS=\"600001\" is not a whole number from 10 to 600000; "
			 "XF_LOG_LEVEL=\"loud\" is not debug, info, warn or error");
	T_STREQ(conf.brokers, "127.0.0.1:9092"); /* the good ones are still set */
	sbuf_release(&err);
	env_restore(&saved);
}

static void expect_batch_max_refused(const char *val)
{
	struct xf_conf conf;
	struct sbuf err = SBUF_INIT, want = SBUF_INIT;

	setenv("XF_BATCH_MAX", val, 1);
	T_INTEQ(cfg_load(&conf, "", &err), -1);
	sbuf_addf(&want, "XF_BATCH_MAX=\"%s\" is not a whole number from 1 to 100000", val);
	T_STREQ(err.buf, want.buf);
	sbuf_release(&err);
	sbuf_release(&want);
}

static void t_range_errors(void)
{
	struct env_saved saved;

	env_clear(&saved);
	expect_batch_max_refused("100001");
	expect_batch_max_refused("-5");
	expect_batch_max_refused("12x");
	expect_batch_max_refused("1.5");
	expect_batch_max_refused("99999999999999999999999"); /* overflows long */
	expect_batch_max_refused("x");
	env_restore(&saved);
}

static void t_bad_log_level(void)
{
	struct env_saved saved;
	struct xf_conf conf;
	struct sbuf err = SBUF_INIT;

	env_clear(&saved);
	setenv("XF_LOG_LEVEL", "INFO", 1); /* names are lower case */
	T_INTEQ(cfg_load(&conf, "", &err), -1);
	T_STREQ(err.buf, "XF_LOG_LEVEL=\"INFO\" is not debug, info, warn or error");
	sbuf_reset(&err);
	setenv("XF_LOG_LEVEL", "warn", 1);
	T_INTEQ(cfg_load(&conf, "", &err), 0);
	T_STREQ(conf.log_level, "warn");
	setenv("XF_LOG_LEVEL", "error", 1);
	T_INTEQ(cfg_load(&conf, "", &err), 0);
	T_STREQ(err.buf, "");
	sbuf_release(&err);
	env_restore(&saved);
}

/* Errors are appended after text already in err, separated by "; ". */
static void t_err_appends(void)
{
	struct env_saved saved;
	struct xf_conf conf;
	struct sbuf err = SBUF_INIT;

	env_clear(&saved);
	setenv("XF_LOG_LEVEL", "trace", 1);
	sbuf_adds(&err, "xf-intake");
	T_INTEQ(cfg_load(&conf, "", &err), -1);
	T_STREQ(err.buf, "xf-intake; XF_LOG_LEVEL=\"trace\" is not debug, info, "
			 "warn or error");
	sbuf_release(&err);
	env_restore(&saved);
}

/*
 * An optional error buffer may be NULL (sbuf.h, STYLE 3): a bad value must
 * give -1, not a crash. Run in a child so a crash fails only this case.
 */
static void t_null_err(void)
{
	struct env_saved saved;
	int status = 0;
	pid_t pid;

	env_clear(&saved);
	setenv("XF_BATCH_MAX", "0", 1);
	setenv("XF_LOG_LEVEL", "loud", 1);
	pid = fork();
	if (pid == 0) {
		struct xf_conf conf;

		_exit(cfg_load(&conf, "", NULL) == -1 ? 0 : 1);
	}
	if (T_CHECK(pid > 0)) {
		T_CHECK(waitpid(pid, &status, 0) == pid);
		T_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	env_restore(&saved);
}

#define KEY32 "k3y-k3y-k3y-k3y-k3y-k3y-k3y-k3y-"

/* Loads the environment and checks program's secrets; err gets the problems. */
static int load_check(const char *program, struct xf_conf *conf, struct sbuf *err)
{
	int rc = cfg_load(conf, "127.0.0.1:8081", err);

	rc |= cfg_check_secrets(conf, program, err);
	cfg_release(conf);
	return rc;
}

/* Only XF_ENV=development gives the secrets their defaults and checks nothing. */
static void t_development(void)
{
	struct env_saved saved;
	struct xf_conf conf;
	struct sbuf err = SBUF_INIT;

	env_clear(&saved);
	setenv("XF_ENV", "development", 1);
	T_INTEQ(load_check("xf-dispatch", &conf, &err), 0);
	T_STREQ(err.buf, "");
	T_STREQ(conf.petitioner_key, "xf-dev-key-change-me");
	T_STREQ(conf.webhook_secret, "xf-dev-webhook-secret-change-me");
	T_STREQ(conf.http_token, "");
	T_INTEQ(conf.development, 1);
	setenv("XF_ENV", "staging", 1);
	T_INTEQ(cfg_load(&conf, "", &err), -1);
	T_STREQ(err.buf, "XF_ENV=\"staging\" is not development or production");
	sbuf_release(&err);
	env_restore(&saved);
}

/* Outside development a program refuses a missing, default or short secret it needs. */
static void t_production_refuses(void)
{
	struct env_saved saved;
	struct xf_conf conf;
	struct sbuf err = SBUF_INIT;

	env_clear(&saved);
	T_INTEQ(cfg_load(&conf, "", &err), 0); /* xfctl: no secret checked */
	T_INTEQ(load_check("xf-intake", &conf, &err), -1);
	T_STREQ(err.buf, "XF_PETITIONER_KEY (or XF_PETITIONER_KEY_FILE) is not set; it has no "
			 "default outside XF_ENV=development; "
			 "XF_QUERY_KEY (or XF_QUERY_KEY_FILE) is not set; it has no "
			 "default outside XF_ENV=development");
	sbuf_reset(&err);
	T_INTEQ(load_check("xf-dispatch", &conf, &err), -1);
	T_STREQ(err.buf, "XF_WEBHOOK_SECRET (or XF_WEBHOOK_SECRET_FILE) is not set; it has no "
			 "default outside XF_ENV=development");
	sbuf_reset(&err);
	T_INTEQ(load_check("xf-public", &conf, &err), -1);
	T_STREQ(err.buf, "XF_QUERY_KEY (or XF_QUERY_KEY_FILE) is not set; it has no "
			 "default outside XF_ENV=development");
	sbuf_reset(&err);
	/* all at once: a default, a short one, an exposed address without a token */
	setenv("XF_PETITIONER_KEY", "xf-dev-key-change-me", 1);
	setenv("XF_WEBHOOK_SECRET", "short", 1);
	setenv("XF_HTTP_ADDR", "0.0.0.0:8083", 1);
	T_INTEQ(load_check("xf-dispatch", &conf, &err), -1);
	T_STREQ(err.buf,
		"XF_PETITIONER_KEY is the development default; set a secret of its own; "
		"XF_WEBHOOK_SECRET is shorter than 32 bytes; "
		"XF_HTTP_ADDR=\"0.0.0.0:8083\" is not loopback and XF_HTTP_TOKEN is not set");
	sbuf_reset(&err);
	setenv("XF_PETITIONER_KEY", KEY32, 1);
	setenv("XF_WEBHOOK_SECRET", KEY32 "w", 1);
	setenv("XF_HTTP_TOKEN", "tok", 1);
	T_INTEQ(load_check("xf-dispatch", &conf, &err), -1);
	T_STREQ(err.buf, "XF_HTTP_TOKEN is shorter than 32 bytes");
	sbuf_reset(&err);
	setenv("XF_HTTP_TOKEN", KEY32 "t", 1);
	T_INTEQ(load_check("xf-dispatch", &conf, &err), 0);
	T_INTEQ(load_check("xf-intake", &conf, &err), -1); /* and its query key */
	sbuf_reset(&err);
	setenv("XF_QUERY_KEY", KEY32 "q", 1);
	T_INTEQ(load_check("xf-intake", &conf, &err), 0);
	setenv("XF_HTTP_ADDR", "127.0.0.1:8083", 1); /* loopback: no token needed */
	unsetenv("XF_HTTP_TOKEN");
	T_INTEQ(load_check("xf-dispatch", &conf, &err), 0);
	T_STREQ(err.buf, "");
	sbuf_release(&err);
	env_restore(&saved);
}

/* Writes text to a new temporary file; its name into path. */
static void write_temp(char path[64], const char *text)
{
	int fd;

	snprintf(path, 64, "/tmp/xf-cfg-XXXXXX");
	fd = mkstemp(path);
	if (!T_CHECK(fd >= 0))
		return;
	T_CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
}

/* XF_<NAME>_FILE: the file's content less its trailing newline; not with XF_<NAME>. */
static void t_secret_file(void)
{
	struct env_saved saved;
	struct xf_conf conf;
	struct sbuf err = SBUF_INIT;
	char path[64];

	env_clear(&saved);
	setenv("XF_QUERY_KEY", KEY32 "q", 1);
	write_temp(path, KEY32 "file\n");
	setenv("XF_PETITIONER_KEY_FILE", path, 1);
	T_INTEQ(cfg_load(&conf, "", &err), 0);
	T_STREQ(conf.petitioner_key, KEY32 "file");
	T_INTEQ(cfg_check_secrets(&conf, "xf-intake", &err), 0);
	cfg_release(&conf);
	setenv("XF_PETITIONER_KEY", KEY32, 1);
	T_INTEQ(cfg_load(&conf, "", &err), -1);
	T_STREQ(err.buf, "XF_PETITIONER_KEY and XF_PETITIONER_KEY_FILE are both set: set one");
	cfg_release(&conf);
	sbuf_reset(&err);
	unsetenv("XF_PETITIONER_KEY");
	unlink(path);
	T_INTEQ(cfg_load(&conf, "", &err), -1);
	T_CHECK(!strncmp(err.buf, "XF_PETITIONER_KEY_FILE=\"/tmp/xf-cfg-", 35));
	T_CHECK(strstr(err.buf, "cannot be read: No such file") != NULL);
	cfg_release(&conf);
	sbuf_release(&err);
	env_restore(&saved);
}

static void expect_masked(const char *url, const char *want)
{
	struct sbuf out = SBUF_INIT;

	cfg_mask_url(url, &out);
	T_STREQ(out.buf, want);
	sbuf_release(&out);
}

static void t_mask_url(void)
{
	expect_masked("postgresql://xf:s3cret@db:5432/xf", "postgresql://xf:***@db:5432/xf");
	expect_masked("postgres://xf:p%40ss@127.0.0.1/xf?sslmode=require",
		      "postgres://xf:***@127.0.0.1/xf?sslmode=require");
	expect_masked("postgresql://postgres@127.0.0.1:5432/xf",
		      "postgresql://postgres@127.0.0.1:5432/xf");
	expect_masked("postgresql://db:5432/xf", "postgresql://db:5432/xf");
	expect_masked("", "");
}

static void t_mask_keyvalue(void)
{
	expect_masked("host=db user=xf password=s3cret dbname=xf",
		      "host=db user=xf password=*** dbname=xf");
	expect_masked("host=db password=s3cret", "host=db password=***");
	expect_masked("password=s3cret", "password=***");
	expect_masked("host=db user=xf dbname=xf", "host=db user=xf dbname=xf");
}

static void t_mask_appends(void)
{
	struct sbuf out = SBUF_INIT;

	sbuf_adds(&out, "XF_DATABASE_URL=");
	cfg_mask_url("postgresql://a:b@h/d", &out);
	T_STREQ(out.buf, "XF_DATABASE_URL=postgresql://a:***@h/d");
	sbuf_release(&out);
}

/* Masks url and checks that secret is not in the result. */
static void expect_hidden(const char *url, const char *secret)
{
	struct sbuf out = SBUF_INIT;

	cfg_mask_url(url, &out);
	if (!T_CHECK(strstr(out.buf, secret) == NULL))
		fprintf(stderr, "    masked: %s\n", out.buf);
	sbuf_release(&out);
}

/* Other places libpq takes a password from: none may reach a log. */
static void t_mask_other_forms(void)
{
	/* a URI with the password as a query parameter */
	expect_masked("postgresql://xf@db/xf?password=s3cret",
		      "postgresql://xf@db/xf?password=***");
	/* a quoted key=value password with a space in it */
	expect_masked("host=db password='s3 cret' dbname=xf", "host=db password=*** dbname=xf");
	/* sslpassword= comes first and must not hide password= */
	expect_masked("sslpassword=k3y password=s3cret", "sslpassword=*** password=***");
	expect_masked("postgresql://xf@db/xf?sslmode=require&password=s3cret&x=1",
		      "postgresql://xf@db/xf?sslmode=require&password=***&x=1");
	expect_hidden("postgresql://xf:s3cret@db/xf?password=s3cret", "s3cret");
	expect_hidden("host=db password='a\\' b' dbname=xf", " b");
	expect_hidden("host=db\tpassword=s3cret\tdbname=xf", "s3cret\t");
}

/* libpq allows spaces around = in the key=value form ("keyword = value"). */
static void t_mask_spaced_equals(void)
{
	expect_hidden("host=db password = s3cret dbname=xf", "s3cret");
	expect_hidden("host=db password =s3cret", "s3cret");
	expect_hidden("host=db password= s3cret", "s3cret");
}

/* clang-format off */
T_SUITE(cfg,
	{ "defaults", t_defaults },
	{ "development", t_development },
	{ "production_refuses", t_production_refuses },
	{ "secret_file", t_secret_file },
	{ "overrides", t_overrides },
	{ "empty_is_default", t_empty_is_default },
	{ "errors_at_once", t_errors_at_once },
	{ "range_errors", t_range_errors },
	{ "bad_log_level", t_bad_log_level },
	{ "err_appends", t_err_appends },
	{ "null_err", t_null_err },
	{ "mask_url", t_mask_url },
	{ "mask_keyvalue", t_mask_keyvalue },
	{ "mask_appends", t_mask_appends },
	{ "mask_other_forms", t_mask_other_forms },
	{ "mask_spaced_equals", t_mask_spaced_equals })
/* clang-format on */
