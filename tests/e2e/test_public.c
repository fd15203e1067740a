/*
 * test_public.c - the citizen's status page and API (xf-public, issue 13
 * items 3 and 4) on the real broker and PostgreSQL with the real daemons:
 * one petition through assigned, accepted, resolved and closed, its JSON
 * (against xf.public_case.v1) and page at each stage, the page in headless
 * Chromium (screenshots kept in XF_TEST_LOGS), the QR codes decoded with
 * zbarimg, a wrong code and an unknown case answered alike, the rate limit,
 * and no personal data in any public output.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>
#include <fcntl.h>

#include "check.h"
#include "jschema.h"
#include "querycode.h"
#include "sbuf.h"
#include "tharness.h"
#include "util.h"

#define NAME "王小明"
#define PHONE "13812345678"
#define CONTENT "公司拖欠工资三个月，讨薪无果，社保也没有缴纳，请人社部门帮助。"
#define RESULT "已督促企业补发拖欠工资"
#define RESULT2 "企业已补发工资，社保已补缴"
#define DEV_KEY "xf-dev-query-key-change-me"
#define DEPT_NAME "瑞安市人力资源和社会保障局"

/* An xf-public of the test's. */
struct pubd {
	pid_t pid;
	int port;
};

static int pub_start(struct e2e *t, struct pubd *p, const char *tag, const char *rate,
		     const char *burst)
{
	char path[512], log[512], addr[64], url[64];

	p->port = e2e_free_port();
	snprintf(path, sizeof path, "%s/xf-public", t->bin);
	snprintf(log, sizeof log, "%s/%s-xf-public%s.log", t->logs, t->name, tag);
	snprintf(addr, sizeof addr, "127.0.0.1:%d", p->port);
	snprintf(url, sizeof url, "http://127.0.0.1:%d", p->port);
	setenv("XF_PUBLIC_ADDR", addr, 1);
	setenv("XF_PUBLIC_URL", url, 1);
	setenv("XF_PUBLIC_RATE", rate, 1);
	setenv("XF_PUBLIC_BURST", burst, 1);
	p->pid = fork();
	if (p->pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);

		dup2(fd, 1);
		dup2(fd, 2);
		execl(path, "xf-public", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 300; i++) { /* up to 30 s for the listener */
		struct sbuf body = SBUF_INIT;
		long st = e2e_http_get(p->port, "/healthz", &body);

		sbuf_release(&body);
		if (st == 200)
			return 0;
		usleep(100000);
	}
	return -1;
}

/* SIGTERM; its exit status (0 = clean). */
static int pub_stop(struct pubd *p)
{
	int status = -1;

	if (p->pid <= 0)
		return -1;
	kill(p->pid, SIGTERM);
	waitpid(p->pid, &status, 0);
	p->pid = 0;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* An HTTP answer: status, the headers' text and the body. */
struct answer {
	long status;
	struct sbuf head, body;
};

static size_t take(char *data, size_t size, size_t n, void *arg)
{
	sbuf_add(arg, data, size * n);
	return size * n;
}

static void get(const struct pubd *p, const char *path, struct answer *a)
{
	CURL *c = curl_easy_init();
	char url[512];

	snprintf(url, sizeof url, "http://127.0.0.1:%d%s", p->port, path);
	a->status = 0;
	a->head = (struct sbuf)SBUF_INIT;
	a->body = (struct sbuf)SBUF_INIT;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, take);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &a->body);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, take);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &a->head);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &a->status);
	curl_easy_cleanup(c);
}

static void answer_release(struct answer *a)
{
	sbuf_release(&a->head);
	sbuf_release(&a->body);
}

/* The value of header name (lower case) in a's headers, into out ("" if none). */
static const char *header(const struct answer *a, const char *name, char *out, size_t size)
{
	const char *h = a->head.buf ? a->head.buf : "";
	size_t n = strlen(name);

	out[0] = '\0';
	for (const char *l = h; *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : l + strlen(l))
		if (!strncasecmp(l, name, n) && l[n] == ':') {
			snprintf(out, size, "%.*s", (int)strcspn(l + n + 2, "\r\n"), l + n + 2);
			break;
		}
	return out;
}

/* No personal data in text. */
static int no_personal(const char *what, const char *text)
{
	int ok = text && !strstr(text, NAME) && !strstr(text, PHONE) &&
		 !strstr(text, "拖欠工资三个月") && !strstr(text, "13812345678");

	if (!ok)
		fprintf(stderr, "    personal data in %s\n", what);
	return ok;
}

