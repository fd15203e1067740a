/*
 * petitioner.h - who petitions, as far as the system may know it: the
 * keyed hash that matches a petitioner's petitions (repeats, 条例 第十九条)
 * without their identity, and what an anonymous petitioner's petition
 * carries once it leaves xf-intake.
 */
#ifndef XF_PETITIONER_H
#define XF_PETITIONER_H

#include <jansson.h>

/*
 * The keyed hash (lower-case hex HMAC-SHA-256 under key) of the petitioner
 * object who (borrowed, may be NULL): of "id:" and the id number's letters
 * and digits upper-cased when there are 15 or more, else of "phone:" and
 * the phone's digits when there are 7 or more. Returns 0 with the hash in
 * out, or -1 when who names neither. `anonymous` plays no part here.
 */
int petitioner_hash(json_t *who, const char *key, char out[65]);

/* 1 if s is a hash as petitioner_hash writes it (64 lower-case hex digits). */
int petitioner_key_valid(const char *s);

/*
 * Makes the petition (modified in place) fit to leave xf-intake. Any
 * petitioner.key the upstream sent is dropped: only xf-intake writes one.
 * When petitioner.anonymous is true, the petitioner object becomes
 * {"anonymous": true, "key": <petitioner_hash under key>}: name, phone,
 * id_number and any other field of it are gone; "key" is left out when
 * neither an id number nor a phone was given.
 */
void petitioner_strip(json_t *petition, const char *key);

/*
 * The petitioner's keyed hash of a petition that left xf-intake, into out:
 * petitioner.key as xf-intake wrote it for an anonymous petitioner, else
 * petitioner_hash under key. Returns 0, or -1 when the petition is
 * anonymous without a key or names neither an id number nor a phone.
 */
int petitioner_key_of(json_t *petition, const char *key, char out[65]);

#endif
