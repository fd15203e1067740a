/* xf-dispatch: assigns cases to departments by the rules in PostgreSQL. */
#include <stdio.h>

#include "dispatch.h"
#include "log.h"

static volatile sig_atomic_t stop;

int main(void)
{
	struct sbuf err = SBUF_INIT;
	struct dispatch d;
	int rc = 1;

	svc_signals(&stop);
	if (dispatch_init(&d, &stop, &err) == 0)
		rc = dispatch_run(&d) ? 1 : 0;
	else
		log_error("init_failed", LOG_S("error", err.buf), LOG_END);
	dispatch_release(&d);
	sbuf_release(&err);
	return rc;
}
