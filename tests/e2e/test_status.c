/*
 * test_status.c - xf-dispatch's status page (services/dispatch/status.h) on
 * the real stack, in headless Chromium.
 *
 * Petitions go through the three daemons (one malformed, which xf-intake
 * dead-letters); departments accept one case and return another; xf-dispatch
 * dead-letters a message on petition.classified that is not a petition and
 * a broken feedback. Once its case and department gauges have caught up
 * with PostgreSQL, /status.json is compared with PostgreSQL (the board as
 * `xfctl departments --json` reads it, cases by state) and with GET
 * /metrics (the counters; the lag of one sample, status.json's and the
 * gauges' both). Then Chromium renders the page (the DOM after its scripts
 * ran and fetched status.json) and every figure shown is compared with the
 * same series of /metrics, matched by its labels as /metrics writes them
 * (no label parser here); a screenshot is kept as
 * $XF_TEST_LOGS/status-page.png.
 *
 * Chromium is Debian's `chromium` on PATH (or $XF_CHROMIUM); without it the
 * test fails and says so.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "e2e.h"
#include "lag.h"
#include "tharness.h"
#include "util.h"

#define CHROMIUM_TIMEOUT_S 90
#define BUDGET_MS "6000" /* virtual time: the first draw, then a few polls */
#define NPETITIONS 6

/* ---- GET /metrics, parsed ---- */

struct series {
	char *name, *labels;
	double v;
};

struct prom {
	struct series *v;
	size_t n, alloc;
};

static void prom_add(struct prom *p, const char *name, size_t nlen, const char *labels, size_t llen,
		     double v)
{
	if (p->n == p->alloc) {
		p->alloc = p->alloc ? 2 * p->alloc : 256;
		if (!(p->v = realloc(p->v, p->alloc * sizeof *p->v)))
			abort();
	}
	p->v[p->n].name = strndup(name, nlen);
	p->v[p->n].labels = strndup(labels, llen);
	p->v[p->n++].v = v;
}

/* The end of a label set that starts after '{': its '}' (quotes respected). */
static const char *labels_end(const char *s)
{
	int quoted = 0;

	for (; *s && (quoted || *s != '}'); s++) {
		if (quoted && *s == '\\' && s[1])
			s++;
		else if (*s == '"')
			quoted = !quoted;
	}
	return s;
}

/* The samples of a Prometheus text body (comments skipped). */
static void prom_parse(const char *text, struct prom *p)
{
	memset(p, 0, sizeof *p);
	for (const char *line = text; *line; line = strchr(line, '\n') + 1) {
		size_t nlen = strcspn(line, "{ \n");
		const char *lab = line + nlen, *lend = lab;

		if (*line != '#' && *line != '\n' && nlen) {
			if (*lab == '{')
				lend = labels_end(++lab);
			prom_add(p, line, nlen, lab, (size_t)(lend - lab),
				 strtod(lend + (*lend == '}'), NULL));
		}
		if (!strchr(line, '\n'))
			break;
	}
}

static void prom_release(struct prom *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->v[i].name);
		free(p->v[i].labels);
	}
	free(p->v);
}

/*
 * 1 if a label set as /metrics renders it holds key="val": val escaped as
 * the exposition format wants (\\, \" and \n) and looked for as a whole
 * label, so the text is matched, never parsed.
 */
static int has_label(const char *labels, const char *key, const char *val)
{
	struct sbuf want = SBUF_INIT;
	const char *p = labels;
	int found = 0;

	sbuf_addf(&want, "%s=\"", key);
	for (; *val; val++)
		if (*val == '\n')
			sbuf_adds(&want, "\\n");
		else if (*val == '\\' || *val == '"')
			sbuf_addf(&want, "\\%c", *val);
		else
			sbuf_addch(&want, *val);
	sbuf_addch(&want, '"');
	for (; !found && (p = strstr(p, want.buf)); p++)
		found = (p == labels || p[-1] == ',') && (!p[want.len] || p[want.len] == ',');
	sbuf_release(&want);
	return found;
}

/* ---- the page's figures, from Chromium's DOM ---- */

#define FIG_LABELS 4

struct fig {
	char metric[64], value[64], text[96];
	char key[FIG_LABELS][32], val[FIG_LABELS][160];
	int nlabels;
};

