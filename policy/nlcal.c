/* nlcal.c - Europe/Amsterdam local time, Dutch public holidays, letter deadlines. */
#include "policy_int.h"

/* The last Sunday of a month, as a caldate. */
static int32_t last_sunday(int year, int month, int days_in_month)
{
	int32_t last = caldate_from_ymd(year, month, days_in_month);
	return last - (caldate_weekday(last) + 1) % 7;
}

/*
 * Offset of Amsterdam from UTC at instant t: +2h (CEST) from the last Sunday
 * of March 01:00 UTC up to (not including) the last Sunday of October 01:00
 * UTC, +1h (CET) otherwise. EU rule, in force since 1996. Only March and
 * October need the exact switch moment.
 */
static int amsterdam_offset(int64_t t)
{
	int y, m, d;
	int64_t day = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
	caldate_to_ymd((int32_t)day, &y, &m, &d);
	if (m != 3 && m != 10)
		return (m > 3 && m < 10) ? 7200 : 3600;
	int64_t start = (int64_t)last_sunday(y, 3, 31) * 86400 + 3600;
	int64_t end = (int64_t)last_sunday(y, 10, 31) * 86400 + 3600;
	return (t >= start && t < end) ? 7200 : 3600;
}

/* The Amsterdam calendar day and seconds since local midnight of instant t. */
void amsterdam_split(int64_t t, int32_t *day, int *sec)
{
	int64_t local = t + amsterdam_offset(t);
	int64_t dd = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
	*day = (int32_t)dd;
	*sec = (int)(local - dd * 86400);
}

int32_t amsterdam_day(int64_t t)
{
	int32_t day;
	int sec;
	amsterdam_split(t, &day, &sec);
	return day;
}

int amsterdam_seconds_of_day(int64_t t)
{
	int32_t day;
	int sec;
	amsterdam_split(t, &day, &sec);
	return sec;
}

/* Easter Sunday (Gregorian computus, Meeus/Jones/Butcher). */
int32_t nlcal_easter(int year)
{
	int a = year % 19, b = year / 100, c = year % 100;
	int d = b / 4, e = b % 4, f = (b + 8) / 25;
	int g = (b - f + 1) / 3;
	int h = (19 * a + b - d - g + 15) % 30;
	int i = c / 4, k = c % 4;
	int l = (32 + 2 * e + 2 * i - h - k) % 7;
	int m = (a + 11 * h + 22 * l) / 451;
	int month = (h + l - 7 * m + 114) / 31;
	int dayn = (h + l - 7 * m + 114) % 31 + 1;
	return caldate_from_ymd(year, month, dayn);
}

/* King's Day 27 April (26 when the 27th is a Sunday); Queen's Day 30 April before 2014. */
static int32_t kings_day(int year)
{
	int dom = year >= 2014 ? 27 : 30;
	int32_t day = caldate_from_ymd(year, 4, dom);
	return caldate_weekday(day) == 6 ? day - 1 : day;
}

/*
 * The general holidays of the Algemene termijnenwet: New Year's Day, Easter
 * Sunday and Monday, King's Day, Liberation Day (5 May, every year),
 * Ascension Day, Whit Sunday and Monday, Christmas Day and Boxing Day.
 * Good Friday is not on that list and is a working day here.
 */
bool nl_public_holiday(int32_t day)
{
	int y, m, d;
	caldate_to_ymd(day, &y, &m, &d);
	if ((m == 1 && d == 1) || (m == 5 && d == 5) || (m == 12 && (d == 25 || d == 26)))
		return true;
	if (m == 4 && day == kings_day(y))
		return true;
	if (m < 3 || m > 6)
		return false;
	int32_t easter = nlcal_easter(y);
	int32_t off = day - easter;
	return off == 0 || off == 1 || off == 39 || off == 49 || off == 50;
}

bool nlcal_is_sunday_or_holiday(int32_t day)
{
	return caldate_weekday(day) == 6 || nl_public_holiday(day);
}

/* R18 on local time: before 07:00, from 20:00, on a Sunday or a public holiday. */
bool nlcal_outside_hours_local(int32_t day, int sec)
{
	if (sec < 7 * 3600 || sec >= 20 * 3600)
		return true;
	return nlcal_is_sunday_or_holiday(day);
}

/* R18 on a UTC instant. */
bool nlcal_outside_contact_hours(int64_t t)
{
	int32_t day;
	int sec;
	amsterdam_split(t, &day, &sec);
	return nlcal_outside_hours_local(day, sec);
}

/*
 * A letter is presumed received on the second day after posting, not
 * counting Sundays and public holidays (Saturdays count: post is delivered).
 */
int32_t nlcal_presumed_receipt(int32_t posted)
{
	int32_t day = posted;
	int counted = 0;
	while (counted < 2) {
		day++;
		if (!nlcal_is_sunday_or_holiday(day))
			counted++;
	}
	return day;
}

/*
 * The 14 days run from the day after receipt: receipt + 1 .. receipt + 14.
 * When the last day is a Saturday, Sunday or public holiday, the term runs
 * on to the next day that is none of these (Algemene termijnenwet, art. 1).
 * Costs may be charged from the day after the last day.
 */
int32_t nlcal_fourteen_day_expiry(int32_t receipt)
{
	int32_t last = receipt + 14;
	while (caldate_weekday(last) == 5 || nlcal_is_sunday_or_holiday(last))
		last++;
	return last + 1;
}
