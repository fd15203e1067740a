/*
 * signature.h - the signature of a department.feedback message (README
 * "Security"): the header xf-signature: v1=<hex HMAC-SHA256, under the
 * sender's feedback secret, of "<sender code>.<message value>">. xf-dispatch
 * checks it (services/dispatch/sender.c); senders and `xfctl publish --as`
 * make it.
 */
#ifndef XF_SIGNATURE_H
#define XF_SIGNATURE_H

#include <stddef.h>

#define FEEDBACK_SIG_LEN 68 /* "v1=" + 64 hex + NUL */

/* The xf-signature value of value (len bytes) sent by sender under secret. */
void feedback_signature(const char *secret, const char *sender, const void *value, size_t len,
			char out[FEEDBACK_SIG_LEN]);

#endif