/* Copies an attribute or text value, decoding the entities Chromium writes. */
static void decode(const char *s, size_t len, char *out, size_t outsz)
{
	static const struct {
		const char *ent;
		char c;
	} ents[] = {
		{ "&amp;", '&' },
		{ "&quot;", '"' },
		{ "&lt;", '<' },
		{ "&gt;", '>' },
	};
	size_t o = 0;

	for (size_t i = 0; i < len && o + 1 < outsz; i++) {
		size_t e = 0;

		while (e < 4 && strncmp(s + i, ents[e].ent, strlen(ents[e].ent)))
			e++;
		out[o++] = e < 4 ? ents[e].c : s[i];
		if (e < 4)
			i += strlen(ents[e].ent) - 1;
	}
	out[o] = '\0';
}

static void fig_attr(struct fig *f, const char *name, size_t nlen, const char *v, size_t vlen)
{
	if (nlen == 11 && !strncmp(name, "data-metric", nlen))
		decode(v, vlen, f->metric, sizeof f->metric);
	else if (nlen == 10 && !strncmp(name, "data-value", nlen))
		decode(v, vlen, f->value, sizeof f->value);
	else if (nlen > 5 && !strncmp(name, "data-", 5) && f->nlabels < FIG_LABELS) {
		snprintf(f->key[f->nlabels], sizeof f->key[0], "%.*s", (int)(nlen - 5), name + 5);
		decode(v, vlen, f->val[f->nlabels++], sizeof f->val[0]);
	}
}

/* Reads the element whose start tag begins at tag; returns the tag's end. */
static const char *fig_read(const char *tag, struct fig *f)
{
	const char *p = tag + strcspn(tag, " >");

	memset(f, 0, sizeof *f);
	while (*p == ' ') {
		const char *name = p + 1, *eq = name + strcspn(name, "= >"), *v, *vend;

		if (*eq != '=' || eq[1] != '"') {
			p = eq;
			continue;
		}
		v = eq + 2;
		vend = strchr(v, '"');
		if (!vend)
			return v + strlen(v);
		fig_attr(f, name, (size_t)(eq - name), v, (size_t)(vend - v));
		p = vend + 1;
	}
	if (*p == '>')
		decode(p + 1, strcspn(p + 1, "<"), f->text, sizeof f->text);
	return p;
}

/* Every element of dom with a data-metric attribute. */
static struct fig *dom_figs(const char *dom, size_t *n)
{
	struct fig *v = NULL;
	size_t alloc = 0;

	*n = 0;
	for (const char *p = dom; (p = strstr(p, " data-metric=\""));) {
		const char *tag = p;

		while (tag > dom && *tag != '<')
			tag--;
		if (*n == alloc) {
			alloc = alloc ? 2 * alloc : 128;
			if (!(v = realloc(v, alloc * sizeof *v)))
				abort();
		}
		p = fig_read(tag, &v[(*n)++]);
	}
	return v;
}

/* ---- comparing ---- */

/* The figures the page must show exactly as /metrics has them. */
static const char *const exact[] = {
	"xf_cases",
	"xf_dead_letters_total",
	"xf_messages_in_total",
	"xf_messages_out_total",
	"xf_department_status",
	"xf_department_open_cases",
	"xf_department_overdue_ratio",
	"xf_department_return_ratio",
	"xf_department_repeat_ratio",
	"xf_department_satisfaction_ratio",
};

static int is_exact(const char *metric)
{
	for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++)
		if (!strcmp(exact[i], metric))
			return 1;
	return 0;
}

/* 1 if labels carry every label of f with the same value. */
static int covers(const char *labels, const struct fig *f)
{
	for (int i = 0; i < f->nlabels; i++)
		if (!has_label(labels, f->key[i], f->val[i]))
			return 0;
	return 1;
}

/* The sum of f's metric over the series of p that carry f's labels. */
static double prom_sum(const struct prom *p, const struct fig *f, int *found)
{
	double sum = 0;

	*found = 0;
	for (size_t i = 0; i < p->n; i++)
		if (!strcmp(p->v[i].name, f->metric) && covers(p->v[i].labels, f)) {
			sum += p->v[i].v;
			(*found)++;
		}
	return sum;
}

