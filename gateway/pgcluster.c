/* pgcluster.c - initdb, start and stop a private PostgreSQL cluster under a directory. */
#include "pgcluster.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libpq-fe.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define PGC_SUPERUSER "fairgate" /* the cluster's superuser and the database name */
#define PGC_OUT_MAX 2048         /* how much of a command's output we keep (its tail) */

/* Who runs initdb and pg_ctl: ourselves, or (as root) an unprivileged user. */
struct runas {
	bool drop; /* true: setgid/setuid to uid/gid in the child */
	uid_t uid;
	gid_t gid;
	char name[64];
};

/* Everything a start or stop needs to know about the cluster. */
struct cluster {
	char dir[PATH_MAX];    /* absolute DIR */
	char data[PATH_MAX];   /* DIR/data */
	char run[PATH_MAX];    /* DIR/run, the socket directory */
	char log[PATH_MAX];    /* DIR/postgres.log */
	char bindir[PATH_MAX]; /* holds initdb, pg_ctl */
	struct runas as;
};

static void seterr(char *err, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void seterr(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

static bool join(char *out, size_t len, const char *a, const char *b)
{
	int n = snprintf(out, len, "%s/%s", a, b);

	return n > 0 && (size_t)n < len;
}

static bool is_exec(const char *dir, const char *name)
{
	char path[PATH_MAX];

	return join(path, sizeof(path), dir, name) && access(path, X_OK) == 0;
}

/* Keeps the last len-1 bytes read from fd in buf (a command's error is at its end). */
static void read_tail(int fd, char *buf, size_t len)
{
	size_t used = 0;
	char chunk[512];
	ssize_t n;

	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (used + (size_t)n > len - 1) {
			size_t drop = used + (size_t)n - (len - 1);
			if (drop > used)
				drop = used;
			memmove(buf, buf + drop, used - drop);
			used -= drop;
		}
		size_t take = (size_t)n > len - 1 ? len - 1 : (size_t)n;
		memcpy(buf + used, chunk + (size_t)n - take, take);
		used += take;
	}
	buf[used] = '\0';
	while (used > 0 && (buf[used - 1] == '\n' || buf[used - 1] == ' '))
		buf[--used] = '\0';
}

/* In the child: become the unprivileged user, move to cwd, exec. Never returns. */
static void child_exec(const struct runas *as, const char *cwd, char *const argv[], int outfd)
{
	int devnull = open("/dev/null", O_RDONLY);

	if (devnull >= 0)
		dup2(devnull, STDIN_FILENO);
	dup2(outfd, STDOUT_FILENO);
	dup2(outfd, STDERR_FILENO);
	if (outfd > STDERR_FILENO)
		close(outfd); /* else the server pg_ctl starts inherits it and the read never
		                 ends */
	if (as != NULL && as->drop) {
		if (setgroups(1, &as->gid) != 0 || setgid(as->gid) != 0 ||
		    setuid(as->uid) != 0) {
			fprintf(stderr, "cannot switch to user %s: %s\n", as->name,
			        strerror(errno));
			_exit(126);
		}
	}
	if (cwd != NULL && chdir(cwd) != 0) {
		fprintf(stderr, "cannot chdir to %s: %s\n", cwd, strerror(errno));
		_exit(126);
	}
	execv(argv[0], argv);
	fprintf(stderr, "cannot execute %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/*
 * Runs argv (argv[0] an absolute path, no shell) as `as`, waits, keeps the tail
 * of its output in out. Returns the exit code, 128+signal, or -1 if it could not run.
 */
static int run(const struct runas *as, const char *cwd, char *const argv[], char *out,
               size_t outlen)
{
	int fds[2], status;
	pid_t pid;

	out[0] = '\0';
	if (pipe(fds) != 0) {
		snprintf(out, outlen, "pipe: %s", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(out, outlen, "fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		close(fds[0]);
		child_exec(as, cwd, argv, fds[1]);
	}
	close(fds[1]);
	read_tail(fds[0], out, outlen);
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -1;
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
}

/* The highest /usr/lib/postgresql/N/bin holding initdb and pg_ctl, or 0. */
static int highest_debian_version(char *out, size_t len)
{
	DIR *d = opendir("/usr/lib/postgresql");
	struct dirent *e;
	int best = 0;
	char bin[PATH_MAX];

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		char *end;
		long v = strtol(e->d_name, &end, 10);
		if (*end != '\0' || v <= best || v > 1000)
			continue;
		snprintf(bin, sizeof(bin), "/usr/lib/postgresql/%ld/bin", v);
		if (is_exec(bin, "initdb") && is_exec(bin, "pg_ctl") &&
		    snprintf(out, len, "%s", bin) < (int)len)
			best = (int)v;
	}
	closedir(d);
	return best;
}

/* Finds the server binaries: Debian's versioned directory first, then pg_config's. */
static bool find_bindir(char *out, size_t len, char *err, size_t errlen)
{
	static const char *const tries[] = {"/usr/bin/pg_config", "/usr/local/bin/pg_config",
	                                    "/usr/local/pgsql/bin/pg_config"};
	char buf[PGC_OUT_MAX];

	if (highest_debian_version(out, len) > 0)
		return true;
	for (size_t i = 0; i < sizeof(tries) / sizeof(tries[0]); i++) {
		char *argv[] = {(char *)tries[i], "--bindir", NULL};
		if (access(tries[i], X_OK) != 0 || run(NULL, NULL, argv, buf, sizeof(buf)) != 0)
			continue;
		if (is_exec(buf, "initdb") && is_exec(buf, "pg_ctl") &&
		    snprintf(out, len, "%s", buf) < (int)len)
			return true;
	}
	seterr(err, errlen,
	       "no PostgreSQL server binaries found: neither /usr/lib/postgresql/N/bin nor "
	       "pg_config --bindir holds initdb and pg_ctl (install postgresql)");
	return false;
}

static bool runas_from_pw(struct runas *as, const struct passwd *pw)
{
	as->drop = true;
	as->uid = pw->pw_uid;
	as->gid = pw->pw_gid;
	return snprintf(as->name, sizeof(as->name), "%s", pw->pw_name) < (int)sizeof(as->name);
}

/*
 * As root, PostgreSQL refuses to run: pick the owner of an existing data
 * directory, else "fairgate" (created if missing), else "postgres".
 */
static bool choose_user(struct cluster *cl, char *err, size_t errlen)
{
	struct stat st;
	struct passwd *pw;
	char out[PGC_OUT_MAX];

	memset(&cl->as, 0, sizeof(cl->as));
	if (geteuid() != 0)
		return true;
	if (stat(cl->data, &st) == 0 && st.st_uid != 0 && (pw = getpwuid(st.st_uid)) != NULL)
		return runas_from_pw(&cl->as, pw);
	pw = getpwnam(PGC_SUPERUSER);
	if (pw == NULL) {
		char *argv[] = {"/usr/sbin/useradd",
		                "--system",
		                "--no-create-home",
		                "--shell",
		                "/usr/sbin/nologin",
		                PGC_SUPERUSER,
		                NULL};
		int rc = run(NULL, NULL, argv, out, sizeof(out));
		if (rc != 0)
			fprintf(stderr, "pgcluster: useradd %s failed (exit %d): %s\n",
			        PGC_SUPERUSER, rc, out);
		pw = getpwnam(PGC_SUPERUSER);
	}
	if (pw == NULL)
		pw = getpwnam("postgres");
	if (pw == NULL) {
		seterr(err, errlen,
		       "running as root and no unprivileged user to run PostgreSQL: "
		       "useradd %s failed and there is no user \"postgres\"",
		       PGC_SUPERUSER);
		return false;
	}
	return runas_from_pw(&cl->as, pw);
}

/* May uid/gid search (x) the directory described by st? */
static bool may_search(const struct stat *st, const struct runas *as)
{
	if (st->st_uid == as->uid)
		return st->st_mode & S_IXUSR;
	if (st->st_gid == as->gid)
		return st->st_mode & S_IXGRP;
	return st->st_mode & S_IXOTH;
}

/* Every parent of cl->dir must be traversable by the user that runs the server. */
static bool check_traversable(const struct cluster *cl, char *err, size_t errlen)
{
	char path[PATH_MAX];
	struct stat st;

	if (!cl->as.drop)
		return true;
	snprintf(path, sizeof(path), "%s", cl->dir);
	for (char *slash = strrchr(path, '/'); slash != NULL; slash = strrchr(path, '/')) {
		if (slash == path)
			slash[1] = '\0';
		else
			*slash = '\0';
		if (stat(path, &st) == 0 && !may_search(&st, &cl->as)) {
			seterr(err, errlen,
			       "%s is not traversable by user %s (uid %d), who must run "
			       "PostgreSQL: choose a directory under /tmp or chmod o+x %s",
			       path, cl->as.name, (int)cl->as.uid, path);
			return false;
		}
		if (slash == path)
			break;
	}
	return true;
}

static bool mkdir_p(const char *dir, mode_t mode)
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path))
		return false;
	for (char *p = path + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) != 0 && errno != EEXIST)
			return false;
		*p = '/';
	}
	return mkdir(path, mode) == 0 || errno == EEXIST;
}

