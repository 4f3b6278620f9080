/* migrate.c - applies the numbered SQL files of a directory, each once, each in a transaction.
 */
#include "migrate.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <libpq-fe.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"

/* Serializes migrators across processes: "FGMIGRAT" as a bigint. */
#define MIGRATE_LOCK_KEY "5064101283125936468"

/* One NNN_name.sql file of the directory. */
struct mfile {
	long version;    /* NNN */
	char *name;      /* file name, e.g. 003_dossiers.sql */
	char *text;      /* contents, loaded when needed */
	char sha256[65]; /* hex digest of text */
	bool recorded;   /* already in schema_migrations */
	char recorded_sha[65];
};

/* The state of one migrate_run. */
struct migration {
	PGconn *conn;
	const char *dir;
	struct mfile *files;
	size_t nfiles;
	char *err;
	size_t errlen;
};

static void seterr(struct migration *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void seterr(struct migration *m, const char *fmt, ...)
{
	va_list ap;

	if (m->err == NULL || m->errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(m->err, m->errlen, fmt, ap);
	va_end(ap);
}

/* Local allocation wrappers: abort on out-of-memory (no untested recovery paths). */
static void *mig_realloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		abort();
	return q;
}

static char *mig_strdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(mig_realloc(NULL, n), s, n);
}

/* Strips the trailing newline libpq leaves on messages. */
static const char *chomp(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' '))
		s[--n] = '\0';
	return s;
}

/* Runs a command; on error fills err with what and the server's message. */
static bool exec_ok(struct migration *m, const char *sql, const char *what)
{
	PGresult *res = PQexec(m->conn, sql);
	ExecStatusType st = PQresultStatus(res);
	bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;

	if (!ok) {
		char msg[512];
		snprintf(msg, sizeof(msg), "%s", PQresultErrorMessage(res));
		seterr(m, "%s: %s", what, chomp(msg));
	}
	PQclear(res);
	return ok;
}

static void ignore_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* Connects, takes the advisory lock, creates schema_migrations if needed. */
static bool migration_connect(struct migration *m, const char *conninfo)
{
	char msg[512];

	m->conn = PQconnectdb(conninfo);
	if (PQstatus(m->conn) != CONNECTION_OK) {
		snprintf(msg, sizeof(msg), "%s", PQerrorMessage(m->conn));
		seterr(m, "cannot connect to the database: %s", chomp(msg));
		return false;
	}
	PQsetNoticeProcessor(m->conn, ignore_notice, NULL);
	return exec_ok(m, "SET client_encoding = 'UTF8'", "SET client_encoding") &&
	       exec_ok(m, "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")", "advisory lock") &&
	       exec_ok(m,
	               "CREATE TABLE IF NOT EXISTS schema_migrations ("
	               " version int PRIMARY KEY,"
	               " name text NOT NULL,"
	               " applied_at timestamptz NOT NULL DEFAULT now(),"
	               " sha256 text NOT NULL)",
	               "create schema_migrations");
}

/* NNN_name.sql: returns NNN, or -1 for any other name. */
static long file_version(const char *name)
{
	const char *p = name;
	size_t n = strlen(name);

	if (!isdigit((unsigned char)*p) || n < 6 || strcmp(name + n - 4, ".sql") != 0)
		return -1;
	while (isdigit((unsigned char)*p))
		p++;
	if (*p != '_' || p - name > 9)
		return -1;
	return strtol(name, NULL, 10);
}

static int mfile_cmp(const void *a, const void *b)
{
	const struct mfile *x = a, *y = b;

	return (x->version > y->version) - (x->version < y->version);
}

