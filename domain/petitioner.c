/* petitioner.c - see petitioner.h. */
#include "petitioner.h"

#include <ctype.h>
#include <string.h>

#include "sbuf.h"
#include "util.h"

/* Appends the characters of s that keep() accepts, upper-cased; returns how many. */
static size_t append_kept(struct sbuf *sb, const char *s, int (*keep)(int))
{
	size_t n = 0;

	for (; s && *s; s++)
		if (keep((unsigned char)*s)) {
			sbuf_addch(sb, (char)toupper((unsigned char)*s));
			n++;
		}
	return n;
}

int petitioner_hash(json_t *who, const char *key, char out[65])
{
	const char *id = json_string_value(json_object_get(who, "id_number"));
	const char *phone = json_string_value(json_object_get(who, "phone"));
	struct sbuf norm = SBUF_INIT;
	size_t n;

	/* an id number of 15 or 18 characters, else a phone of 7 digits or more:
	 * anything shorter is junk that would join strangers together */
	sbuf_adds(&norm, "id:");
	if ((n = append_kept(&norm, id, isalnum)) < 15) {
		sbuf_reset(&norm);
		sbuf_adds(&norm, "phone:");
		n = append_kept(&norm, phone, isdigit) >= 7 ? 1 : 0;
	}
	if (n)
		hmac_sha256_hex(key, norm.buf, norm.len, out);
	sbuf_release(&norm);
	return n ? 0 : -1;
}

int petitioner_key_valid(const char *s)
{
	return s && strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

void petitioner_strip(json_t *petition, const char *key)
{
	json_t *who = json_object_get(petition, "petitioner");
	char hash[65];

	if (!json_is_object(who))
		return;
	json_object_del(who, "key");
	if (!json_is_true(json_object_get(who, "anonymous")))
		return;
	who = json_pack("{s:b}", "anonymous", 1);
	if (!petitioner_hash(json_object_get(petition, "petitioner"), key, hash))
		json_object_set_new(who, "key", json_string(hash));
	json_object_set_new(petition, "petitioner", who);
}

int petitioner_key_of(json_t *petition, const char *key, char out[65])
{
	json_t *who = json_object_get(petition, "petitioner");
	const char *given = json_string_value(json_object_get(who, "key"));

	/* xf-intake's hash, in place of an anonymous petitioner's identity */
	if (petitioner_key_valid(given)) {
		memcpy(out, given, 65);
		return 0;
	}
	if (json_is_true(json_object_get(who, "anonymous")))
		return -1;
	return petitioner_hash(who, key, out);
}
