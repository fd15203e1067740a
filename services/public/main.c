/* xf-public: the citizen's status page and API (public.h). */
#include <stdio.h>

#include "log.h"
#include "public.h"
#include "svc.h"

static volatile sig_atomic_t stop;

int main(void)
{
	struct sbuf err = SBUF_INIT;
	struct pub p;
	int rc = 1;

	svc_signals(&stop);
	if (pub_init(&p, &stop, &err) == 0)
		rc = pub_run(&p) ? 1 : 0;
	else
		log_error("init_failed", LOG_S("error", err.buf), LOG_END);
	pub_release(&p);
	sbuf_release(&err);
	return rc;
}