/* Resolves DIR to an absolute path and derives the others from it. */
static bool set_paths(struct cluster *cl, const char *dir, char *err, size_t errlen)
{
	char abs[PATH_MAX];

	if (!mkdir_p(dir, 0700)) {
		seterr(err, errlen, "cannot create %s: %s", dir, strerror(errno));
		return false;
	}
	if (realpath(dir, abs) == NULL) {
		seterr(err, errlen, "cannot resolve %s: %s", dir, strerror(errno));
		return false;
	}
	snprintf(cl->dir, sizeof(cl->dir), "%s", abs);
	if (!join(cl->data, sizeof(cl->data), abs, "data") ||
	    !join(cl->run, sizeof(cl->run), abs, "run") ||
	    !join(cl->log, sizeof(cl->log), abs, "postgres.log") ||
	    strlen(cl->run) + sizeof("/.s.PGSQL.65535") >
	        sizeof(((struct sockaddr_un *)0)->sun_path)) {
		seterr(err, errlen, "directory path too long for a socket: %s", abs);
		return false;
	}
	return true;
}

/* Changes the owner of path and, for directories, of everything below. */
static bool chown_tree(const char *path, uid_t uid, gid_t gid)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	char sub[PATH_MAX];
	bool ok = true;

	if (lstat(path, &st) != 0 || lchown(path, uid, gid) != 0)
		return false;
	if (!S_ISDIR(st.st_mode) || (d = opendir(path)) == NULL)
		return S_ISDIR(st.st_mode) ? false : true;
	while (ok && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			ok = join(sub, sizeof(sub), path, e->d_name) &&
			     chown_tree(sub, uid, gid);
	}
	closedir(d);
	return ok;
}