/* What the page should say for f given /metrics: "1,234", "12.5%", "-", "red". */
static void want_text(const struct fig *f, double v, int found, char *out, size_t outsz)
{
	static const char *const card[] = { "green", "yellow", "red" };
	char digits[32];
	size_t len, o = 0;

	if (strstr(f->metric, "_ratio")) {
		snprintf(out, outsz, found ? "%.1f%%" : "-", v * 100);
		return;
	}
	if (!strcmp(f->metric, "xf_department_status")) {
		snprintf(out, outsz, "%s", v >= 0 && v <= 2 ? card[(int)v] : "?");
		return;
	}
	len = (size_t)snprintf(digits, sizeof digits, "%.0f", v);
	for (size_t i = 0; i < len && o + 2 < outsz; i++) {
		if (i && (len - i) % 3 == 0)
			out[o++] = ',';
		out[o++] = digits[i];
	}
	out[o] = '\0';
}

/* 1 if the page's figure f agrees with /metrics p; says why not. */
static int agrees(const struct fig *f, const struct prom *p)
{
	int found, ok;
	double v = prom_sum(p, f, &found);
	char want[96];

	want_text(f, v, found, want, sizeof want);
	if (!strcmp(f->metric, "xf_department_status"))
		ok = strstr(f->text, want) != NULL;
	else
		ok = !strcmp(f->text, want);
	if (found || !strstr(f->metric, "_ratio"))
		ok = ok && *f->value && fabs(strtod(f->value, NULL) - v) < 1e-9;
	if (!ok)
		fprintf(stderr,
			"    page shows %s{%s=\"%s\"...} as \"%s\" (data-value \"%s\"),"
			" /metrics says %g (%d series): want \"%s\"\n",
			f->metric, f->key[0], f->val[0], f->text, f->value, v, found, want);
	return ok;
}

/* 1 if some figure of the page is series s (its metric, labels it carries). */
static int shown(const struct fig *figs, size_t n, const struct series *s)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(figs[i].metric, s->name) && figs[i].nlabels &&
		    covers(s->labels, &figs[i]))
			return 1;
	fprintf(stderr, "    /metrics has %s{%s} but the page does not show it\n", s->name,
		s->labels);
	return 0;
}

/* The figure of metric with label key=val, or NULL. */
static const struct fig *fig_find(const struct fig *figs, size_t n, const char *metric,
				  const char *key, const char *val)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(figs[i].metric, metric) && figs[i].nlabels &&
		    !strcmp(figs[i].key[0], key) && !strcmp(figs[i].val[0], val))
			return &figs[i];
	return NULL;
}

/* ---- Chromium ---- */

/* Chromium's path ($XF_CHROMIUM, else `chromium` on PATH) or NULL. */
static const char *chromium_path(void)
{
	static char path[512];
	const char *env = getenv("XF_CHROMIUM"), *dirs = getenv("PATH");

	if (env && *env)
		return access(env, X_OK) ? NULL : env;
	while (dirs && *dirs) {
		size_t len = strcspn(dirs, ":");

		snprintf(path, sizeof path, "%.*s/chromium", (int)len, dirs);
		if (len && !access(path, X_OK))
			return path;
		dirs += len + (dirs[len] == ':');
	}
	return NULL;
}

/* Removes path and everything under it (Chromium's throwaway profile). */
static void remove_tree(const char *path)
{
	DIR *dir = opendir(path);
	struct dirent *de;
	struct stat st;
	char sub[1024];

	while (dir && (de = readdir(dir))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(sub, sizeof sub, "%s/%s", path, de->d_name);
		if (!lstat(sub, &st) && S_ISDIR(st.st_mode))
			remove_tree(sub);
		else
			unlink(sub);
	}
	if (dir)
		closedir(dir);
	rmdir(path);
}

/* Reads fd into out until EOF or the deadline; 0 at EOF, -1 at the deadline. */
static int read_until(int fd, struct sbuf *out, double deadline_ms)
{
	char buf[8192];

	for (;;) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		ssize_t n;

		if (now_ms() > deadline_ms)
			return -1;
		if (poll(&pfd, 1, 200) <= 0)
			continue;
		n = read(fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0;
		sbuf_add(out, buf, (size_t)n);
	}
}

/*
 * Runs Chromium headless on url with extra (NULL-terminated) arguments, a
 * throwaway profile, stdout into out, stderr appended to logf.
 * Its exit status, or -1 when it could not run or did not finish within
 * CHROMIUM_TIMEOUT_S (then it is killed with its children).
 */
