/*
 * cfg.h - configuration from the environment through one typed table.
 *
 * Every setting of every program is one row of cfg_table (cfg.c): its
 * variable, type, default and range. cfg_load() reads them all, checks every
 * one and reports every error at once; cfg_log() logs the effective values
 * with secrets masked. Variables XF_KAFKA_<NAME> are not in the table: they
 * are passed to librdkafka as they are (see kafka.h).
 */
#ifndef XF_CFG_H
#define XF_CFG_H

#include "sbuf.h"

/* Secrets a program may read from files (XF_<NAME>_FILE). */
#define CFG_SECRET_FILES 4
/* Shortest secret accepted outside development, in bytes. */
#define CFG_SECRET_MIN 32

struct xf_conf {
	const char *env;            /* XF_ENV: development or production (the default) */
	int development;            /* XF_ENV=development: secrets have defaults */
	const char *brokers;        /* XF_KAFKA_BROKERS */
	const char *database_url;   /* XF_DATABASE_URL (secret: may hold a password) */
	const char *http_addr;      /* XF_HTTP_ADDR, host:port; "off" disables, unset = default */
	const char *log_level;      /* XF_LOG_LEVEL */
	const char *petitioner_key; /* XF_PETITIONER_KEY, HMAC key for petitioner ids */
	const char *query_key;      /* XF_QUERY_KEY, HMAC key of the cases' query codes */
	const char *group_prefix;   /* XF_GROUP_PREFIX, prefix of consumer group ids */
	const char *model_path;     /* XF_MODEL_PATH, xf-classify's category model */
	long batch_max;             /* XF_BATCH_MAX, messages per batch */
	long batch_max_bytes;       /* XF_BATCH_MAX_BYTES, message bytes per batch */
	long batch_wait_ms;         /* XF_BATCH_WAIT_MS, max wait to fill a batch */
	long retry_max_ms;          /* XF_RETRY_MAX_MS, cap of the retry back-off */
	long risk_a_intensity;      /* XF_RISK_A_INTENSITY: intensity for risk A */
	long risk_b_intensity;      /* XF_RISK_B_INTENSITY: intensity for risk B */
	long risk_b_repeat;         /* XF_RISK_B_REPEAT: earlier same-matter cases for B */
	long low_confidence_pct;    /* XF_LOW_CONFIDENCE_PCT: below, a low_confidence reason */
	long repeat_days;           /* XF_REPEAT_DAYS: window of same-matter repeats */
	long repeat_bits;           /* XF_REPEAT_BITS: SimHash distance of "same matter" */
	long cluster_n;             /* XF_CLUSTER_N: similar petitions that make a cluster */
	long cluster_days;          /* XF_CLUSTER_DAYS: window of a cluster */
	long cluster_bits;          /* XF_CLUSTER_BITS: SimHash distance of "similar" */
	/* xf-dispatch: the case lifecycle */
	long warn_pct;           /* XF_WARN_PCT: share of a deadline's time that warns */
	long supervise_workdays; /* XF_SUPERVISE_WORKDAYS: working days after a deadline: 督办 */
	const char *followups;   /* XF_FOLLOWUPS: 回访 after the answer, "kind:N{h|d},..." */
	long timer_ms;           /* XF_TIMER_MS: how often the deadline timer looks */
	long lag_interval_ms;    /* XF_LAG_INTERVAL_MS: xf-dispatch's consumer-lag samples */
	const char *clock_file;  /* XF_CLOCK_FILE: tests only; a file holding seconds
				       to add to the clock ("" = the real clock) */
	long choice_w_fit;       /* XF_CHOICE_W_FIT: weight of historical fit */
	long choice_w_speed;     /* XF_CHOICE_W_SPEED: weight of response speed */
	long choice_w_satisfaction; /* XF_CHOICE_W_SATISFACTION: weight of satisfaction */
	long choice_w_load;         /* XF_CHOICE_W_LOAD: weight of spare capacity */
	const char *webhook_secret; /* XF_WEBHOOK_SECRET: HMAC key of webhook signatures */
	const char *http_token;    /* XF_HTTP_TOKEN: bearer token of /metrics, status ("" = none) */
	long webhook_timeout_ms;   /* XF_WEBHOOK_TIMEOUT_MS: per POST */
	long webhook_max_attempts; /* XF_WEBHOOK_MAX_ATTEMPTS: then the delivery is failed */
	long webhook_backoff_ms;   /* XF_WEBHOOK_BACKOFF_MS: first retry delay, doubling */
	long webhook_backoff_max_ms; /* XF_WEBHOOK_BACKOFF_MAX_MS: cap of the retry delay */
	/* xfctl departments: the scorecard's yellow and red thresholds */
	long card_overdue_yellow;   /* XF_CARD_OVERDUE_YELLOW_PCT */
	long card_overdue_red;      /* XF_CARD_OVERDUE_RED_PCT */
	long card_return_yellow;    /* XF_CARD_RETURN_YELLOW_PCT */
	long card_return_red;       /* XF_CARD_RETURN_RED_PCT */
	long card_satisfied_yellow; /* XF_CARD_SATISFIED_YELLOW_PCT: below it, yellow */
	long card_satisfied_red;    /* XF_CARD_SATISFIED_RED_PCT: below it, red */
	/* the board's 信访指数 (domain/board.h) */
	const char *index_weights; /* XF_INDEX_WEIGHTS: "volume:30,repeat:20,..." */
	long index_volume_ref;     /* XF_INDEX_VOLUME_REF: petitions in 7 days that count fully */
	long index_risk_a_ref;     /* XF_INDEX_RISK_A_REF: risk-A petitions in 7 days, fully */
	/* xfctl report month: the month's figures that the scorecard does not judge */
	long card_repeat_yellow; /* XF_CARD_REPEAT_YELLOW_PCT: repeat-petition rate */
	long card_repeat_red;    /* XF_CARD_REPEAT_RED_PCT */
	long card_growth_yellow; /* XF_CARD_GROWTH_YELLOW_PCT: volume, year on year */
	long card_growth_red;    /* XF_CARD_GROWTH_RED_PCT */
	long card_ontime_yellow; /* XF_CARD_ONTIME_YELLOW_PCT: below it, yellow */
	long card_ontime_red;    /* XF_CARD_ONTIME_RED_PCT: below it, red */
	/* xf-public: the citizen's status page and API */
	const char *public_addr; /* XF_PUBLIC_ADDR: host:port of the public listener */
	const char *public_url;  /* XF_PUBLIC_URL: the address citizens reach it at */
	long public_rate;        /* XF_PUBLIC_RATE: lookups a minute per client address */
	long public_burst;       /* XF_PUBLIC_BURST: lookups at once per client address */
	struct sbuf secret_files[CFG_SECRET_FILES]; /* owned: secrets read from files */
	int nsecret_files;
};