/* Creates DIR/run and hands DIR to the server's user (all of it, if owned by another). */
static bool prepare_dirs(const struct cluster *cl, char *err, size_t errlen)
{
	struct stat st;

	if (!mkdir_p(cl->run, 0755)) {
		seterr(err, errlen, "cannot create %s: %s", cl->run, strerror(errno));
		return false;
	}
	if (!cl->as.drop)
		return true;
	if (stat(cl->dir, &st) != 0) {
		seterr(err, errlen, "cannot stat %s: %s", cl->dir, strerror(errno));
		return false;
	}
	bool whole = st.st_uid != cl->as.uid;
	if ((whole && !chown_tree(cl->dir, cl->as.uid, cl->as.gid)) ||
	    chown(cl->dir, cl->as.uid, cl->as.gid) != 0 ||
	    chown(cl->run, cl->as.uid, cl->as.gid) != 0) {
		seterr(err, errlen, "cannot give %s to user %s: %s", cl->dir, cl->as.name,
		       strerror(errno));
		return false;
	}
	return true;
}

/* The last ~600 bytes of the server log, for error messages. */
static void log_tail(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	off_t size;

	buf[0] = '\0';
	if (fd < 0)
		return;
	size = lseek(fd, 0, SEEK_END);
	if (size > 600)
		(void)lseek(fd, size - 600, SEEK_SET);
	else
		(void)lseek(fd, 0, SEEK_SET);
	read_tail(fd, buf, len);
	close(fd);
}

/* Writes a file (as root: then owned by the server's user). */
static bool write_file(const struct cluster *cl, const char *path, const char *mode,
                       const char *text, char *err, size_t errlen)
{
	FILE *f = fopen(path, mode);

	if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0) {
		seterr(err, errlen, "cannot write %s: %s", path, strerror(errno));
		return false;
	}
	if (cl->as.drop && chown(path, cl->as.uid, cl->as.gid) != 0) {
		seterr(err, errlen, "cannot chown %s: %s", path, strerror(errno));
		return false;
	}
	return true;
}

static bool run_bin(const struct cluster *cl, char *const argv[], const char *what, char *err,
                    size_t errlen)
{
	char out[PGC_OUT_MAX];
	int rc = run(&cl->as, cl->dir, argv, out, sizeof(out));

	if (rc == 0)
		return true;
	seterr(err, errlen, "%s failed (exit %d%s%s): %s", what, rc, cl->as.drop ? ", as " : "",
	       cl->as.drop ? cl->as.name : "", out);
	return false;
}