static int chromium(const char *bin, const char *url, const char *const *extra, struct sbuf *out,
		    const char *logf)
{
	char profile[] = "/tmp/xf-status-chromium-XXXXXX", udd[64];
	const char *argv[16] = { "chromium",
				 "--headless=new",
				 "--no-sandbox",
				 "--disable-gpu",
				 "--no-first-run",
				 "--hide-scrollbars",
				 udd };
	int fds[2], status = -1, n = 7, timed_out;
	pid_t pid;

	if (!mkdtemp(profile) || pipe(fds))
		return -1;
	snprintf(udd, sizeof udd, "--user-data-dir=%s", profile);
	for (int i = 0; extra[i] && n < 14; i++)
		argv[n++] = extra[i];
	argv[n] = url;
	if ((pid = fork()) == 0) {
		int fd = open(logf, O_WRONLY | O_CREAT | O_APPEND, 0644);

		setpgid(0, 0);
		dup2(fds[1], 1);
		if (fd >= 0)
			dup2(fd, 2);
		close(fds[0]);
		close(fds[1]);
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	timed_out = pid < 0 || read_until(fds[0], out, now_ms() + CHROMIUM_TIMEOUT_S * 1000.0);
	close(fds[0]);
	if (pid > 0 && timed_out) {
		fprintf(stderr, "    chromium did not finish in %d s: killed\n",
			CHROMIUM_TIMEOUT_S);
		kill(-pid, SIGKILL);
	}
	if (pid > 0 && waitpid(pid, &status, 0) == pid && !timed_out)
		status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	else
		status = -1;
	remove_tree(profile);
	return status;
}

/* ---- the flow ---- */

static int publish(struct e2e *t)
{
	static const char *const text[][2] = {
		{ "公司拖欠工资三个月", "公司拖欠工资，讨薪无果，社保也没有缴纳。" },
		{ "医院检查收费过高",
		  "在医院看病时医生开了很多检查，患者负担很重，请卫生部门核查。" },
		{ "小区旁工厂排放废气",
		  "工厂夜间排放刺鼻废气，附近居民无法开窗，请环保部门查处。" },
	};
	static const char not_petition[] = "{\"schema\": \"xf.petition.v1\"}";
	int rc = 0;

	for (int i = 0; i < NPETITIONS; i++) {
		char ext[16], *s;
		json_t *ev;

		snprintf(ext, sizeof ext, "st-%d", i);
		ev = json_pack("{s:s, s:{s:s}, s:s, s:s, s:s, s:s, s:s}", "schema",
			       "xf.hotline_event.v1", "source", "system", "st12345", "external_id",
			       ext, "occurred_at", "2026-11-22T09:30:00+08:00", "region_code",
			       "330381", "subject", text[i % 3][0], "content", text[i % 3][1]);
		s = json_dumps(ev, JSON_COMPACT);
		rc |= e2e_produce(t, ext, s, strlen(s));
		free(s);
		json_decref(ev);
	}
	rc |= e2e_produce(t, "st-bad", "{not json", 9); /* xf-intake: not_json */
	rc |= e2e_produce_to(t, "petition.classified", "st-np", not_petition,
			     strlen(not_petition)); /* xf-dispatch: bad_petition */
	return rc || e2e_flush(t);
}

static const char *jstr(json_t *j, const char *key)
{
	const char *s = json_string_value(json_object_get(j, key));

	return s ? s : "";
}

static int is_lead(const struct e2e_msg *m)
{
	return !strncmp(m->topic, "assignments.", 12) &&
	       !strcmp(jstr(m->json, "schema"), "xf.assignment.v1") &&
	       !strcmp(jstr(m->json, "role"), "lead");
}

static int leads(struct e2e *t, void *arg)
{
	size_t n = 0;

	for (size_t i = 0; i < t->nmsgs; i++)
		n += is_lead(&t->msgs[i]);
	return n >= *(size_t *)arg;
}

/* The case and department of the nth lead assignment collected. */
static int lead(struct e2e *t, size_t nth, char case_id[32], char dept[72])
{
	for (size_t i = 0; i < t->nmsgs; i++)
		if (is_lead(&t->msgs[i]) && !nth--) {
			snprintf(case_id, 32, "%s", jstr(t->msgs[i].json, "case_id"));
			snprintf(dept, 72, "%s", jstr(t->msgs[i].json, "department"));
			return 0;
		}
	return -1;
}

static int feedback(struct e2e *t, const char *id, const char *case_id, const char *dept,
		    const char *action, const char *reason)
{
	json_t *fb = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "schema", "xf.feedback.v1",
			       "feedback_id", id, "case_id", case_id, "department", dept, "action",
			       action, "at", "2026-11-22T10:00:00+08:00");
	char *s;
	int rc;

	if (reason)
		json_object_set_new(fb, "reason", json_string(reason));
	s = json_dumps(fb, JSON_COMPACT);
	rc = e2e_produce_to(t, "department.feedback", case_id, s, strlen(s));
	free(s);
	json_decref(fb);
	return rc;
}

