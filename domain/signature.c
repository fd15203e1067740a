/* signature.c - the signature of a department.feedback message (signature.h). */
#include "signature.h"

#include <string.h>

#include "sbuf.h"
#include "util.h"

void feedback_signature(const char *secret, const char *sender, const void *value, size_t len,
			char out[FEEDBACK_SIG_LEN])
{
	struct sbuf msg = SBUF_INIT;

	sbuf_addf(&msg, "%s.", sender);
	sbuf_add(&msg, value, len);
	memcpy(out, "v1=", 3);
	hmac_sha256_hex(secret, msg.buf, msg.len, out + 3);
	sbuf_release(&msg);
}
