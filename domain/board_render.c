/* board_render.c - the board as text and as a page (board.h). */
#include "board.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define INDEX_YELLOW 30.0 /* an index at or above it is yellow */
#define INDEX_RED 60.0    /* and red */

static long ival(json_t *o, const char *key)
{
	return (long)json_integer_value(json_object_get(o, key));
}

static const char *sval(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

static double rval(json_t *o, const char *key)
{
	return json_number_value(json_object_get(o, key));
}

/* ---- text ---- */

/* Columns s takes on a terminal: 2 for each character beyond ASCII (the CJK ones). */
static int width(const char *s)
{
	int w = 0;

	for (; *s; s++)
		if (!((unsigned char)*s & 0x80))
			w++;
		else if (((unsigned char)*s & 0xc0) == 0xc0)
			w += 2;
	return w;
}

/* s, then spaces to w columns (at least one). */
static void cell(struct sbuf *out, const char *s, int w)
{
	int n = width(s);

	sbuf_adds(out, s);
	do
		sbuf_addch(out, ' ');
	while (++n < w);
}

/* "12(+3)" */
static const char *count_change(long n, long prev, char buf[48])
{
	snprintf(buf, 48, "%ld(%+ld)", n, n - prev);
	return buf;
}

static void text_totals(json_t *b, struct sbuf *out)
{
	json_t *t = json_object_get(b, "totals"), *p = json_object_get(b, "period");
	const char *region = sval(b, "region");

	sbuf_addf(out, "期间 %s..%s (%ld 天)，对比 %s..%s；地区 %s\n", sval(p, "from"),
		  sval(p, "to"), ival(p, "days"), sval(json_object_get(b, "previous"), "from"),
		  sval(json_object_get(b, "previous"), "to"), *region ? region : "全部");
	sbuf_addf(out,
		  "信访 %ld (上期 %ld, %+ld)  重复 %ld  集体 %ld  A级 %ld  交办 %ld  退单 %ld"
		  "  超期 %ld  办结 %ld (超期办结 %ld)  评价 %ld (满意 %ld, 不满意 %ld)\n",
		  ival(t, "petitions"), ival(t, "previous"),
		  ival(t, "petitions") - ival(t, "previous"), ival(t, "repeats"),
		  ival(t, "collective"), ival(t, "risk_a"), ival(t, "assigned"),
		  ival(t, "returned"), ival(t, "overdue"), ival(t, "resolved"),
		  ival(t, "resolved_late"), ival(t, "rated"), ival(t, "satisfied"),
		  ival(t, "dissatisfied"));
}

static void text_grid(json_t *b, struct sbuf *out)
{
	json_t *cats = json_object_get(b, "categories"), *a, *c;
	char buf[48];
	size_t i, j;

	sbuf_adds(out, "\n热力图 (本期(较上期))\n");
	cell(out, "地区", 11);
	cell(out, "名称", 24);
	cell(out, "合计", 11);
	json_array_foreach(cats, j, c) cell(out, sval(c, "name"), 11);
	sbuf_addch(out, '\n');
	json_array_foreach(json_object_get(b, "areas"), i, a)
	{
		cell(out, sval(a, "region"), 11);
		cell(out, *sval(a, "name") ? sval(a, "name") : "-", 24);
		cell(out, count_change(ival(a, "petitions"), ival(a, "previous"), buf), 11);
		json_array_foreach(cats, j, c)
		{
			json_t *x = json_object_get(json_object_get(a, "cells"), sval(c, "code"));

			cell(out,
			     x ? count_change(ival(x, "petitions"), ival(x, "previous"), buf) : "0",
			     11);
		}
		sbuf_addch(out, '\n');
	}
}

static void text_tide(json_t *b, struct sbuf *out)
{
	json_t *tide = json_object_get(b, "tide"), *row;
	size_t d;

	sbuf_adds(out, "\n潮汐表 (星期 × 小时)\n      ");
	for (int h = 0; h < 24; h++)
		sbuf_addf(out, "%4d", h);
	sbuf_addch(out, '\n');
	json_array_foreach(json_object_get(tide, "petitions"), d, row)
	{
		sbuf_addf(out, "%s  ",
			  json_string_value(json_array_get(json_object_get(tide, "weekdays"), d)));
		for (size_t h = 0; h < 24; h++)
			sbuf_addf(out, "%4lld",
				  (long long)json_integer_value(json_array_get(row, h)));
		sbuf_addch(out, '\n');
	}
}

static void text_hotspots(json_t *b, struct sbuf *out)
{
	json_t *h, *ph;
	size_t i, j;

	sbuf_adds(out, "\n上升热点\n");
	if (!json_array_size(json_object_get(b, "hotspots")))
		sbuf_adds(out, "  (无)\n");
	json_array_foreach(json_object_get(b, "hotspots"), i, h)
	{
		sbuf_addf(out, "%zu. %s %s %s: %ld (上期 %ld, %+ld)", i + 1, sval(h, "region"),
			  sval(h, "name"), sval(h, "category_name"), ival(h, "petitions"),
			  ival(h, "previous"), ival(h, "increase"));
		json_array_foreach(json_object_get(h, "phrases"), j, ph)
			sbuf_addf(out, "%s%s", j ? " " : "  ", sval(ph, "phrase"));
		sbuf_addch(out, '\n');
	}
}

static void text_index(json_t *b, struct sbuf *out)
{
	json_t *a;
	size_t i;
	char buf[32];

	sbuf_addf(out, "\n信访指数 (截至 %s 的 7 天；较 7 天前)\n",
		  sval(json_object_get(b, "period"), "to"));
	json_array_foreach(json_object_get(b, "areas"), i, a)
	{
		cell(out, sval(a, "region"), 11);
		cell(out, *sval(a, "name") ? sval(a, "name") : "-", 24);
		snprintf(buf, sizeof buf, "%.1f", rval(a, "index"));
		cell(out, buf, 7);
		sbuf_addf(out, "(%+.1f)\n", rval(a, "index") - rval(a, "index_week_ago"));
	}
}

static void text_escalations(json_t *b, struct sbuf *out)
{
	json_t *e;
	size_t i;

	sbuf_adds(out, "\n三色预警升级 (最近一个月)\n");
	if (!json_array_size(json_object_get(b, "escalations")))
		sbuf_adds(out, "  (无)\n");
	json_array_foreach(json_object_get(b, "escalations"), i, e)
		sbuf_addf(out, "%s %s %s %s: %s\n", sval(e, "month"),
			  !strcmp(sval(e, "kind"), "area") ? "地区" : "部门", sval(e, "subject"),
			  sval(json_object_get(e, "figures"), "name"), sval(e, "action"));
}

void board_text(json_t *board, struct sbuf *out)
{
	text_totals(board, out);
	text_grid(board, out);
	text_tide(board, out);
	text_hotspots(board, out);
	text_index(board, out);
	text_escalations(board, out);
}

/* ---- the page ---- */

/* The colour of t in [0, 1] between two RGB colours, as #rrggbb. */
static void shade(struct sbuf *out, double t, unsigned lo, unsigned hi)
{
	unsigned rgb[3];

	t = t < 0 ? 0 : t > 1 ? 1 : t;
	for (int i = 0; i < 3; i++) {
		double a = (lo >> (16 - 8 * i)) & 0xff, b = (hi >> (16 - 8 * i)) & 0xff;

		rgb[i] = (unsigned)lround(a + (b - a) * t);
	}
	sbuf_addf(out, "#%02x%02x%02x", rgb[0], rgb[1], rgb[2]);
}

/* A <td> of n shaded against max (lo..hi), white text on the dark end. */
static void shaded_td(struct sbuf *out, long n, long max, unsigned lo, unsigned hi,
		      const char *title)
{
	double t = max > 0 ? (double)n / (double)max : 0;

	sbuf_adds(out, "<td style=\"background:");
	shade(out, t, lo, hi);
	sbuf_addf(out, "%s\" title=\"", t > 0.6 ? ";color:#fff" : "");
	sbuf_add_html(out, title);
	sbuf_addf(out, "\">%ld", n);
}

static const char page_css[] =
	"body{margin:0;font:14px/1.45 sans-serif;color:#222;background:#f4f5f7}"
	"header{background:#8e1b1b;color:#fff;padding:10px 16px}h1{font-size:18px;margin:0}"
	"header p{margin:2px 0 0;font-size:12px;opacity:.9}main{padding:12px}"
	"section{background:#fff;border-radius:6px;padding:10px 12px;margin-bottom:12px;"
	"overflow-x:auto}h2{font-size:15px;margin:0 0 8px}table{border-collapse:collapse}"
	"th,td{border:1px solid #e3e3e3;padding:3px 6px;text-align:right;white-space:nowrap}"
	"th{background:#fafafa;font-weight:normal;color:#555}td.l,th.l{text-align:left}"
	"small{font-size:11px;margin-left:3px}.up{color:#c62828}.down{color:#2e7d32}"
	".tide td{width:22px;padding:3px 2px;text-align:center;font-size:12px}"
	".green{background:#e8f5e9}.yellow{background:#fff8e1}.red{background:#ffebee}"
	"form{margin:6px 0 0;font-size:13px}form input{width:14em}"
	"dl{display:flex;flex-wrap:wrap;margin:0}dl div{margin:0 18px 6px 0}"
	"dt{color:#777;font-size:12px}dd{margin:0;font-size:18px}";

static void change_small(struct sbuf *out, long change)
{
	if (change)
		sbuf_addf(out, "<small class=\"%s\">%+ld</small>", change > 0 ? "up" : "down",
			  change);
}

static void html_head(json_t *b, const char *self, struct sbuf *out)
{
	json_t *p = json_object_get(b, "period");

	sbuf_addf(out,
		  "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
		  "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
		  "<title>信访态势</title><style>%s</style></head><body>\n"
		  "<header><h1>信访态势 · 热力图与潮汐表</h1><p><a href=\"/\" style=\"color:#fff\">"
		  "运行状态</a> · ",
		  page_css);
	sbuf_add_html(out, sval(p, "from"));
	sbuf_adds(out, " 至 ");
	sbuf_add_html(out, sval(p, "to"));
	sbuf_addf(out, "（%ld 天），对比前 %ld 天；地区 ", ival(p, "days"), ival(p, "days"));
	sbuf_add_html(out, *sval(b, "region") ? sval(b, "region") : "全部");
	sbuf_adds(out, "</p><form method=\"get\" action=\"");
	sbuf_add_html(out, self);
	sbuf_adds(out, "\">期间 <input name=\"period\" value=\"");
	sbuf_add_html(out, sval(p, "from"));
	sbuf_adds(out, "..");
	sbuf_add_html(out, sval(p, "to"));
	sbuf_adds(out, "\" aria-label=\"期间\"> 地区 <input name=\"region\" value=\"");
	sbuf_add_html(out, sval(b, "region"));
	sbuf_adds(out, "\" aria-label=\"地区\"> <button>查看</button> "
		       "（期间：7d、30d、2026-11 或 起..止）</form></header>\n<main>\n");
}

static void html_totals(json_t *b, struct sbuf *out)
{
	json_t *t = json_object_get(b, "totals");
	static const struct {
		const char *key, *label;
	} items[] = { { "petitions", "信访量" },    { "repeats", "重复信访" },
		      { "collective", "集体信访" }, { "risk_a", "A级风险" },
		      { "overdue", "超期" },        { "returned", "退单" },
		      { "resolved", "办结" },       { "satisfied", "满意" } };

	sbuf_adds(out, "<section id=\"totals\"><h2>总览</h2><dl>");
	for (size_t i = 0; i < sizeof items / sizeof items[0]; i++) {
		sbuf_addf(out, "<div><dt>%s</dt><dd data-key=\"%s\">%ld", items[i].label,
			  items[i].key, ival(t, items[i].key));
		if (!i)
			change_small(out, ival(t, "petitions") - ival(t, "previous"));
		sbuf_adds(out, "</dd></div>");
	}
	sbuf_adds(out, "</dl></section>\n");
}

static void html_grid(json_t *b, struct sbuf *out)
{
	json_t *cats = json_object_get(b, "categories"), *a, *c;
	long max = 0;
	size_t i, j;

	json_array_foreach(json_object_get(b, "areas"), i, a)
	{
		const char *k;
		json_t *x;

		json_object_foreach(json_object_get(a, "cells"), k, x)
			max = ival(x, "petitions") > max ? ival(x, "petitions") : max;
	}
	sbuf_adds(out, "<section id=\"heat\"><h2>热力图：镇街 × 类别（本期件数，小字为较上期）</h2>"
		       "<table><tr><th class=\"l\">地区</th><th>合计</th>");
	json_array_foreach(cats, j, c)
	{
		sbuf_adds(out, "<th>");
		sbuf_add_html(out, sval(c, "name"));
		sbuf_adds(out, "</th>");
	}
	sbuf_adds(out, "</tr>\n");
	json_array_foreach(json_object_get(b, "areas"), i, a)
	{
		sbuf_addf(out, "<tr data-region=\"%s\"><th class=\"l\">", sval(a, "region"));
		sbuf_add_html(out, *sval(a, "name") ? sval(a, "name") : sval(a, "region"));
		sbuf_addf(out, "</th><td>%ld", ival(a, "petitions"));
		change_small(out, ival(a, "change"));
		sbuf_adds(out, "</td>");
		json_array_foreach(cats, j, c)
		{
			json_t *x = json_object_get(json_object_get(a, "cells"), sval(c, "code"));
			long n = x ? ival(x, "petitions") : 0;

			shaded_td(out, n, max, 0xfff7ec, 0xd7301f, sval(c, "name"));
			if (x && n != ival(x, "previous")) /* in the cell's own colour */
				sbuf_addf(out, "<small>%+ld</small>", n - ival(x, "previous"));
			sbuf_adds(out, "</td>");
		}
		sbuf_adds(out, "</tr>\n");
	}
	sbuf_adds(out, "</table></section>\n");
}

static void html_tide(json_t *b, struct sbuf *out)
{
	json_t *tide = json_object_get(b, "tide"), *row;
	long max = ival(tide, "max");
	size_t d;
	char title[32];

	sbuf_adds(out, "<section id=\"tide\"><h2>潮汐表：星期 × 小时</h2><table class=\"tide\">"
		       "<tr><th></th>");
	for (int h = 0; h < 24; h++)
		sbuf_addf(out, "<th>%d</th>", h);
	sbuf_adds(out, "</tr>\n");
	json_array_foreach(json_object_get(tide, "petitions"), d, row)
	{
		const char *wd = json_string_value(
			json_array_get(json_object_get(tide, "weekdays"), d));

		sbuf_addf(out, "<tr><th>%s</th>", wd);
		for (size_t h = 0; h < 24; h++) {
			snprintf(title, sizeof title, "%s %zu时", wd, h);
			shaded_td(out, (long)json_integer_value(json_array_get(row, h)), max,
				  0xf7fbff, 0x08519c, title);
			sbuf_adds(out, "</td>");
		}
		sbuf_adds(out, "</tr>\n");
	}
	sbuf_adds(out, "</table></section>\n");
}

static void html_hotspots(json_t *b, struct sbuf *out)
{
	json_t *h, *ph;
	size_t i, j;

	sbuf_adds(out, "<section id=\"hotspots\"><h2>上升热点</h2>");
	if (!json_array_size(json_object_get(b, "hotspots")))
		sbuf_adds(out, "<p>本期无上升热点。</p>");
	else
		sbuf_adds(out, "<table><tr><th class=\"l\">地区</th><th class=\"l\">类别</th>"
			       "<th>本期</th><th>上期</th><th>增加</th><th class=\"l\">高频词</th>"
			       "</tr>\n");
	json_array_foreach(json_object_get(b, "hotspots"), i, h)
	{
		sbuf_adds(out, "<tr><td class=\"l\">");
		sbuf_add_html(out, *sval(h, "name") ? sval(h, "name") : sval(h, "region"));
		sbuf_adds(out, "</td><td class=\"l\">");
		sbuf_add_html(out, sval(h, "category_name"));
		sbuf_addf(out,
			  "</td><td>%ld</td><td>%ld</td><td class=\"up\">+%ld</td><td class=\"l\">",
			  ival(h, "petitions"), ival(h, "previous"), ival(h, "increase"));
		json_array_foreach(json_object_get(h, "phrases"), j, ph)
		{
			if (j)
				sbuf_adds(out, "、");
			sbuf_add_html(out, sval(ph, "phrase"));
		}
		sbuf_adds(out, "</td></tr>\n");
	}
	if (json_array_size(json_object_get(b, "hotspots")))
		sbuf_adds(out, "</table>");
	sbuf_adds(out, "</section>\n");
}

static const char *index_colour(double x)
{
	return x >= INDEX_RED ? "red" : x >= INDEX_YELLOW ? "yellow" : "green";
}

static void html_index(json_t *b, struct sbuf *out)
{
	json_t *a;
	size_t i;

	sbuf_adds(out, "<section id=\"index\"><h2>信访指数（近 7 天，0–100，越高越需关注）</h2>"
		       "<table><tr><th class=\"l\">地区</th><th>指数</th><th>7 天前</th>"
		       "<th>变化</th></tr>\n");
	json_array_foreach(json_object_get(b, "areas"), i, a)
	{
		double x = rval(a, "index"), w = rval(a, "index_week_ago");

		sbuf_adds(out, "<tr><td class=\"l\">");
		sbuf_add_html(out, *sval(a, "name") ? sval(a, "name") : sval(a, "region"));
		sbuf_addf(out,
			  "</td><td class=\"%s\">%.1f</td><td>%.1f</td><td class=\"%s\">%+.1f"
			  "</td></tr>\n",
			  index_colour(x), x, w,
			  x > w   ? "up"
			  : x < w ? "down"
				  : "",
			  x - w);
	}
	sbuf_adds(out, "</table></section>\n");
}

static void html_escalations(json_t *b, struct sbuf *out)
{
	json_t *e;
	size_t i;

	sbuf_adds(out,
		  "<section id=\"escalations\"><h2>三色预警升级（连续两月黄色或三月红色）</h2>");
	if (!json_array_size(json_object_get(b, "escalations")))
		sbuf_adds(out, "<p>无。</p>");
	else
		sbuf_adds(out, "<table><tr><th class=\"l\">月份</th><th class=\"l\">对象</th>"
			       "<th class=\"l\">名称</th><th class=\"l\">近三月</th>"
			       "<th class=\"l\">措施</th></tr>\n");
	json_array_foreach(json_object_get(b, "escalations"), i, e)
	{
		json_t *c;
		size_t j;

		sbuf_adds(out, "<tr><td class=\"l\">");
		sbuf_add_html(out, sval(e, "month"));
		sbuf_addf(out, "</td><td class=\"l\">%s ",
			  !strcmp(sval(e, "kind"), "area") ? "地区" : "部门");
		sbuf_add_html(out, sval(e, "subject"));
		sbuf_adds(out, "</td><td class=\"l\">");
		sbuf_add_html(out, sval(json_object_get(e, "figures"), "name"));
		sbuf_adds(out, "</td><td class=\"l\">");
		json_array_foreach(json_object_get(json_object_get(e, "figures"), "colours"), j, c)
		{
			const char *colour = sval(c, "colour");

			sbuf_addf(out, "<span class=\"%s\">", *colour ? colour : "");
			sbuf_add_html(out, sval(c, "month"));
			sbuf_adds(out, "</span> ");
		}
		sbuf_addf(out, "</td><td class=\"l %s\">",
			  json_integer_value(json_object_get(e, "level")) > 1 ? "red" : "yellow");
		sbuf_add_html(out, sval(e, "action"));
		sbuf_adds(out, "</td></tr>\n");
	}
	if (json_array_size(json_object_get(b, "escalations")))
		sbuf_adds(out, "</table>");
	sbuf_adds(out, "</section>\n");
}

void board_html(json_t *board, const char *self, struct sbuf *out)
{
	html_head(board, self, out);
	html_totals(board, out);
	html_escalations(board, out);
	html_grid(board, out);
	html_tide(board, out);
	html_hotspots(board, out);
	html_index(board, out);
	sbuf_adds(out, "</main></body></html>\n");
}