/* Lists the NNN_*.sql files of the directory in NNN order; refuses duplicate NNN. */
static bool list_files(struct migration *m)
{
	DIR *d = opendir(m->dir);
	struct dirent *e;
	size_t cap = 0;

	if (d == NULL) {
		seterr(m, "cannot open migrations directory %s: %s", m->dir, strerror(errno));
		return false;
	}
	while ((e = readdir(d)) != NULL) {
		long v = file_version(e->d_name);
		if (v < 0)
			continue;
		if (m->nfiles == cap) {
			cap = cap ? cap * 2 : 16;
			m->files = mig_realloc(m->files, cap * sizeof(*m->files));
		}
		m->files[m->nfiles++] =
		    (struct mfile){.version = v, .name = mig_strdup(e->d_name)};
	}
	closedir(d);
	qsort(m->files, m->nfiles, sizeof(*m->files), mfile_cmp);
	for (size_t i = 1; i < m->nfiles; i++) {
		if (m->files[i].version == m->files[i - 1].version) {
			seterr(m, "%s/%s and %s/%s share version %ld", m->dir,
			       m->files[i - 1].name, m->dir, m->files[i].name,
			       m->files[i].version);
			return false;
		}
	}
	return true;
}

/* Loads a file's text and its SHA-256. */
static bool load_file(struct migration *m, struct mfile *f)
{
	char path[4096];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	FILE *fp;
	long size;

	snprintf(path, sizeof(path), "%s/%s", m->dir, f->name);
	fp = fopen(path, "rb");
	if (fp == NULL || fseek(fp, 0, SEEK_END) != 0 || (size = ftell(fp)) < 0 ||
	    fseek(fp, 0, SEEK_SET) != 0) {
		seterr(m, "cannot read %s: %s", path, strerror(errno));
		if (fp != NULL)
			fclose(fp);
		return false;
	}
	f->text = mig_realloc(NULL, (size_t)size + 1);
	size_t got = fread(f->text, 1, (size_t)size, fp);
	fclose(fp);
	f->text[got] = '\0';
	if (got != (size_t)size ||
	    EVP_Digest(f->text, got, md, &mdlen, EVP_sha256(), NULL) != 1) {
		seterr(m, "cannot read %s", path);
		return false;
	}
	hex_encode(md, mdlen, f->sha256);
	return true;
}

static struct mfile *find_version(struct migration *m, long version)
{
	for (size_t i = 0; i < m->nfiles; i++)
		if (m->files[i].version == version)
			return &m->files[i];
	return NULL;
}

/* Marks the files already recorded in schema_migrations, with their recorded digest. */
static bool read_recorded(struct migration *m)
{
	PGresult *res = PQexec(m->conn, "SELECT version, sha256 FROM schema_migrations");
	char msg[512];

	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		snprintf(msg, sizeof(msg), "%s", PQresultErrorMessage(res));
		seterr(m, "reading schema_migrations: %s", chomp(msg));
		PQclear(res);
		return false;
	}
	for (int i = 0; i < PQntuples(res); i++) {
		struct mfile *f = find_version(m, strtol(PQgetvalue(res, i, 0), NULL, 10));
		if (f == NULL)
			continue; /* recorded, file gone: nothing to apply */
		f->recorded = true;
		snprintf(f->recorded_sha, sizeof(f->recorded_sha), "%s", PQgetvalue(res, i, 1));
	}
	PQclear(res);
	return true;
}

/* Refuses to go on when an applied file was edited afterwards. */
static bool check_unchanged(struct migration *m)
{
	for (size_t i = 0; i < m->nfiles; i++) {
		struct mfile *f = &m->files[i];
		if (!f->recorded)
			continue;
		if (!load_file(m, f))
			return false;
		if (strcmp(f->sha256, f->recorded_sha) != 0) {
			seterr(
			    m,
			    "%s/%s was changed after it was applied (sha256 recorded %.12s..., "
			    "now %.12s...): refusing to migrate; restore the file and put the "
			    "change in a new migration",
			    m->dir, f->name, f->recorded_sha, f->sha256);
			return false;
		}
	}
	return true;
}