struct lookup {
	const struct pubd *p;
	const char *case_id, *status;
	char code[QUERY_CODE_LEN + 1];
	json_t *view; /* the last answer */
};

/* The case's JSON, once its status is l->status (up to 60 s). */
static json_t *await_status(struct lookup *l)
{
	char path[256];

	snprintf(path, sizeof path, "/v1/cases/%s?code=%s", l->case_id, l->code);
	for (int i = 0; i < 600; i++) {
		struct answer a;
		const char *st;

		get(l->p, path, &a);
		json_decref(l->view);
		l->view = a.status == 200 ? json_loads(a.body.buf, 0, NULL) : NULL;
		answer_release(&a);
		st = json_string_value(json_object_get(l->view, "status"));
		if (st && !strcmp(st, l->status))
			return l->view;
		usleep(100000);
	}
	fprintf(stderr, "    no status %s\n", l->status);
	return NULL;
}

/* Statuses of the view's steps, space-separated. */
static const char *step_statuses(json_t *view)
{
	static char out[256];
	size_t i, n = 0;
	json_t *s;

	out[0] = '\0';
	json_array_foreach(json_object_get(view, "steps"), i, s)
		n += (size_t)snprintf(out + n, sizeof out - n, "%s%s", n ? " " : "",
				      json_string_value(json_object_get(s, "status")));
	return out;
}

/* The JSON at a stage: schema, status, stage, department, steps, nothing personal. */
static void check_json(struct lookup *l, int stage, const char *steps)
{
	struct sbuf err = SBUF_INIT;
	json_t *v = await_status(l);
	char *text;

	if (!T_CHECK(v != NULL))
		return;
	T_CHECK(jschema_validate(check_schema_set(), "xf.public_case.v1", v, &err) == 0);
	if (err.len)
		fprintf(stderr, "    %s\n", err.buf);
	T_INTEQ(json_integer_value(json_object_get(v, "stage")), stage);
	T_STREQ(step_statuses(v), steps);
	T_STREQ(json_string_value(json_object_get(json_object_get(v, "department"), "code")),
		"t-rsj");
	T_STREQ(json_string_value(json_object_get(json_object_get(v, "department"), "name")),
		DEPT_NAME);
	T_CHECK(json_object_get(v, "resolve_by") != NULL);
	text = json_dumps(v, 0);
	T_CHECK(no_personal("JSON", text));
	T_CHECK(!strstr(text, "explain") && !strstr(text, "risk") && !strstr(text, "lc12345"));
	free(text);
	sbuf_release(&err);
}

/* The page (by HTTP): 200, the CSP, its marks, nothing personal. */
static void check_page(struct lookup *l, const char *current)
{
	char path[256], csp[256], mark[128];
	struct answer a;

	snprintf(path, sizeof path, "/c/%s?code=%s", l->case_id, l->code);
	get(l->p, path, &a);
	T_INTEQ(a.status, 200);
	T_STREQ(header(&a, "content-security-policy", csp, sizeof csp),
		"default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:");
	snprintf(mark, sizeof mark, "class=\"current\" aria-current=\"step\">%s<", current);
	T_CHECK(a.body.buf && strstr(a.body.buf, mark));
	T_CHECK(a.body.buf && strstr(a.body.buf, DEPT_NAME));
	T_CHECK(a.body.buf && !strstr(a.body.buf, "<script") && !strstr(a.body.buf, "src="));
	T_CHECK(no_personal("page", a.body.buf));
	answer_release(&a);
}

/* Chromium's profile for the test (removed at its end). */
static char profile[64];

/* The page as Chromium shows it at a stage. */
static void check_browser(struct e2e *t, struct lookup *l, const char *shot, const char *current,
			  const char *shows)
{
	struct sbuf dom = SBUF_INIT;
	char url[256], mark[128];

	snprintf(url, sizeof url, "http://127.0.0.1:%d/c/%s?code=%s", l->p->port, l->case_id,
		 l->code);
	T_INTEQ(e2e_chromium(t, profile, url, shot, 390, 844, &dom), 0);
	snprintf(mark, sizeof mark, "aria-current=\"step\">%s</li>", current);
	T_CHECK(dom.buf && strstr(dom.buf, mark));
	T_CHECK(dom.buf && strstr(dom.buf, DEPT_NAME));
	T_CHECK(dom.buf && strstr(dom.buf, l->case_id));
	T_CHECK(dom.buf && strstr(dom.buf, shows));
	T_CHECK(no_personal("Chromium's page", dom.buf));
	sbuf_release(&dom);
}

