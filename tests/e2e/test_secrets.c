/*
 * test_secrets.c - no development secrets in production (README "Secrets").
 *
 * The real daemon binaries, started with XF_ENV unset (production): with
 * the development default of XF_PETITIONER_KEY and no XF_QUERY_KEY
 * xf-intake exits non-zero and its log names both variables; without XF_WEBHOOK_SECRET xf-dispatch
 * does the same. With the secrets and XF_HTTP_TOKEN in files (_FILE), both
 * start and become ready; /metrics and /status.json answer 401 without the
 * bearer token and 200 with it, /readyz needs none. xfctl migrate needs no
 * secret.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>

#include "e2e.h"
#include "tharness.h"
#include "util.h"

#define TOKEN "e2e-token-0123456789abcdef0123456789"
#define EXIT_WAIT_MS 60000.0

static size_t take(char *data, size_t size, size_t n, void *arg)
{
	sbuf_add(arg, data, size * n);
	return size * n;
}

/* GET http://127.0.0.1:port/path with a bearer token (NULL: none); the status. */
static long get_auth(int port, const char *path, const char *token)
{
	CURL *c = curl_easy_init();
	struct curl_slist *headers = NULL;
	struct sbuf body = SBUF_INIT, hdr = SBUF_INIT;
	char url[128];
	long status = 0;

	snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
	if (token) {
		sbuf_addf(&hdr, "Authorization: Bearer %s", token);
		headers = curl_slist_append(headers, hdr.buf);
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, take);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	curl_slist_free_all(headers);
	sbuf_release(&body);
	sbuf_release(&hdr);
	return status;
}

/* Waits until the daemon exits by itself; its exit status, -1 if it did not. */
static int exit_status(struct e2e *t, enum e2e_daemon d)
{
	double end = now_ms() + EXIT_WAIT_MS;
	int status;

	while (now_ms() < end) {
		pid_t got = waitpid(t->pids[d], &status, WNOHANG);

		if (got == t->pids[d]) {
			t->pids[d] = 0;
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		}
		usleep(20000); /* polling the condition, not waiting for it to come */
	}
	e2e_stop(t, d); /* still running: the test fails, the daemon goes */
	return -1;
}

/* Removes the daemon's log of this test (an earlier run's lines would count). */
static void log_clear(struct e2e *t, const char *daemon)
{
	char path[512];

	snprintf(path, sizeof path, "%s/%s-%s.log", t->logs, t->name, daemon);
	T_CHECK(unlink(path) == 0 || errno == ENOENT);
}

/* Whether the daemon's log (this test's) holds text. */
static int log_has(struct e2e *t, const char *daemon, const char *text)
{
	char path[512];
	struct sbuf log = SBUF_INIT;
	char buf[4096];
	size_t n;
	FILE *f;
	int found;

	snprintf(path, sizeof path, "%s/%s-%s.log", t->logs, t->name, daemon);
	if (!(f = fopen(path, "r")))
		return 0;
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		sbuf_add(&log, buf, n);
	fclose(f);
	found = log.len && strstr(log.buf, text) != NULL;
	if (!found)
		fprintf(stderr, "    %s: no \"%s\" in:\n%s\n", path, text, log.buf ? log.buf : "");
	sbuf_release(&log);
	return found;
}

/* Writes text to <logs>/<test>-<name> and sets var to its path. */
static void secret_file(struct e2e *t, const char *var, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s-%s", t->logs, t->name, name);
	f = fopen(path, "w");
	if (!T_CHECK(f != NULL))
		return;
	fputs(text, f);
	fclose(f);
	setenv(var, path, 1);
}

static int ready(int port)
{
	for (double end = now_ms() + EXIT_WAIT_MS; now_ms() < end; usleep(100000))
		if (get_auth(port, "/readyz", NULL) == 200)
			return 1;
	return 0;
}

/* The daemon serves path only with the token, /readyz without. */
static void expect_guarded(enum e2e_daemon d, struct e2e *t, const char *path)
{
	char addr[64];
	int port = e2e_free_port();

	snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
	T_INTEQ(e2e_start_instance(t, d, 0, addr), 0);
	if (!T_CHECK(ready(port)))
		return;
	T_INTEQ(get_auth(port, path, NULL), 401);
	T_INTEQ(get_auth(port, path, TOKEN "x"), 401);
	T_INTEQ(get_auth(port, path, TOKEN), 200);
	T_INTEQ(e2e_stop(t, d), 0); /* a clean exit: the sanitizer found no leak */
}

static void t_production_secrets(void)
{
	static const char *const migrate[] = { "migrate", NULL };
	struct e2e t;

	if (!T_CHECK(e2e_setup(&t, "secrets") == 0))
		goto out;
	log_clear(&t, "xf-intake");
	log_clear(&t, "xf-dispatch");
	unsetenv("XF_ENV"); /* production */
	T_INTEQ(e2e_xfctl(&t, NULL, migrate), 0);

	setenv("XF_PETITIONER_KEY", "xf-dev-key-change-me", 1);
	T_INTEQ(e2e_start(&t, E2E_INTAKE), 0);
	T_CHECK(exit_status(&t, E2E_INTAKE) > 0);
	T_CHECK(log_has(&t, "xf-intake", "XF_PETITIONER_KEY is the development default"));
	T_CHECK(log_has(&t, "xf-intake", "XF_QUERY_KEY (or XF_QUERY_KEY_FILE) is not set"));
	unsetenv("XF_PETITIONER_KEY");

	T_INTEQ(e2e_start(&t, E2E_DISPATCH), 0);
	T_CHECK(exit_status(&t, E2E_DISPATCH) > 0);
	T_CHECK(log_has(&t, "xf-dispatch",
			"XF_WEBHOOK_SECRET (or XF_WEBHOOK_SECRET_FILE) is not set"));

	secret_file(&t, "XF_PETITIONER_KEY_FILE", "key", "e2e-petitioner-key-0123456789abcdef\n");
	secret_file(&t, "XF_WEBHOOK_SECRET_FILE", "webhook",
		    "e2e-webhook-secret-0123456789abcdef\n");
	secret_file(&t, "XF_HTTP_TOKEN_FILE", "token", TOKEN "\n");
	secret_file(&t, "XF_QUERY_KEY_FILE", "query", "e2e-query-key-0123456789abcdef012345\n");
	expect_guarded(E2E_INTAKE, &t, "/metrics");
	expect_guarded(E2E_DISPATCH, &t, "/status.json");
out:
	unsetenv("XF_PETITIONER_KEY_FILE");
	unsetenv("XF_WEBHOOK_SECRET_FILE");
	unsetenv("XF_HTTP_TOKEN_FILE");
	unsetenv("XF_QUERY_KEY_FILE");
	setenv("XF_ENV", "development", 1);
	e2e_teardown(&t);
}

T_SUITE(e2e_secrets, { "production_secrets", t_production_secrets })
