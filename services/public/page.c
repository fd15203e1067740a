/* page.c - see page.h. */
#include "page.h"

#include <string.h>

#include "view.h"

static const char page_css[] =
	"body{margin:0;font:16px/1.5 sans-serif;color:#222;background:#f4f5f7}"
	"header{background:#b71c1c;color:#fff;padding:14px 16px}"
	"h1{font-size:19px;margin:0}header p{margin:2px 0 0;font-size:13px;opacity:.9}"
	"main{padding:12px}section{background:#fff;border-radius:8px;padding:12px 14px;"
	"margin-bottom:12px}h2{font-size:15px;margin:0 0 8px;color:#555}"
	"ol.bar{display:flex;list-style:none;margin:0;padding:0}"
	"ol.bar li{flex:1;text-align:center;font-size:12px;color:#999;position:relative;"
	"padding-top:22px}"
	"ol.bar li:before{content:'';position:absolute;top:4px;left:50%;width:12px;"
	"height:12px;margin-left:-6px;border-radius:50%;background:#ccc}"
	"ol.bar li.done{color:#2e7d32}ol.bar li.done:before{background:#2e7d32}"
	"ol.bar li.current{color:#b71c1c;font-weight:bold}"
	"ol.bar li.current:before{background:#b71c1c;box-shadow:0 0 0 3px #f8c8c8}"
	"dl{margin:0}dt{color:#777;font-size:13px}dd{margin:0 0 8px}"
	"ul.steps{list-style:none;margin:0;padding:0}"
	"ul.steps li{border-left:2px solid #ddd;padding:0 0 10px 12px}"
	"ul.steps time{display:block;color:#777;font-size:13px}"
	"footer{color:#999;font-size:12px;text-align:center;padding:8px}";

/* An RFC 3339 time as "2026-11-22 10:00" (its own offset's clock), escaped. */
static void add_time(struct sbuf *out, const char *t)
{
	char buf[17];

	if (!t || strlen(t) < 16) {
		sbuf_add_html(out, t ? t : "");
		return;
	}
	memcpy(buf, t, 16);
	buf[10] = ' ';
	buf[16] = '\0';
	sbuf_add_html(out, buf);
}

static void head(struct sbuf *out, const char *title)
{
	sbuf_adds(out, "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
		       "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
		       "<meta name=\"referrer\" content=\"no-referrer\"><title>");
	sbuf_add_html(out, title);
	sbuf_addf(out,
		  "</title><style>%s</style></head><body>\n"
		  "<header><h1>信访事项办理进度</h1><p>一码到底 · 全程可视</p></header>\n<main>\n",
		  page_css);
}

static void tail(struct sbuf *out)
{
	sbuf_adds(out, "</main>\n<footer>本页只显示办理进度，不含个人信息。</footer>\n"
		       "</body></html>\n");
}

static void progress_bar(struct sbuf *out, int stage)
{
	sbuf_adds(out, "<section><h2>办理进度</h2><ol class=\"bar\">");
	for (int i = 0; i < VIEW_STAGES; i++)
		sbuf_addf(out, "<li class=\"%s\"%s>%s</li>",
			  i < stage    ? "done"
			  : i == stage ? "current"
				       : "todo",
			  i == stage ? " aria-current=\"step\"" : "", view_stage_names[i]);
	sbuf_adds(out, "</ol></section>\n");
}

/* One <dt>/<dd> pair when value is set; time: shown as a time. */
static void item(struct sbuf *out, const char *label, const char *value, int time)
{
	if (!value)
		return;
	sbuf_addf(out, "<dt>%s</dt><dd>", label);
	if (time)
		add_time(out, value);
	else
		sbuf_add_html(out, value);
	sbuf_adds(out, "</dd>");
}

static const char *sget(json_t *j, const char *k1, const char *k2)
{
	json_t *v = json_object_get(j, k1);

	return json_string_value(k2 ? json_object_get(v, k2) : v);
}

static void summary(struct sbuf *out, json_t *view)
{
	int stage = (int)json_integer_value(json_object_get(view, "stage"));

	sbuf_adds(out, "<section><h2>事项</h2><dl>");
	item(out, "信访码", sget(view, "case_id", NULL), 0);
	item(out, "当前环节", view_stage_names[stage], 0);
	item(out, "承办单位", sget(view, "department", "name"), 0);
	if (stage < 2)
		item(out, "受理期限", sget(view, "accept_by", NULL), 1);
	if (stage < 4)
		item(out, "办结期限", sget(view, "resolve_by", NULL), 1);
	item(out, "办理结果", sget(view, "result", NULL), 0);
	sbuf_adds(out, "</dl></section>\n");
}

static void steps(struct sbuf *out, json_t *view)
{
	json_t *step;
	size_t i;

	sbuf_adds(out, "<section><h2>办理过程</h2><ul class=\"steps\">");
	json_array_foreach(json_object_get(view, "steps"), i, step)
	{
		sbuf_adds(out, "<li><time>");
		add_time(out, sget(step, "at", NULL));
		sbuf_adds(out, "</time>");
		sbuf_add_html(out, sget(step, "text", NULL));
		sbuf_adds(out, "</li>");
	}
	sbuf_adds(out, "</ul></section>\n");
}

void page_case(json_t *view, struct sbuf *out)
{
	int stage = (int)json_integer_value(json_object_get(view, "stage"));

	if (stage < 0 || stage >= VIEW_STAGES)
		stage = 0;
	json_object_set_new(view, "stage", json_integer(stage));
	head(out, "信访事项办理进度");
	progress_bar(out, stage);
	summary(out, view);
	steps(out, view);
	tail(out);
}

static void message(struct sbuf *out, const char *title, const char *text)
{
	head(out, title);
	sbuf_addf(out, "<section><h2>%s</h2><p>%s</p></section>\n", title, text);
	tail(out);
}

void page_not_found(struct sbuf *out)
{
	message(out, "未找到", "未找到该信访事项。请核对信访码和查询码（见回执或二维码）后重试。");
}

void page_too_many(struct sbuf *out)
{
	message(out, "查询过于频繁", "查询过于频繁，请稍后再试。");
}