/* 1-based line of the 1-based character (UTF-8) offset pos in text. */
static int line_of(const char *text, long pos)
{
	int line = 1;
	long chars = 0;

	for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++) {
		if ((*p & 0xC0) == 0x80)
			continue; /* continuation byte: same character */
		if (++chars >= pos)
			break;
		if (*p == '\n')
			line++;
	}
	return line;
}

/* "dir/NNN_x.sql:LINE: message" from a failed result of the file's text. */
static void report_sql_error(struct migration *m, const struct mfile *f, const PGresult *res)
{
	const char *pos = PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION);
	const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	char msg[512];

	snprintf(msg, sizeof(msg), "%s", primary != NULL ? primary : PQresultErrorMessage(res));
	chomp(msg);
	if (pos != NULL)
		seterr(m, "%s/%s:%d: %s", m->dir, f->name, line_of(f->text, atol(pos)), msg);
	else
		seterr(m, "%s/%s: %s", m->dir, f->name, msg);
}

/* Inserts the record of f inside the current transaction. */
static bool record_file(struct migration *m, const struct mfile *f)
{
	char version[24];
	const char *params[3] = {version, f->name, f->sha256};
	PGresult *res;
	bool ok;
	char msg[512];

	snprintf(version, sizeof(version), "%ld", f->version);
	res = PQexecParams(
	    m->conn,
	    "INSERT INTO schema_migrations (version, name, sha256) VALUES ($1, $2, $3)", 3,
	    NULL, params, NULL, NULL, 0);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!ok) {
		snprintf(msg, sizeof(msg), "%s", PQresultErrorMessage(res));
		seterr(m, "%s/%s: recording it failed: %s", m->dir, f->name, chomp(msg));
	}
	PQclear(res);
	return ok;
}

/* BEGIN; the file's text alone (so error positions map to it); record; COMMIT. */
static bool apply_file(struct migration *m, struct mfile *f)
{
	PGresult *res;
	ExecStatusType st;

	if (!load_file(m, f) || !exec_ok(m, "BEGIN", "BEGIN"))
		return false;
	res = PQexec(m->conn, f->text);
	st = PQresultStatus(res);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY) {
		report_sql_error(m, f, res);
		PQclear(res);
		PQclear(PQexec(m->conn, "ROLLBACK"));
		return false;
	}
	PQclear(res);
	if (PQtransactionStatus(m->conn) != PQTRANS_INTRANS) {
		seterr(m,
		       "%s/%s: the file must not end the transaction itself (COMMIT/ROLLBACK)",
		       m->dir, f->name);
		PQclear(PQexec(m->conn, "ROLLBACK"));
		return false;
	}
	if (!record_file(m, f) || !exec_ok(m, "COMMIT", "COMMIT")) {
		PQclear(PQexec(m->conn, "ROLLBACK"));
		return false;
	}
	return true;
}

static void migration_cleanup(struct migration *m)
{
	for (size_t i = 0; i < m->nfiles; i++) {
		free(m->files[i].name);
		free(m->files[i].text);
	}
	free(m->files);
	PQfinish(m->conn); /* also releases the advisory lock */
}

/*
 * Applies every DIR/NNN_*.sql not yet in schema_migrations, in NNN order, one
 * transaction each. Refuses to run when a recorded file has changed. See migrate.h.
 */
bool migrate_run(const char *conninfo, const char *dir, int *applied, char *err, size_t errlen)
{
	struct migration m = {.dir = dir, .err = err, .errlen = errlen};
	bool ok = false;
	int count = 0;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (!list_files(&m) || !migration_connect(&m, conninfo) || !read_recorded(&m) ||
	    !check_unchanged(&m))
		goto out;
	for (size_t i = 0; i < m.nfiles; i++) {
		if (m.files[i].recorded)
			continue;
		if (!apply_file(&m, &m.files[i]))
			goto out;
		count++;
	}
	ok = true;
out:
	if (applied != NULL)
		*applied = count;
	migration_cleanup(&m);
	return ok;
}
