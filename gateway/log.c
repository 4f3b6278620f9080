/* log.c - JSON-line logging to stderr. */
#include "log.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "str.h"

enum log_level log_min_level = LOG_INFO;

static const char *level_names[] = {"debug", "info", "warn", "error", "fatal"};

bool log_level_parse(const char *s, enum log_level *out)
{
	for (int i = 0; i <= LOG_FATAL; i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return true;
		}
	}
	return false;
}

static void now_iso(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	char ms[4];
	str_pad3(ms, (int)(ts.tv_nsec / 1000000)); /* tv_nsec < 1e9: "%03ld" */
	const char *tail[] = {".", ms, "Z"};
	if (n < len)
		str_join(buf + n, len - n, tail, 3);
}

/*
 * Lines go through one buffer, each written with its newline in one write(2):
 * at once, or, while one callback answers many requests (log_hold), together
 * when it returns (log_release). A line of level error or worse is written at
 * once with those held before it.
 */
static struct {
	char *buf;
	size_t len, cap;
	int depth;
} held;

static void write_all(const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(STDERR_FILENO, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return; /* nowhere to log to: the request goes on without its line */
		p += w;
		n -= (size_t)w;
	}
}

static void held_flush(void)
{
	write_all(held.buf, held.len);
	held.len = 0;
}

/* Appends line and its newline; false when memory for it runs out. */
static bool held_add(const char *line, size_t n)
{
	if (held.len + n + 1 > held.cap) {
		size_t cap = held.cap ? held.cap : 16384;
		while (cap < held.len + n + 1)
			cap *= 2;
		char *b = realloc(held.buf, cap);
		if (!b) {
			held_flush();
			return false;
		}
		held.buf = b;
		held.cap = cap;
	}
	memcpy(held.buf + held.len, line, n);
	held.buf[held.len + n] = '\n';
	held.len += n + 1;
	return true;
}

static void emit(enum log_level level, const char *line)
{
	size_t n = strlen(line);
	if (!held_add(line, n)) { /* no memory: held_add wrote what came before; then this line */
		write_all(line, n);
		write_all("\n", 1);
		return;
	}
	if (held.depth == 0 || level >= LOG_ERROR)
		held_flush();
}

void log_hold(void)
{
	held.depth++;
}

void log_release(void)
{
	if (held.depth > 0 && --held.depth == 0 && held.len > 0)
		held_flush();
}

void log_write(enum log_level level, const char *fmt, ...)
{
	char msg[1024];
	char ts[40];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	now_iso(ts, sizeof(ts));
	json_t *o = json_pack("{s:s, s:s, s:s}", "ts", ts, "level", level_names[level], "msg", msg);
	char *line = o ? json_dumps(o, JSON_COMPACT) : NULL;
	emit(level, line ? line : msg);
	free(line);
	json_decref(o);
}

void log_json_line(const char *json)
{
	emit(LOG_INFO, json);
}
