/*
 * xf-mockbroker: librdkafka's in-memory mock cluster as a process, the
 * embedded default broker of `make demo` (no JVM). Prints
 * "XF_KAFKA_BROKERS=<bootstraps>" on stdout, creates the core topics and
 * any topics named as arguments, then serves until SIGINT/SIGTERM.
 * Not for tests of the product: it keeps nothing on disk and lacks the
 * admin APIs (see README).
 */
#include <stdio.h>
#include <string.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "log.h"
#include "svc.h"
#include "util.h"

static volatile sig_atomic_t stop;

static const char *const core_topics[] = {
	"hotline.events",      "petition.received", "petition.receipts",   "petition.dlq",
	"petition.classified", "case.events",       "department.feedback", NULL,
};

int main(int argc, char **argv)
{
	char why[256];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	rd_kafka_t *rk;
	rd_kafka_mock_cluster_t *mcluster;

	log_init("xf-mockbroker", LOG_INFO);
	svc_signals(&stop);
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, why, sizeof why);
	if (!rk) {
		log_error("init_failed", LOG_S("error", why), LOG_END);
		return 1;
	}
	conf = NULL; /* owned by rk now */
	mcluster = rd_kafka_mock_cluster_new(rk, 1);
	if (!mcluster) {
		log_error("init_failed", LOG_S("error", "mock cluster not created"), LOG_END);
		rd_kafka_destroy(rk);
		return 1;
	}
	for (int i = 0; core_topics[i]; i++)
		rd_kafka_mock_topic_create(mcluster, core_topics[i], 4, 1);
	for (int i = 1; i < argc; i++)
		rd_kafka_mock_topic_create(mcluster, argv[i], 4, 1);
	printf("XF_KAFKA_BROKERS=%s\n", rd_kafka_mock_cluster_bootstraps(mcluster));
	fflush(stdout);
	while (!stop)
		sleep_ms_unless(1000, &stop);
	rd_kafka_mock_cluster_destroy(mcluster);
	rd_kafka_destroy(rk);
	return 0;
}