/* Petitions to their departments; one case accepted, one returned, two dead letters. */
static int run_flow(struct e2e *t)
{
	size_t want = NPETITIONS;
	char c0[32], d0[72], c1[32], d1[72];

	if (publish(t) || !e2e_collect_until(t, leads, &want, 120) || lead(t, 0, c0, d0) ||
	    lead(t, 1, c1, d1))
		return 0;
	return !feedback(t, "st-a", c0, d0, "accept", NULL) &&
	       !feedback(t, "st-r", c1, d1, "return", "非本单位职责范围") &&
	       !e2e_produce_to(t, "department.feedback", "st-broken", "{broken", 7) &&
	       !e2e_flush(t);
}

/* The sum of the series of name (with label key=val when key is set). */
static double total(const struct prom *p, const char *name, const char *key, const char *val)
{
	double sum = 0;

	for (size_t i = 0; i < p->n; i++)
		if (!strcmp(p->v[i].name, name) && (!key || has_label(p->v[i].labels, key, val)))
			sum += p->v[i].v;
	return sum;
}

/* 1 once the feedback is applied and the gauges show what PostgreSQL holds. */
static int caught_up(struct e2e *t, int port)
{
	struct sbuf body = SBUF_INIT;
	struct prom p = { 0 };
	int ok = e2e_sql_long(t, "SELECT count(*) FROM cases WHERE state = 'accepted'") == 1 &&
		 e2e_sql_long(t, "SELECT count(*) FROM cases WHERE returned_by <> '{}'") == 1 &&
		 e2e_http_get(port, "/metrics", &body) == 200;

	if (ok)
		prom_parse(body.buf, &p);
	ok = ok &&
	     total(&p, "xf_cases", NULL, NULL) == e2e_sql_long(t, "SELECT count(*) FROM cases") &&
	     total(&p, "xf_cases", "state", "accepted") == 1 &&
	     total(&p, "xf_department_open_cases", NULL, NULL) ==
		     e2e_sql_long(t, "SELECT count(*) FROM cases"
				     " WHERE state IN ('assigned', 'accepted')") &&
	     total(&p, "xf_department_info", NULL, NULL) ==
		     e2e_sql_long(t, "SELECT count(*) FROM departments") &&
	     total(&p, "xf_department_return_ratio", NULL, NULL) > 0 &&
	     total(&p, "xf_dead_letters_total", NULL, NULL) >= 2;
	prom_release(&p);
	sbuf_release(&body);
	return ok;
}

static int wait_caught_up(struct e2e *t, int port)
{
	for (int i = 0; i < 120; i++) {
		if (caught_up(t, port))
			return 1;
		usleep(500000);
	}
	fprintf(stderr, "    the case and department gauges did not catch up in 60 s\n");
	return 0;
}

/* ---- /status.json against PostgreSQL and /metrics ---- */

/* The departments as `xfctl departments --json` reads them from PostgreSQL (new ref). */
static json_t *db_departments(struct e2e *t)
{
	const char *args[] = { "departments", "--json", NULL };
	struct sbuf out = SBUF_INIT;
	const char *arr;
	json_t *j = NULL;

	if (T_INTEQ(e2e_xfctl(t, &out, args), 0) &&
	    T_CHECK((arr = out.buf[0] == '[' ? out.buf : strstr(out.buf, "\n[")) != NULL))
		j = json_loads(arr + (*arr == '\n'), JSON_DISABLE_EOF_CHECK, NULL);
	sbuf_release(&out);
	return j;
}

/* The entry of arr whose key is val, or NULL. */
static json_t *entry(json_t *arr, const char *key, const char *val)
{
	size_t i;
	json_t *e;

	json_array_foreach(arr, i, e) if (!strcmp(jstr(e, key), val)) return e;
	return NULL;
}

/* 1 if ratio (a number or null) is rate's {"count", "of"}; says why not. */
static int same_ratio(json_t *ratio, json_t *rate, const char *what, const char *dept)
{
	double n = (double)json_integer_value(json_object_get(rate, "count"));
	double of = (double)json_integer_value(json_object_get(rate, "of"));
	int ok = of ? fabs(json_number_value(ratio) - n / of) < 1e-6 && json_is_number(ratio)
		    : json_is_null(ratio);

	if (!ok)
		fprintf(stderr, "    status.json: %s %s is %g, PostgreSQL %g of %g\n", dept, what,
			json_number_value(ratio), n, of);
	return ok;
}

