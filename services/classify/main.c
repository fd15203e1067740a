/* xf-classify: tags petitions: category, emotion, risk, repeat, collective. */
#include <stdio.h>

#include "classify.h"
#include "log.h"

static volatile sig_atomic_t stop;

int main(void)
{
	struct sbuf err = SBUF_INIT;
	struct classify cl;
	int rc = 1;

	svc_signals(&stop);
	if (classify_init(&cl, &stop, &err) == 0)
		rc = classify_run(&cl) ? 1 : 0;
	else
		log_error("init_failed", LOG_S("error", err.buf), LOG_END);
	classify_release(&cl);
	sbuf_release(&err);
	return rc;
}
