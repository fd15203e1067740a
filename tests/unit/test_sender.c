/*
 * Unit tests for services/dispatch/sender.c: who sent a feedback message.
 * The signature against openssl(1); then each way a sender is told, or
 * refused, in production and in development.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dispatch/sender.h"
#include "rules.h"
#include "signature.h"
#include "tharness.h"

#define KEY_BUREAU "bureau-key-0123456789abcdef0123456789"
#define KEY_RSJ "rsj-key-0123456789abcdef0123456789"
#define BODY "{\"a\":1}"

static const char rules_text[] =
	"{\"schema\": \"xf.rules.v1\", \"version\": \"s-1\", \"departments\": ["
	" {\"code\": \"s-rsj\", \"name\": \"人社局\", \"region\": \"330381\", \"level\": \"county\","
	"  \"kind\": \"rsj\", \"feedback_secret\": \"XF_FEEDBACK_SECRET_T_RSJ\"},"
	" {\"code\": \"s-zjj\", \"name\": \"住建局\", \"region\": \"330381\", \"level\": \"county\","
	"  \"kind\": \"zjj\", \"feedback_secret\": \"XF_FEEDBACK_SECRET_T_UNSET\"},"
	" {\"code\": \"s-xfj\", \"name\": \"信访局\", \"region\": \"330381\", \"level\": \"county\","
	"  \"kind\": \"xfj\"}],"
	" \"citizen_side\": [{\"code\": \"t-bureau\", \"name\": \"信访局（群众评价）\","
	"  \"feedback_secret\": \"XF_FEEDBACK_SECRET_T_BUREAU\"}],"
	" \"rules\": [{\"id\": \"all\", \"priority\": 1, \"assign\": {\"department\": \"s-xfj\"}}],"
	" \"triage\": {\"department\": \"s-xfj\"}}";

static struct rules_set *rules(void)
{
	json_t *doc = json_loads(rules_text, 0, NULL);
	struct sbuf err = SBUF_INIT;
	struct rules_set *rs = rules_parse(doc, &err);

	if (!rs)
		fprintf(stderr, "rules: %s\n", err.buf);
	json_decref(doc);
	sbuf_release(&err);
	return rs;
}

static void t_signature(void)
{
	char sig[FEEDBACK_SIG_LEN];

	/* printf 't-bureau.{"a":1}' | openssl dgst -sha256 -hmac KEY_BUREAU */
	feedback_signature(KEY_BUREAU, "t-bureau", BODY, strlen(BODY), sig);
	T_STREQ(sig, "v1=7af2d27924b5ae1e0e5d4ca29b76793f09cc3f9a54d7d8d79c74535b14b2db4c");
}

/* Identifies BODY with sender header and a signature by signer (NULL: none). */
static int identify(const struct sender_keys *k, const char *sender, const char *signer_key,
		    const char *signed_as, const char *dept, int development, struct sender *out,
		    char *why)
{
	struct sender_hdrs h;

	memset(&h, 0, sizeof h);
	snprintf(h.sender, sizeof h.sender, "%s", sender ? sender : "");
	if (signer_key)
		feedback_signature(signer_key, signed_as, BODY, strlen(BODY), h.signature);
	return sender_identify(k, &h, BODY, strlen(BODY), dept, development, out, why, 240);
}