/* Each department of /status.json is db's: status, open cases, the four rates. */
static void check_departments(json_t *status, json_t *db)
{
	json_t *mine = json_object_get(status, "departments"), *d, *s;
	size_t i;

	T_INTEQ(json_array_size(mine), json_array_size(db));
	json_array_foreach(db, i, d)
	{
		const char *code = jstr(d, "department");

		if (!T_CHECK((s = entry(mine, "department", code)) != NULL))
			continue;
		T_STREQ(jstr(s, "status_name"), jstr(d, "status"));
		T_STREQ(jstr(s, "name"), jstr(d, "name"));
		T_INTEQ(json_integer_value(json_object_get(s, "open")),
			json_integer_value(json_object_get(d, "open")));
		T_CHECK(same_ratio(json_object_get(s, "overdue_ratio"),
				   json_object_get(d, "overdue"), "overdue", code));
		T_CHECK(same_ratio(json_object_get(s, "return_ratio"),
				   json_object_get(d, "returned"), "return", code));
		T_CHECK(same_ratio(json_object_get(s, "repeat_ratio"), json_object_get(d, "repeat"),
				   "repeat", code));
		T_CHECK(same_ratio(json_object_get(s, "satisfaction_ratio"),
				   json_object_get(d, "satisfied"), "satisfaction", code));
	}
}

/* Cases by state as PostgreSQL counts them; every case in some state. */
static void check_cases(struct e2e *t, json_t *status)
{
	static const char *const states[] = { "assigned", "accepted", "resolved", "rated" };
	json_t *cases = json_object_get(status, "cases"), *e;
	long sum = 0;
	size_t i;
	char sql[128];

	json_array_foreach(cases, i, e)
		sum += (long)json_integer_value(json_object_get(e, "count"));
	T_INTEQ(sum, e2e_sql_long(t, "SELECT count(*) FROM cases"));
	for (i = 0; i < sizeof states / sizeof states[0]; i++) {
		snprintf(sql, sizeof sql, "SELECT count(*) FROM cases WHERE state = '%s'",
			 states[i]);
		e = entry(cases, "state", states[i]);
		T_INTEQ(e ? json_integer_value(json_object_get(e, "count")) : -1,
			e2e_sql_long(t, sql));
	}
}

/* Each total of list is the counter's series with the same labels on /metrics. */
static void check_totals(json_t *list, const struct prom *p, const char *metric, const char *key,
			 const char *key2)
{
	json_t *e;
	size_t i, seen = 0;

	for (i = 0; i < p->n; i++)
		seen += !strcmp(p->v[i].name, metric);
	T_INTEQ(json_array_size(list), seen);
	json_array_foreach(list, i, e)
	{
		size_t k;
		int found = 0;

		for (k = 0; k < p->n && !found; k++)
			found = !strcmp(p->v[k].name, metric) &&
				has_label(p->v[k].labels, key, jstr(e, key)) &&
				(!key2 || has_label(p->v[k].labels, key2, jstr(e, key2))) &&
				p->v[k].v ==
					(double)json_integer_value(json_object_get(e, "total"));
		if (!T_CHECK(found))
			fprintf(stderr, "    status.json: %s %s=%s not as on /metrics\n", metric,
				key, jstr(e, key));
	}
}

/* The value of metric on /metrics with label key=val, or NAN. */
static double prom_get(const struct prom *p, const char *metric, const char *key, const char *val)
{
	for (size_t i = 0; i < p->n; i++)
		if (!strcmp(p->v[i].name, metric) && (!key || has_label(p->v[i].labels, key, val)))
			return p->v[i].v;
	return NAN;
}

/*
 * status.json and /metrics of the same lag sample, one that saw our three
 * groups (the monitor samples every 10 s); 0 if none came in 60 s.
 */
