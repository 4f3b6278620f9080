/* caldate.h - calendar dates as day numbers, and timestamps, without time zones. */
#ifndef FAIRGATE_CALDATE_H
#define FAIRGATE_CALDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A calendar date is the number of days since 1970-01-01 (proleptic
 * Gregorian), so comparisons and "plus N days" are integer arithmetic.
 * A timestamp is seconds since the epoch, UTC.
 */
#define CALDATE_NONE INT32_MAX /* "no date", e.g. an open-ended valid_to */

int32_t caldate_from_ymd(int y, int m, int d);
void caldate_to_ymd(int32_t day, int *y, int *m, int *d);
/* 0 = Monday ... 6 = Sunday. */
int caldate_weekday(int32_t day);

/* Parses exactly "YYYY-MM-DD" (a real date, year 1900..9999); false otherwise. */
bool caldate_parse(const char *s, int32_t *out);
/* Writes "YYYY-MM-DD" (11 bytes with NUL). */
void caldate_format(int32_t day, char out[static 11]);

/*
 * Parses an RFC 3339 timestamp "YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)"
 * into seconds since the epoch; false when it is not one.
 */
bool timestamp_parse(const char *s, int64_t *out);
/* Writes "YYYY-MM-DDTHH:MM:SSZ" (21 bytes with NUL). */
void timestamp_format(int64_t t, char out[static 21]);

#endif