static void t_identify(void)
{
	struct rules_set *rs;
	struct sender_keys *k;
	struct sender s;
	char why[240];

	setenv("XF_FEEDBACK_SECRET_T_BUREAU", KEY_BUREAU, 1);
	setenv("XF_FEEDBACK_SECRET_T_RSJ", KEY_RSJ, 1);
	unsetenv("XF_FEEDBACK_SECRET_T_UNSET");
	unsetenv("XF_FEEDBACK_SECRET_T_UNSET_FILE");
	if (!T_CHECK((rs = rules()) != NULL))
		return;
	k = sender_keys_new(rs, 0);
	/* signed by the bureau: a citizen-side sender, in either mode */
	T_INTEQ(identify(k, "t-bureau", KEY_BUREAU, "t-bureau", "s-rsj", 0, &s, why), 0);
	T_STREQ(s.code, "t-bureau");
	T_INTEQ(s.kind, SENDER_CITIZEN_SIDE);
	T_INTEQ(s.verified, 1);
	T_INTEQ(identify(k, "s-rsj", KEY_RSJ, "s-rsj", "s-rsj", 1, &s, why), 0);
	T_INTEQ(s.kind, SENDER_DEPARTMENT);
	/* another's key, another sender signed for, a changed body: refused */
	T_INTEQ(identify(k, "t-bureau", KEY_RSJ, "t-bureau", "s-rsj", 1, &s, why), SENDER_REFUSED);
	T_CHECK(strstr(why, "does not match") != NULL);
	T_INTEQ(identify(k, "t-bureau", KEY_BUREAU, "s-rsj", "s-rsj", 1, &s, why), SENDER_REFUSED);
	/* a sender with no key, an unknown one, none at all */
	T_INTEQ(identify(k, "s-xfj", KEY_RSJ, "s-xfj", "s-xfj", 0, &s, why), SENDER_REFUSED);
	T_CHECK(strstr(why, "no feedback_secret") != NULL);
	T_INTEQ(identify(k, "s-zjj", KEY_RSJ, "s-zjj", "s-zjj", 0, &s, why), SENDER_REFUSED);
	T_CHECK(strstr(why, "XF_FEEDBACK_SECRET_T_UNSET") != NULL && !strstr(why, KEY_RSJ));
	T_INTEQ(identify(k, "s-nobody", KEY_RSJ, "s-nobody", "s-rsj", 0, &s, why), SENDER_REFUSED);
	T_INTEQ(identify(k, NULL, KEY_RSJ, "s-rsj", "s-rsj", 0, &s, why), SENDER_REFUSED);
	/* a sender header that is no code */
	T_INTEQ(identify(k, "S RSJ", NULL, NULL, "s-rsj", 1, &s, why), SENDER_REFUSED);
	/* unsigned: refused in production, believed in development */
	T_INTEQ(identify(k, "s-rsj", NULL, NULL, "s-rsj", 0, &s, why), SENDER_REFUSED);
	T_CHECK(strstr(why, "unsigned") != NULL);
	T_INTEQ(identify(k, NULL, NULL, NULL, "s-rsj", 1, &s, why), 0);
	T_STREQ(s.code, "s-rsj");
	T_INTEQ(s.kind, SENDER_DEPARTMENT);
	T_INTEQ(s.verified, 0);
	T_INTEQ(identify(k, "t-bureau", NULL, NULL, "s-rsj", 1, &s, why), 0);
	T_INTEQ(s.kind, SENDER_CITIZEN_SIDE);
	T_INTEQ(identify(k, "s-other", NULL, NULL, "s-rsj", 1, &s, why), 0);
	T_INTEQ(s.kind, SENDER_UNKNOWN);
	/* before any rules: only development's believing works */
	T_INTEQ(identify(NULL, "s-rsj", KEY_RSJ, "s-rsj", "s-rsj", 0, &s, why), SENDER_REFUSED);
	sender_keys_free(k);
	rules_free(rs);
	unsetenv("XF_FEEDBACK_SECRET_T_BUREAU");
	unsetenv("XF_FEEDBACK_SECRET_T_RSJ");
}

/* A key shorter than CFG_SECRET_MIN serves in development only. */
static void t_short_key(void)
{
	struct rules_set *rs = rules();
	struct sender_keys *k;
	struct sender s;
	char why[240];

	if (!T_CHECK(rs != NULL))
		return;
	setenv("XF_FEEDBACK_SECRET_T_RSJ", "short", 1);
	k = sender_keys_new(rs, 0);
	T_INTEQ(identify(k, "s-rsj", "short", "s-rsj", "s-rsj", 0, &s, why), SENDER_REFUSED);
	T_CHECK(strstr(why, "too short") != NULL && !strstr(why, "short\""));
	sender_keys_free(k);
	k = sender_keys_new(rs, 1);
	T_INTEQ(identify(k, "s-rsj", "short", "s-rsj", "s-rsj", 1, &s, why), 0);
	sender_keys_free(k);
	rules_free(rs);
	unsetenv("XF_FEEDBACK_SECRET_T_RSJ");
}

/* The rules' citizen_side and feedback_secret: what is refused. */
static void t_rules(void)
{
	static const struct {
		const char *from, *to, *why;
	} bad[] = {
		{ "\"code\": \"t-bureau\"", "\"code\": \"s-rsj\"", "is a department's" },
		{ "\"code\": \"t-bureau\"", "\"code\": \"T Bureau\"", "department code's form" },
		{ "XF_FEEDBACK_SECRET_T_BUREAU", "my-secret-in-clear", "never the secret itself" },
		{ "XF_FEEDBACK_SECRET_T_RSJ", "XF_DATABASE_URL", "XF_FEEDBACK_SECRET_" },
	};

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct sbuf text = SBUF_INIT, err = SBUF_INIT;
		const char *at = strstr(rules_text, bad[i].from);
		json_t *doc;
		struct rules_set *rs;

		sbuf_add(&text, rules_text, (size_t)(at - rules_text));
		sbuf_adds(&text, bad[i].to);
		sbuf_adds(&text, at + strlen(bad[i].from));
		doc = json_loads(text.buf, 0, NULL);
		rs = rules_parse(doc, &err);
		T_CHECK(rs == NULL);
		T_CHECK(strstr(err.buf ? err.buf : "", bad[i].why) != NULL);
		T_CHECK(!strstr(err.buf ? err.buf : "", "my-secret-in-clear"));
		rules_free(rs);
		json_decref(doc);
		sbuf_release(&text);
		sbuf_release(&err);
	}
}

/* clang-format off */
T_SUITE(sender,
	{ "signature", t_signature },
	{ "identify", t_identify },
	{ "short_key", t_short_key },
	{ "rules", t_rules })
/* clang-format on */