/*
 * Fills *conf from the environment; http_default is the program's default
 * XF_HTTP_ADDR. Returns 0, or -1 with every problem appended to err.
 */
int cfg_load(struct xf_conf *conf, const char *http_default, struct sbuf *err);
/*
 * Secrets (CFG_SECRET rows: XF_PETITIONER_KEY, XF_WEBHOOK_SECRET,
 * XF_HTTP_TOKEN) come from their variable or from the file named by
 * <variable>_FILE (one trailing newline stripped; both set is an error).
 * Unset, they take a development default only with XF_ENV=development,
 * else they are "". cfg_load() does not refuse a missing secret: the
 * programs that need one call cfg_check_secrets().
 */
/* Frees what cfg_load() read from files; conf's secrets are then invalid. */
void cfg_release(struct xf_conf *conf);
/*
 * Outside XF_ENV=development: every secret program (e.g. "xf-intake")
 * needs is set, and every secret set is not its development default and is
 * CFG_SECRET_MIN (32) bytes or longer; an XF_HTTP_ADDR that is not loopback
 * needs XF_HTTP_TOKEN. Returns 0, or -1 with every problem (naming the
 * variable) appended to err. In development, always 0.
 */
int cfg_check_secrets(const struct xf_conf *conf, const char *program, struct sbuf *err);
/*
 * A secret named at run time (a rules file's webhook_secret or
 * feedback_secret): the value of variable name, else the contents of the
 * file name_FILE names, one trailing line break dropped. A new string, or
 * NULL if neither gives a non-empty value.
 */
char *cfg_secret_read(const char *name);
/* Logs the effective settings, one event, secrets masked. */
void cfg_log(const struct xf_conf *conf);
/* Writes url with any password replaced by "***" into out. */
void cfg_mask_url(const char *url, struct sbuf *out);

#endif