/* initdb: superuser "fairgate", trust on the socket and 127.0.0.1 only, UTF8, C. */
static bool cluster_init(const struct cluster *cl, char *err, size_t errlen)
{
	char initdb[PATH_MAX], path[PATH_MAX];

	if (!join(path, sizeof(path), cl->data, "PG_VERSION") || access(path, F_OK) == 0)
		return true;
	if (!join(initdb, sizeof(initdb), cl->bindir, "initdb"))
		return false;
	char *argv[] = {initdb,
	                "-D",
	                (char *)cl->data,
	                "-U",
	                PGC_SUPERUSER,
	                "--auth=trust",
	                "--encoding=UTF8",
	                "--locale=C",
	                "--no-instructions",
	                NULL};
	if (!run_bin(cl, argv, "initdb", err, errlen))
		return false;
	static const char hba[] = "# written by fairgate pgcluster: trust, local only\n"
	                          "local all all trust\n"
	                          "host all all 127.0.0.1/32 trust\n";
	if (!join(path, sizeof(path), cl->data, "pg_hba.conf") ||
	    !write_file(cl, path, "w", hba, err, errlen))
		return false;
	return join(path, sizeof(path), cl->data, "postgresql.conf") &&
	       write_file(cl, path, "a", "include_if_exists = 'fairgate.conf'\n", err, errlen);
}

/* Our settings live in DIR/data/fairgate.conf, rewritten on every start. */
static bool write_settings(const struct cluster *cl, int port, char *err, size_t errlen)
{
	char text[PATH_MAX + 512], path[PATH_MAX];

	snprintf(text, sizeof(text),
	         "# written by fairgate pgcluster on every start\n"
	         "listen_addresses = '127.0.0.1'\n"
	         "port = %d\n"
	         "unix_socket_directories = '%s'\n"
	         "fsync = on\n"
	         "synchronous_commit = on\n"
	         "max_connections = 100\n"
	         "shared_buffers = 128MB\n"
	         /* checkpoints by time, not by WAL volume under load: each one makes the
	          * next write of every page log a full page image (measured: WAL-volume
	          * checkpoints every ~15 s at 1GB, with ~6 KB of WAL per decision row) */
	         "max_wal_size = 4GB\n"
	         "checkpoint_timeout = 15min\n",
	         port, cl->run);
	return join(path, sizeof(path), cl->data, "fairgate.conf") &&
	       write_file(cl, path, "w", text, err, errlen);
}

/* pg_ctl status: 0 running, 3 not running, 4 no data directory. */
static int cluster_status(const struct cluster *cl)
{
	char pg_ctl[PATH_MAX], out[PGC_OUT_MAX];

	if (!join(pg_ctl, sizeof(pg_ctl), cl->bindir, "pg_ctl"))
		return -1;
	char *argv[] = {pg_ctl, "status", "-D", (char *)cl->data, NULL};
	return run(&cl->as, cl->dir, argv, out, sizeof(out));
}

/* The port of the running server, from line 4 of postmaster.pid. */
static int running_port(const struct cluster *cl)
{
	char path[PATH_MAX], line[256];
	int port = 0;
	FILE *f;

	if (!join(path, sizeof(path), cl->data, "postmaster.pid") ||
	    (f = fopen(path, "r")) == NULL)
		return 0;
	for (int i = 1; i <= 4 && fgets(line, sizeof(line), f) != NULL; i++)
		if (i == 4)
			port = atoi(line);
	fclose(f);
	return port;
}

static bool cluster_launch(const struct cluster *cl, char *err, size_t errlen)
{
	char pg_ctl[PATH_MAX], tail[700];
	size_t n;

	if (!join(pg_ctl, sizeof(pg_ctl), cl->bindir, "pg_ctl"))
		return false;
	char *argv[] = {pg_ctl, "start", "-D", (char *)cl->data, "-l", (char *)cl->log, "-w",
	                "-t",   "60",    NULL};
	if (run_bin(cl, argv, "pg_ctl start", err, errlen))
		return true;
	log_tail(cl->log, tail, sizeof(tail));
	n = strlen(err);
	if (n < errlen)
		seterr(err + n, errlen - n, "; %s ends with: %s", cl->log, tail);
	return false;
}