/* The QR codes (PNG by HTTP and by xfctl; SVG through Chromium) decode to the page address. */
static void check_qr(struct e2e *t, struct lookup *l)
{
	struct sbuf want = SBUF_INIT, got = SBUF_INIT, cmd = SBUF_INIT, out = SBUF_INIT;
	char png[512], path[256];
	struct answer a;
	FILE *f;

	sbuf_addf(&want, "http://127.0.0.1:%d/c/%s?code=%s", l->p->port, l->case_id, l->code);
	snprintf(path, sizeof path, "/v1/cases/%s/qr.png?code=%s", l->case_id, l->code);
	get(l->p, path, &a);
	T_INTEQ(a.status, 200);
	snprintf(png, sizeof png, "%s/%s-qr.png", t->logs, t->name);
	if ((f = fopen(png, "wb"))) {
		fwrite(a.body.buf, 1, a.body.len, f);
		fclose(f);
	}
	answer_release(&a);
	sbuf_addf(&cmd, "zbarimg -q --raw '%s' 2>/dev/null", png);
	sbuf_addch(&want, '\n'); /* zbarimg and xfctl end the address with one */
	T_INTEQ(e2e_run(cmd.buf, &got), 0);
	T_STREQ(got.buf, want.buf);

	/* xfctl case qr, for the e-station */
	snprintf(png, sizeof png, "%s/%s-xfctl-qr.png", t->logs, t->name);
	T_INTEQ(e2e_xfctl(t, &out, (const char *[]){ "case", "qr", l->case_id, "-o", png, NULL }),
		0);
	T_STREQ(out.buf, want.buf);
	sbuf_reset(&cmd);
	sbuf_addf(&cmd, "zbarimg -q --raw '%s' 2>/dev/null", png);
	sbuf_reset(&got);
	T_INTEQ(e2e_run(cmd.buf, &got), 0);
	T_STREQ(got.buf, want.buf);
	T_CHECK(no_personal("QR code", got.buf));

	/* the SVG, as a browser draws it */
	snprintf(path, sizeof path, "http://127.0.0.1:%d/v1/cases/%s/qr.svg?code=%s", l->p->port,
		 l->case_id, l->code);
	sbuf_reset(&cmd);
	sbuf_addf(&cmd,
		  "timeout 120 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars"
		  " --user-data-dir=%s --window-size=390,844"
		  " --screenshot=%s/%s-qr-svg.png '%s' >/dev/null 2>&1 &&"
		  " zbarimg -q --raw %s/%s-qr-svg.png 2>/dev/null",
		  profile, t->logs, t->name, path, t->logs, t->name);
	sbuf_reset(&got);
	T_INTEQ(e2e_run(cmd.buf, &got), 0);
	T_STREQ(got.buf, want.buf);
	sbuf_release(&want);
	sbuf_release(&got);
	sbuf_release(&cmd);
	sbuf_release(&out);
}

/* Two answers alike: status, type and body byte for byte. */
static int alike(const struct answer *a, const struct answer *b)
{
	char ta[128], tb[128];

	header(a, "content-type", ta, sizeof ta);
	header(b, "content-type", tb, sizeof tb);
	return a->status == b->status && !strcmp(ta, tb) && a->body.len == b->body.len &&
	       !memcmp(a->body.buf, b->body.buf, a->body.len);
}