static int same_sample(int port, json_t **status, struct prom *p)
{
	struct sbuf body = SBUF_INIT;

	for (int i = 0; i < 120; i++) {
		double at;

		if (i)
			usleep(500000);
		sbuf_reset(&body);
		if (e2e_http_get(port, "/status.json", &body) != 200 ||
		    !(*status = json_loads(body.buf, 0, NULL)))
			break;
		sbuf_reset(&body);
		if (e2e_http_get(port, "/metrics", &body) != 200) {
			json_decref(*status);
			break;
		}
		prom_parse(body.buf, p);
		at = json_number_value(json_object_get(*status, "lag_sampled_at"));
		/* status.json's numbers have 12 digits: 10 ms; samples are seconds apart */
		if (json_array_size(json_object_get(*status, "lag")) >= 3 &&
		    fabs(prom_get(p, "xf_consumer_lag_sampled_timestamp_seconds", NULL, NULL) -
			 at) < 0.02) {
			sbuf_release(&body);
			return 1;
		}
		prom_release(p);
		json_decref(*status);
		*status = NULL;
	}
	fprintf(stderr, "    no lag sample of our three groups in 60 s\n");
	sbuf_release(&body);
	return 0;
}

/* Each group of status.json's lag is the gauges' of the same sample. */
static void check_lag(json_t *status, const struct prom *p)
{
	json_t *groups = json_object_get(status, "lag"), *g;
	size_t i;

	json_array_foreach(groups, i, g)
	{
		const char *group = jstr(g, "group");

		T_CHECK(prom_get(p, "xf_consumer_group_status", "group", group) ==
			(double)json_integer_value(json_object_get(g, "status")));
		T_CHECK(total(p, "xf_consumer_group_lag", "group", group) ==
			(double)json_integer_value(json_object_get(g, "lag")));
		T_STREQ(jstr(g, "status_name"), lag_status_name((enum lag_status)json_integer_value(
							json_object_get(g, "status"))));
	}
}

/* /status.json agrees with PostgreSQL (board, cases) and /metrics (counters, lag). */
static void check_status_json(struct e2e *t, int port, json_t *db)
{
	json_t *status = NULL;
	struct prom p;

	if (!T_CHECK(same_sample(port, &status, &p)))
		return;
	check_departments(status, db);
	check_cases(t, status);
	check_totals(json_object_get(status, "messages_in"), &p, "xf_messages_in_total", "topic",
		     NULL);
	check_totals(json_object_get(status, "messages_out"), &p, "xf_messages_out_total", "topic",
		     "kind");
	check_totals(json_object_get(status, "dead_letters"), &p, "xf_dead_letters_total", "reason",
		     NULL);
	check_lag(status, &p);
	printf("    status.json: %zu departments compared with PostgreSQL, %zu lag groups with"
	       " /metrics\n",
	       json_array_size(json_object_get(status, "departments")),
	       json_array_size(json_object_get(status, "lag")));
	prom_release(&p);
	json_decref(status);
}

/* ---- the page ---- */

/*
 * Every exact figure on the page agrees with /metrics, and every department
 * of db (PostgreSQL's, as `xfctl departments --json` has them) is on the
 * board; returns how many figures.
 */
static size_t check_figures(const struct fig *figs, size_t n, const struct prom *p, json_t *db)
{
	static const char *const listed[] = { "xf_cases", "xf_dead_letters_total",
					      "xf_messages_in_total", "xf_messages_out_total" };
	size_t checked = 0, i;
	json_t *d;

	for (i = 0; i < n; i++)
		if (is_exact(figs[i].metric)) {
			T_CHECK(agrees(&figs[i], p));
			checked++;
		}
	for (i = 0; i < p->n; i++)
		for (size_t k = 0; k < sizeof listed / sizeof listed[0]; k++)
			if (!strcmp(p->v[i].name, listed[k]))
				T_CHECK(shown(figs, n, &p->v[i]));
	T_CHECK(json_array_size(db) > 0);
	json_array_foreach(db, i, d) T_CHECK(
		fig_find(figs, n, "xf_department_status", "department", jstr(d, "department")));
	return checked;
}

/* 1 if the failure banner's start tag is there without the class "show". */
static int banner_hidden(const char *dom)
{
	const char *b = strstr(dom, "<div id=\"banner\"");
	char tag[256];

	if (!b)
		return 0;
	snprintf(tag, sizeof tag, "%.*s", (int)strcspn(b, ">"), b);
	return !strstr(tag, "show");
}