/* Appends key='value' with libpq quoting to a connection string. */
static bool conninfo_add(char *out, size_t len, const char *key, const char *value)
{
	size_t n = strlen(out);
	int w = snprintf(out + n, len - n, "%s%s='", n ? " " : "", key);

	if (w < 0 || (size_t)w >= len - n)
		return false;
	n += (size_t)w;
	for (const char *p = value; *p != '\0'; p++) {
		if (n + 3 >= len)
			return false;
		if (*p == '\'' || *p == '\\')
			out[n++] = '\\';
		out[n++] = *p;
	}
	out[n++] = '\'';
	out[n] = '\0';
	return true;
}

static bool make_conninfo(const struct cluster *cl, int port, const char *db, char *out,
                          size_t len)
{
	char portstr[16];

	snprintf(portstr, sizeof(portstr), "%d", port);
	if (len == 0)
		return false;
	out[0] = '\0';
	return conninfo_add(out, len, "host", cl->run) &&
	       conninfo_add(out, len, "port", portstr) &&
	       conninfo_add(out, len, "dbname", db) &&
	       conninfo_add(out, len, "user", PGC_SUPERUSER);
}

/* CREATE DATABASE fairgate unless it exists (a concurrent creator is fine). */
static bool create_database(const char *conninfo, char *err, size_t errlen)
{
	PGconn *conn = PQconnectdb(conninfo);
	PGresult *res = NULL;
	bool ok = false;

	if (PQstatus(conn) != CONNECTION_OK) {
		seterr(err, errlen, "cannot connect (%s): %s", conninfo, PQerrorMessage(conn));
		goto out;
	}
	res = PQexec(conn, "SELECT 1 FROM pg_database WHERE datname = '" PGC_SUPERUSER "'");
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
		ok = true;
		goto out;
	}
	PQclear(res);
	res = PQexec(conn, "CREATE DATABASE " PGC_SUPERUSER);
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK ||
	     (state != NULL && strcmp(state, "42P04") == 0);
	if (!ok)
		seterr(err, errlen, "CREATE DATABASE %s failed: %s", PGC_SUPERUSER,
		       PQresultErrorMessage(res));
out:
	PQclear(res);
	PQfinish(conn);
	return ok;
}

/* Finds binaries, chooses the user, makes the directories: common to start and stop. */
static bool cluster_open(struct cluster *cl, const char *dir, char *err, size_t errlen)
{
	memset(cl, 0, sizeof(*cl));
	return set_paths(cl, dir, err, errlen) &&
	       find_bindir(cl->bindir, sizeof(cl->bindir), err, errlen) &&
	       choose_user(cl, err, errlen) && check_traversable(cl, err, errlen);
}

/*
 * Starts (initializing first if needed) or reuses the cluster in dir and
 * makes sure database "fairgate" exists. See pgcluster.h.
 */
bool pgcluster_start(const char *dir, int port, char *conninfo, size_t conninfo_len, char *err,
                     size_t errlen)
{
	struct cluster cl;
	char admin[PATH_MAX + 128];

	seterr(err, errlen, "%s", "");
	if (port <= 0 || port > 65535) {
		seterr(err, errlen, "invalid port %d", port);
		return false;
	}
	if (!cluster_open(&cl, dir, err, errlen) || !prepare_dirs(&cl, err, errlen))
		return false;
	if (cluster_status(&cl) == 0 && running_port(&cl) > 0) {
		port = running_port(&cl);
	} else if (!cluster_init(&cl, err, errlen) || !write_settings(&cl, port, err, errlen) ||
	           !cluster_launch(&cl, err, errlen)) {
		return false;
	}
	if (!make_conninfo(&cl, port, "postgres", admin, sizeof(admin)) ||
	    !make_conninfo(&cl, port, PGC_SUPERUSER, conninfo, conninfo_len)) {
		seterr(err, errlen, "connection string too long");
		return false;
	}
	return create_database(admin, err, errlen);
}

/* Stops the cluster in dir: pg_ctl stop -m fast -w. True when it is not running. */
bool pgcluster_stop(const char *dir, char *err, size_t errlen)
{
	struct cluster cl;
	char pg_ctl[PATH_MAX];

	seterr(err, errlen, "%s", "");
	if (access(dir, F_OK) != 0)
		return true; /* nothing there, nothing running */
	if (!cluster_open(&cl, dir, err, errlen))
		return false;
	if (cluster_status(&cl) != 0)
		return true;
	if (!join(pg_ctl, sizeof(pg_ctl), cl.bindir, "pg_ctl"))
		return false;
	char *argv[] = {pg_ctl, "stop", "-D", cl.data, "-m", "fast", "-w", "-t", "60", NULL};
	return run_bin(&cl, argv, "pg_ctl stop", err, errlen);
}
