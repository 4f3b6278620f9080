/* config.h - every setting in one table: name, type, default, bounds; file and FAIRGATE_* env. */
#ifndef FAIRGATE_CONFIG_H
#define FAIRGATE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

struct config {
	char listen[128];          /* HOST:PORT */
	char database_url[512];    /* empty: run a private PostgreSQL under data_dir */
	char data_dir[256];        /* var/ */
	int private_pg_port;
	char sql_dir[256];         /* migrations */
	int pool_size;
	int statement_timeout_ms;
	int pool_queue_max;
	int max_body_bytes;
	int max_header_bytes;
	int max_json_depth;
	int request_timeout_s;     /* idle / slow client timeout */
	char tls_listen[128];      /* HOST:PORT of the TLS listener; empty: none */
	char tls_cert[256];        /* PEM certificate chain of the TLS listener */
	char tls_key[256];         /* PEM private key */
	char tls_client_ca[256];   /* PEM CA: clients must present a certificate it signed */
	int rate_limit_per_s;      /* requests per second per principal; 0: no limit */
	int rate_limit_burst;      /* bucket size; 0: rate_limit_per_s */
	char log_level[16];
	char webhook_secret[128];  /* HMAC key for outbound notifications */
	int outbox_max_attempts;
	int outbox_base_delay_ms;
	int outbox_max_delay_ms;
	int outbox_poll_ms;
	int janitor_interval_ms;   /* deadline timers */
	int kpi_fold_interval_ms;  /* pending KPI counts into kpi_daily (gateway/kpi_fold.c) */
	int commit_batch_max;      /* decisions grouped in one transaction */
	int commit_lanes;          /* committers side by side, each with its own audit chain */
	int commit_relief_us;      /* >0: later lanes take changes only while the first is slower */
	int read_in_flight_max;    /* dossier read statements out at once (0: no limit) */
	char signing_key[256];     /* Ed25519 PEM private key; empty: data_dir/checkpoint-key.pem */
	int checkpoint_interval_ms; /* signed audit checkpoints */
};

/* Fills the defaults. */
void config_defaults(struct config *cfg);
/*
 * Reads a file of "name = value" lines (# comments), then every FAIRGATE_<NAME>
 * environment variable. False with a message naming the setting when a value
 * is unknown, malformed or out of bounds.
 */
bool config_load_file(struct config *cfg, const char *path, char *err, size_t errlen);
bool config_load_env(struct config *cfg, char *err, size_t errlen);
/* Sets one setting by name (also used for command-line flags). */
bool config_set(struct config *cfg, const char *name, const char *value, char *err, size_t errlen);

#endif
