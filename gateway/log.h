/* log.h - JSON-line logging to stderr with levels; never formats below the level. */
#ifndef FAIRGATE_LOG_H
#define FAIRGATE_LOG_H

#include <stdbool.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR, LOG_FATAL };

extern enum log_level log_min_level; /* set once at start-up */

#if defined(__GNUC__)
#define LOG_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define LOG_PRINTF(a, b)
#endif

/*
 * Writes {"ts":..,"level":..,"msg":..} with msg escaped. Callers pass ids
 * and statuses only: never a token, a secret or a debtor reference.
 */
void log_write(enum log_level level, const char *fmt, ...) LOG_PRINTF(2, 3);
/* Writes one already-formed JSON object as a line (the access log). */
void log_json_line(const char *json);
bool log_level_parse(const char *s, enum log_level *out);
/*
 * Between log_hold and log_release (nested pairs count), lines below error
 * are kept and written together: a callback that answers a batch's requests
 * writes their access lines with one write(2) instead of one each. Hold only
 * for the length of one callback, so nothing held outlives the loop turn:
 * its replies leave the process later in the turn anyway.
 */
void log_hold(void);
void log_release(void);

#define log_debug(...) do { if (log_min_level <= LOG_DEBUG) log_write(LOG_DEBUG, __VA_ARGS__); } while (0)
#define log_info(...) do { if (log_min_level <= LOG_INFO) log_write(LOG_INFO, __VA_ARGS__); } while (0)
#define log_warn(...) do { if (log_min_level <= LOG_WARN) log_write(LOG_WARN, __VA_ARGS__); } while (0)
#define log_error(...) log_write(LOG_ERROR, __VA_ARGS__)

#endif