/* A wrong code, an unknown case (with its right code), a malformed id: one answer. */
static void check_not_found(struct lookup *l)
{
	static const char *const prefixes[] = { "/v1/cases/", "/c/", "/v1/cases/" };
	static const char *const suffixes[] = { "", "", "/qr.png" };
	const char *unknown = "XF-330381-20261122-999999";
	char ucode[QUERY_CODE_LEN + 1], path[256], wrong[QUERY_CODE_LEN + 1];

	query_code(DEV_KEY, unknown, ucode);
	snprintf(wrong, sizeof wrong, "%s", l->code);
	wrong[0] = wrong[0] == 'A' ? 'B' : 'A';
	for (int k = 0; k < 3; k++) {
		struct answer a[4];

		snprintf(path, sizeof path, "%s%s%s?code=%s", prefixes[k], l->case_id, suffixes[k],
			 wrong);
		get(l->p, path, &a[0]);
		snprintf(path, sizeof path, "%s%s%s?code=%s", prefixes[k], unknown, suffixes[k],
			 k == 2 ? wrong : ucode);
		get(l->p, path, &a[1]);
		snprintf(path, sizeof path, "%sXF-33%%3Cb%%3E%s?code=%s", prefixes[k], suffixes[k],
			 l->code);
		get(l->p, path, &a[2]);
		snprintf(path, sizeof path, "%s%s%s", prefixes[k], l->case_id, suffixes[k]);
		get(l->p, path, &a[3]);
		T_INTEQ(a[0].status, 404);
		for (int i = 1; i < 4; i++)
			T_CHECK(alike(&a[0], &a[i]));
		if (k == 1)
			T_CHECK(a[0].body.buf && strstr(a[0].body.buf, "未找到"));
		for (int i = 0; i < 4; i++)
			answer_release(&a[i]);
	}
}

/* A second xf-public allowing 1 lookup a minute, 2 at once: the third gets 429. */
static void check_rate(struct e2e *t, struct lookup *l)
{
	struct pubd slow = { 0, 0 };
	char path[256], retry[32];
	struct answer a;

	if (!T_CHECK(pub_start(t, &slow, ".slow", "1", "2") == 0))
		return;
	snprintf(path, sizeof path, "/v1/cases/%s?code=%s", l->case_id, l->code);
	for (int i = 0; i < 3; i++) {
		get(&slow, path, &a);
		T_INTEQ(a.status, i < 2 ? 200 : 429);
		if (i == 2) {
			header(&a, "retry-after", retry, sizeof retry);
			T_CHECK(atol(retry) >= 1 && atol(retry) <= 60);
		}
		answer_release(&a);
	}
	get(&slow, "/healthz", &a); /* not a lookup */
	T_INTEQ(a.status, 200);
	answer_release(&a);
	T_INTEQ(pub_stop(&slow), 0);
}

static int petition(struct e2e *t, const char *ext, char case_id[32])
{
	json_t *ev = json_pack("{s:s, s:{s:s, s:s}, s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s}}",
			       "schema", "xf.hotline_event.v1", "source", "system", "lc12345",
			       "channel", "hotline", "external_id", ext, "occurred_at",
			       "2026-11-22T09:30:00+08:00", "region_code", "330381001", "subject",
			       "公司拖欠工资三个月", "content", CONTENT, "petitioner", "name", NAME,
			       "phone", PHONE);
	char *text = json_dumps(ev, JSON_COMPACT);
	int rc = e2e_produce(t, ext, text, strlen(text)) || e2e_flush(t);
	PGresult *res;

	free(text);
	json_decref(ev);
	for (int i = 0; !rc && i < 900; i++) { /* its case, up to 90 s */
		res = PQexecParams(t->conn,
				   "SELECT case_id FROM cases WHERE external_id = $1 AND"
				   " EXISTS (SELECT 1 FROM case_events e WHERE e.case_id ="
				   " cases.case_id AND e.type = 'assigned')",
				   1, NULL, (const char *const[]){ ext }, NULL, NULL, 0);
		if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
			snprintf(case_id, 32, "%s", PQgetvalue(res, 0, 0));
			PQclear(res);
			return 0;
		}
		PQclear(res);
		usleep(100000);
	}
	return -1;
}

/* Feedback id on case_id; a rating or a follow-up from the bureau (the citizen's side). */
static int feedback(struct e2e *t, const char *case_id, const char *id, const char *action,
		    const char *extra)
{
	json_t *fb = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "schema", "xf.feedback.v1",
			       "feedback_id", id, "case_id", case_id, "department", "t-rsj",
			       "action", action, "at", "2026-11-22T10:00:00+08:00");
	json_t *more = extra ? json_loads(extra, 0, NULL) : NULL;
	char *text;
	int rc;

	if (more)
		json_object_update(fb, more);
	text = json_dumps(fb, JSON_COMPACT);
	rc = (!strcmp(action, "rate") || !strcmp(action, "followup")
		      ? e2e_feedback_as(t, "t-bureau", NULL, case_id, text)
		      : e2e_produce_to(t, "department.feedback", case_id, text, strlen(text))) ||
	     e2e_flush(t);
	free(text);
	json_decref(more);
	json_decref(fb);
	return rc;
}

