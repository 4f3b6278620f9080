/* caldate.c - calendar dates as day numbers, RFC 3339 timestamps, strict parsing. */
#include "caldate.h"

#include <string.h>

/* Floor division, so dates before 1970 work too. */
static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

/*
 * Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil). The caller passes a real date; no validation here.
 */
int32_t caldate_from_ymd(int y, int m, int d)
{
	int64_t yy = (int64_t)y - (m <= 2);
	int64_t era = floor_div(yy, 400);
	int64_t yoe = yy - era * 400;
	int64_t mp = (m + 9) % 12;
	int64_t doy = (153 * mp + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (int32_t)(era * 146097 + doe - 719468);
}

/* The inverse of caldate_from_ymd (civil_from_days). */
void caldate_to_ymd(int32_t day, int *y, int *m, int *d)
{
	int64_t z = (int64_t)day + 719468;
	int64_t era = floor_div(z, 146097);
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int64_t dd = doy - (153 * mp + 2) / 5 + 1;
	int64_t mm = mp < 10 ? mp + 3 : mp - 9;
	*y = (int)(yoe + era * 400 + (mm <= 2));
	*m = (int)mm;
	*d = (int)dd;
}

/* 1970-01-01 was a Thursday (3 when Monday is 0). */
int caldate_weekday(int32_t day)
{
	return (int)(((int64_t)day + 3) - floor_div((int64_t)day + 3, 7) * 7);
}

static bool is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
	static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return (m == 2 && is_leap(y)) ? 29 : dim[m - 1];
}

/* Reads exactly n ASCII digits; false when any is not a digit. */
static bool read_digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

/* Reads "YYYY-MM-DD" at s (no terminator check) into a day number. */
static bool parse_date_part(const char *s, int32_t *out)
{
	int y, m, d;
	if (!read_digits(s, 4, &y) || s[4] != '-' || !read_digits(s + 5, 2, &m) ||
	    s[7] != '-' || !read_digits(s + 8, 2, &d))
		return false;
	if (y < 1900 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
		return false;
	*out = caldate_from_ymd(y, m, d);
	return true;
}

/* Strict "YYYY-MM-DD": nothing before or after, a real calendar date. */
bool caldate_parse(const char *s, int32_t *out)
{
	if (s == NULL || strlen(s) != 10)
		return false;
	return parse_date_part(s, out);
}

/* Writes v as n decimal digits, zero padded (v >= 0 and fits). */
static void put_digits(char *out, int n, int v)
{
	for (int i = n - 1; i >= 0; i--) {
		out[i] = (char)('0' + v % 10);
		v /= 10;
	}
}

/* Formats a day number as "YYYY-MM-DD" ("0000-00-00" outside years 0..9999). */
void caldate_format(int32_t day, char out[static 11])
{
	int y, m, d;
	caldate_to_ymd(day, &y, &m, &d);
	if (y < 0 || y > 9999) {
		memcpy(out, "0000-00-00", 11);
		return;
	}
	put_digits(out, 4, y);
	out[4] = '-';
	put_digits(out + 5, 2, m);
	out[7] = '-';
	put_digits(out + 8, 2, d);
	out[10] = '\0';
}

/* Reads the zone suffix: "Z"/"z" or "+HH:MM"/"-HH:MM", nothing after it. */
static bool parse_zone(const char *s, int64_t *offset_s)
{
	int hh, mm;
	if ((s[0] == 'Z' || s[0] == 'z') && s[1] == '\0') {
		*offset_s = 0;
		return true;
	}
	if (s[0] != '+' && s[0] != '-')
		return false;
	if (!read_digits(s + 1, 2, &hh) || s[3] != ':' || !read_digits(s + 4, 2, &mm) ||
	    s[6] != '\0')
		return false;
	if (hh > 23 || mm > 59)
		return false;
	*offset_s = (int64_t)(hh * 3600 + mm * 60) * (s[0] == '-' ? -1 : 1);
	return true;
}

/*
 * Parses "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)". The fraction is
 * accepted (1 to 9 digits) and truncated; a leap second (:60) is refused.
 */
bool timestamp_parse(const char *s, int64_t *out)
{
	int32_t day;
	int hh, mi, ss;
	int64_t offset;
	if (s == NULL || strlen(s) < 20 || !parse_date_part(s, &day))
		return false;
	if ((s[10] != 'T' && s[10] != 't') || !read_digits(s + 11, 2, &hh) || s[13] != ':' ||
	    !read_digits(s + 14, 2, &mi) || s[16] != ':' || !read_digits(s + 17, 2, &ss))
		return false;
	if (hh > 23 || mi > 59 || ss > 59)
		return false;
	const char *p = s + 19;
	if (*p == '.') {
		int n = 0;
		for (p++; *p >= '0' && *p <= '9'; p++)
			n++;
		if (n < 1 || n > 9)
			return false;
	}
	if (!parse_zone(p, &offset))
		return false;
	*out = (int64_t)day * 86400 + hh * 3600 + mi * 60 + ss - offset;
	return true;
}

/* Formats seconds since the epoch as "YYYY-MM-DDTHH:MM:SSZ". */
void timestamp_format(int64_t t, char out[static 21])
{
	int64_t day = floor_div(t, 86400);
	int sec = (int)(t - day * 86400);
	caldate_format((int32_t)day, out);
	out[10] = 'T';
	put_digits(out + 11, 2, sec / 3600);
	out[13] = ':';
	put_digits(out + 14, 2, sec / 60 % 60);
	out[16] = ':';
	put_digits(out + 17, 2, sec % 60);
	out[19] = 'Z';
	out[20] = '\0';
}
