/* xf-intake: validates, deduplicates and numbers hotline events. */
#include <stdio.h>

#include "intake.h"
#include "log.h"

static volatile sig_atomic_t stop;

int main(void)
{
	struct sbuf err = SBUF_INIT;
	struct intake in;
	int rc = 1;

	svc_signals(&stop);
	if (intake_init(&in, &stop, &err) == 0)
		rc = intake_run(&in) ? 1 : 0;
	else
		log_error("init_failed", LOG_S("error", err.buf), LOG_END);
	intake_release(&in);
	sbuf_release(&err);
	return rc;
}