/*
 * One petition from its assignment to its closure, through a follow-up that
 * finds the citizen dissatisfied (reopened) and one that does not: the JSON
 * and the page at each stage, Chromium at four, the QR codes, and every
 * petition.updates message of the case.
 */
static void stages(struct e2e *t, struct lookup *l)
{
	json_t *steps;

	l->status = "assigned";
	check_json(l, 1, "received assigned");
	T_CHECK(json_object_get(l->view, "accept_by") != NULL);
	check_page(l, "交办");
	check_browser(t, l, "1-assigned", "交办", "办结期限");
	check_qr(t, l);
	check_not_found(l);

	T_CHECK(feedback(t, l->case_id, "pub-accept", "accept", NULL) == 0);
	l->status = "accepted";
	check_json(l, 2, "received assigned accepted");
	check_page(l, "受理确认");

	T_CHECK(feedback(t, l->case_id, "pub-resolve", "resolve", "{\"result\": \"" RESULT "\"}") ==
		0);
	l->status = "resolved";
	check_json(l, 4, "received assigned accepted resolved");
	T_STREQ(json_string_value(json_object_get(l->view, "result")), RESULT);
	steps = json_object_get(l->view, "steps");
	T_INTEQ(json_array_size(json_object_get(json_array_get(steps, 3), "followups")), 3);
	check_page(l, "办结");
	check_browser(t, l, "2-resolved", "办结", RESULT);

	/* the hotline's call-back: the citizen is not satisfied (what they said stays inside) */
	T_CHECK(feedback(t, l->case_id, "pub-callback", "followup",
			 "{\"followup\": \"callback\", \"satisfaction\": \"dissatisfied\","
			 " \"channel\": \"phone\", \"note\": \"" NAME "说工资仍未到账，"
			 "电话" PHONE "\"}") == 0);
	l->status = "reopened";
	check_json(l, 3, "received assigned accepted resolved followed_up reopened");
	T_CHECK(json_object_get(l->view, "result") == NULL);
	check_page(l, "办理");
	check_browser(t, l, "3-reopened", "办理", "您对办理结果不满意");

	T_CHECK(feedback(t, l->case_id, "pub-resolve-2", "resolve",
			 "{\"result\": \"" RESULT2 "\"}") == 0);
	l->status = "resolved";
	check_json(l, 4, "received assigned accepted resolved followed_up reopened resolved");
	T_STREQ(json_string_value(json_object_get(l->view, "result")), RESULT2);

	T_CHECK(feedback(t, l->case_id, "pub-callback-2", "followup",
			 "{\"followup\": \"callback\", \"satisfaction\": \"satisfied\","
			 " \"channel\": \"phone\"}") == 0);
	l->status = "followed_up";
	check_json(l, 5,
		   "received assigned accepted resolved followed_up reopened resolved followed_up");
	check_page(l, "评价");

	T_CHECK(feedback(t, l->case_id, "pub-rate", "rate", "{\"satisfaction\": \"satisfied\"}") ==
		0);
	l->status = "closed";
	check_json(l, 5,
		   "received assigned accepted resolved followed_up reopened resolved followed_up "
		   "closed");
	check_page(l, "评价");
	check_browser(t, l, "4-closed", "评价", "您已评价，事项办结。");
	check_updates(t, l->case_id, (const char *const[]){ NAME, PHONE, "拖欠工资三个月", NULL },
		      "received assigned accepted resolved followed_up reopened resolved "
		      "followed_up closed");
}

static void remove_tree(const char *dir)
{
	struct sbuf cmd = SBUF_INIT, out = SBUF_INIT;

	sbuf_addf(&cmd, "rm -rf '%s'", dir);
	e2e_run(cmd.buf, &out);
	sbuf_release(&cmd);
	sbuf_release(&out);
}

