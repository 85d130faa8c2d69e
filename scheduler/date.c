/*
 * date.c: civil dates as day numbers, and the Civil Code's year periods.
 *
 * The conversions are Howard Hinnant's days_from_civil/civil_from_days
 * (public domain algorithms): exact for the proleptic Gregorian calendar
 * with integer arithmetic only, so no time_t, no time zone and no libc
 * date function can shift a deadline by a day.
 */
#include <string.h>

#include "scheduler/scheduler.h"

int
sched_day(int y, int m, int d)
{
	int	 era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void
sched_ymd(int z, int *year, int *month, int *mday)
{
	int	 era, doe, yoe, y, doy, mp, d, m;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp + (mp < 10 ? 3 : -9);
	*year = y + (m <= 2);
	*month = m;
	*mday = d;
}

int
sched_year(int day)
{
	int	 y, m, d;

	sched_ymd(day, &y, &m, &d);
	return y;
}

bool
sched_is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int
sched_days_in_month(int y, int m)
{
	static const int days[] = {
	    31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (m == 2 && sched_is_leap(y))
		return 29;
	return days[m - 1];
}

static int
digits(const char *s, int n)
{
	int	 v = 0;

	while (n-- > 0) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s++ - '0');
	}
	return v;
}

int
sched_date_parse(const char *s, int *day)
{
	int	 y, m, d;

	if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return -1;
	if ((y = digits(s, 4)) < 0 || (m = digits(s + 5, 2)) < 0 ||
	    (d = digits(s + 8, 2)) < 0)
		return -1;
	if (y < SCHED_YEAR_MIN || y > SCHED_YEAR_MAX || m < 1 || m > 12 ||
	    d < 1 || d > sched_days_in_month(y, m))
		return -1;
	*day = sched_day(y, m, d);
	return 0;
}

char *
sched_date_format(int day, char *out)
{
	int	 y, m, d;

	sched_ymd(day, &y, &m, &d);
	/* Years are bounded by parsing; the mask keeps the compiler sure. */
	out[0] = (char)('0' + (y / 1000) % 10);
	out[1] = (char)('0' + (y / 100) % 10);
	out[2] = (char)('0' + (y / 10) % 10);
	out[3] = (char)('0' + y % 10);
	out[4] = '-';
	out[5] = (char)('0' + m / 10);
	out[6] = (char)('0' + m % 10);
	out[7] = '-';
	out[8] = (char)('0' + d / 10);
	out[9] = (char)('0' + d % 10);
	out[10] = '\0';
	return out;
}

int
sched_weekday(int day)
{
	/* 1970-01-01 was a Thursday (4). */
	int	 w = (day % 7 + 7) % 7;

	return (w + 3) % 7 + 1;
}

const char *
sched_weekday_cn(int day)
{
	static const char *names[] = {
	    "周一", "周二", "周三", "周四", "周五", "周六", "周日" };

	return names[sched_weekday(day) - 1];
}

int
sched_years_from(int day, int years)
{
	int	 y, m, d;

	sched_ymd(day, &y, &m, &d);
	y += years;
	/* The anniversary of 29 Feb in a common year is 1 Mar: the period
	 * then ends on 28 Feb, the day before. */
	if (m == 2 && d == 29 && !sched_is_leap(y))
		return sched_day(y, 3, 1) - 1;
	return sched_day(y, m, d) - 1;
}

int
sched_years_after(int day, int years)
{
	int	 y, m, d;

	sched_ymd(day, &y, &m, &d);
	y += years;
	if (d > sched_days_in_month(y, m))
		d = sched_days_in_month(y, m);
	return sched_day(y, m, d);
}
