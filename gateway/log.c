/* log.c - JSON-line logging to stderr. */
#include "log.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <time.h>

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
	snprintf(buf + n, len - n, ".%03ldZ", ts.tv_nsec / 1000000);
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
	fprintf(stderr, "%s\n", line ? line : msg);
	free(line);
	json_decref(o);
}

void log_json_line(const char *json)
{
	fprintf(stderr, "%s\n", json);
}