/* The page as Chromium rendered it agrees with /metrics fetched right after. */
static void check_page(const char *bin, int port, const char *logs, json_t *db)
{
	const char *args[] = { "--virtual-time-budget=" BUDGET_MS, "--dump-dom", NULL };
	struct sbuf dom = SBUF_INIT, body = SBUF_INIT;
	char url[64], logf[512];
	const struct fig *f;
	struct fig *figs;
	struct prom p;
	size_t n;

	snprintf(url, sizeof url, "http://127.0.0.1:%d/", port);
	snprintf(logf, sizeof logf, "%s/status-chromium.log", logs);
	T_INTEQ(chromium(bin, url, args, &dom, logf), 0);
	T_INTEQ(e2e_http_get(port, "/metrics", &body), 200);
	prom_parse(body.buf, &p);
	figs = dom_figs(dom.buf, &n);
	printf("    status page: %zu figures agree with /metrics\n",
	       check_figures(figs, n, &p, db));
	/* what the flow made is there */
	T_CHECK((f = fig_find(figs, n, "xf_cases", "state", "accepted")) && !strcmp(f->text, "1"));
	T_CHECK(fig_find(figs, n, "xf_dead_letters_total", "reason", "bad_feedback"));
	T_CHECK(fig_find(figs, n, "xf_dead_letters_total", "reason", "bad_petition"));
	T_CHECK((f = fig_find(figs, n, "xf_messages_in_total", "topic", "petition.classified")) &&
		strtol(f->value, NULL, 10) >= NPETITIONS + 1);
	/* drawn from status.json, not only from the figures embedded in the page */
	T_CHECK(strstr(dom.buf, "id=\"refreshed\" data-fetches=\"") &&
		strtol(strstr(dom.buf, "data-fetches=\"") + 14, NULL, 10) >= 1);
	T_CHECK(banner_hidden(dom.buf));
	free(figs);
	prom_release(&p);
	sbuf_release(&dom);
	sbuf_release(&body);
}

/* Saves the page as logs/status-page.png (1280 x 1000) and prints its path. */
static void screenshot(const char *bin, int port, const char *logs)
{
	static const unsigned char png[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	char url[64], path[512], shot[600], logf[512];
	const char *args[] = { "--virtual-time-budget=" BUDGET_MS, "--window-size=1280,1000", shot,
			       NULL };
	unsigned char head[8] = { 0 };
	struct sbuf out = SBUF_INIT;
	struct stat st;
	FILE *fp;

	snprintf(url, sizeof url, "http://127.0.0.1:%d/", port);
	snprintf(path, sizeof path, "%s/status-page.png", logs);
	snprintf(shot, sizeof shot, "--screenshot=%s", path);
	snprintf(logf, sizeof logf, "%s/status-chromium.log", logs);
	unlink(path);
	T_INTEQ(chromium(bin, url, args, &out, logf), 0);
	T_CHECK(stat(path, &st) == 0 && st.st_size > 10000);
	if ((fp = fopen(path, "rb"))) {
		T_INTEQ(fread(head, 1, sizeof head, fp), sizeof head);
		fclose(fp);
	}
	T_CHECK(!memcmp(head, png, sizeof png));
	printf("    screenshot: %s\n", path);
	sbuf_release(&out);
}

static void t_status(void)
{
	const char *bin = chromium_path();
	char addr[32];
	int port = e2e_free_port();
	struct e2e t;

	if (!bin)
		fprintf(stderr, "    chromium not found on PATH: install Debian's chromium"
				" package (deploy/scripts/setup.sh does) or set XF_CHROMIUM\n");
	if (!T_CHECK(bin != NULL) || !T_CHECK(port > 0) || !T_CHECK(e2e_setup(&t, "status") == 0))
		return;
	T_CHECK(e2e_start(&t, E2E_INTAKE) == 0 && e2e_start(&t, E2E_CLASSIFY) == 0);
	snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
	setenv("XF_HTTP_ADDR", addr, 1); /* xf-dispatch only */
	T_CHECK(e2e_start(&t, E2E_DISPATCH) == 0);
	setenv("XF_HTTP_ADDR", "off", 1);
	if (T_CHECK(run_flow(&t)) && T_CHECK(wait_caught_up(&t, port))) {
		json_t *db = db_departments(&t);

		check_status_json(&t, port, db);
		check_page(bin, port, t.logs, db);
		screenshot(bin, port, t.logs);
		json_decref(db);
	}
	for (int k = 0; k < E2E_NDAEMONS; k++)
		T_INTEQ(e2e_stop(&t, k), 0);
	e2e_teardown(&t);
}

/* clang-format off */
T_SUITE(e2e_status, { "page_agrees_with_metrics", t_status })
/* clang-format on */