static void t_public(void)
{
	struct e2e t;
	struct pubd p = { 0, 0 };
	struct lookup l = { &p, NULL, NULL, "", NULL };
	char case_id[32];
	struct answer a;

	snprintf(profile, sizeof profile, "/tmp/xf-chromium-XXXXXX");
	if (!T_CHECK(mkdtemp(profile) != NULL) || !T_CHECK(e2e_setup(&t, "public") == 0))
		return;
	for (int d = 0; d < E2E_NDAEMONS; d++)
		T_INTEQ(e2e_start(&t, d), 0);
	if (!T_CHECK(pub_start(&t, &p, "", "100000", "100000") == 0))
		goto out;
	get(&p, "/readyz", &a);
	T_INTEQ(a.status, 200);
	answer_release(&a);
	if (!T_CHECK(petition(&t, "pub-1", case_id) == 0))
		goto out;
	l.case_id = case_id;
	query_code(DEV_KEY, case_id, l.code);
	stages(&t, &l);
	check_rate(&t, &l);
	T_INTEQ(pub_stop(&p), 0);
	for (int d = 0; d < E2E_NDAEMONS; d++)
		T_INTEQ(e2e_stop(&t, d), 0);
out:
	json_decref(l.view);
	pub_stop(&p);
	unsetenv("XF_PUBLIC_ADDR");
	unsetenv("XF_PUBLIC_URL");
	unsetenv("XF_PUBLIC_RATE");
	unsetenv("XF_PUBLIC_BURST");
	e2e_teardown(&t);
	remove_tree(profile);
}

/* Outside development xf-public refuses to start without XF_QUERY_KEY, naming it. */
static void t_needs_key(void)
{
	struct sbuf cmd = SBUF_INIT, out = SBUF_INIT;
	const char *bin = getenv("XF_TEST_BIN") ? getenv("XF_TEST_BIN") : "bin";

	sbuf_addf(&cmd,
		  "env -u XF_QUERY_KEY -u XF_QUERY_KEY_FILE XF_ENV=production"
		  " XF_PUBLIC_ADDR=127.0.0.1:0 '%s/xf-public' 2>&1; echo \"exit $?\"",
		  bin);
	e2e_run(cmd.buf, &out);
	T_CHECK(out.buf && strstr(out.buf, "\"event\":\"init_failed\""));
	T_CHECK(out.buf && strstr(out.buf, "XF_QUERY_KEY (or XF_QUERY_KEY_FILE) is not set"));
	T_CHECK(out.buf && strstr(out.buf, "exit 1\n"));
	sbuf_release(&cmd);
	sbuf_release(&out);
}

/*
 * PostgreSQL away: xf-public starts and is alive, not ready; a lookup with
 * the right code answers 503 (a wrong code still 404: nothing is told).
 */
static void t_database_away(void)
{
	struct e2e t = { .name = "public_pg_away" };
	struct pubd p = { 0, 0 };
	char url[128], path[256], code[QUERY_CODE_LEN + 1];
	const char *id = "XF-330381-20261122-000001";
	struct answer a;

	t.bin = getenv("XF_TEST_BIN") ? getenv("XF_TEST_BIN") : "bin";
	t.logs = getenv("XF_TEST_LOGS") ? getenv("XF_TEST_LOGS") : ".run/test/logs";
	snprintf(url, sizeof url, "postgresql://postgres@127.0.0.1:%d/xf", e2e_free_port());
	setenv("XF_DATABASE_URL", url, 1);
	setenv("XF_ENV", "development", 1);
	if (!T_CHECK(pub_start(&t, &p, "", "1000", "1000") == 0))
		goto out;
	get(&p, "/readyz", &a);
	T_INTEQ(a.status, 503);
	answer_release(&a);
	query_code(DEV_KEY, id, code);
	snprintf(path, sizeof path, "/v1/cases/%s?code=%s", id, code);
	get(&p, path, &a);
	T_INTEQ(a.status, 503);
	T_STREQ(a.body.buf, "{\"error\":\"unavailable\"}\n");
	answer_release(&a);
	snprintf(path, sizeof path, "/v1/cases/%s?code=00000000", id);
	get(&p, path, &a);
	T_INTEQ(a.status, 404);
	answer_release(&a);
	T_INTEQ(pub_stop(&p), 0);
out:
	pub_stop(&p);
	unsetenv("XF_DATABASE_URL");
	unsetenv("XF_PUBLIC_ADDR");
	unsetenv("XF_PUBLIC_URL");
	unsetenv("XF_PUBLIC_RATE");
	unsetenv("XF_PUBLIC_BURST");
}

/* clang-format off */
T_SUITE(e2e_public, { "status_page_api_qr", t_public }, { "needs_query_key", t_needs_key },
	{ "database_away", t_database_away })
/* clang-format on */
