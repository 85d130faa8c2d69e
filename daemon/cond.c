/*
 * cond.c: HTTP's conditional requests (RFC 9110 §13, formerly RFC 7232)
 * for the feeds: HTTP-dates both ways, entity-tag lists, and the
 * decision between 200 and 304.
 *
 * Pure: no evhttp, no clock, no locale (strftime's %a and %b would follow
 * LC_TIME), so that the unit tests can drive every branch.  Whatever a
 * client sends is bounded by evhttp's header limit; here nothing is
 * copied, and anything malformed counts as "no condition", which can
 * only cost a full reply, never a wrong 304.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "daemon/feed-int.h"

static const char *const wdays[] = {
	"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
};
static const char *const long_wdays[] = {
	"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
	"Saturday"
};
static const char *const months[] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
	"Nov", "Dec"
};

void
cond_date_format(time_t t, char out[COND_DATE_LEN])
{
	struct tm	 tm;

	/* HTTP-dates have four-digit years: 1970 to 9999. */
	if (t < 0)
		t = 0;
	else if (t > (time_t)253402300799LL)
		t = (time_t)253402300799LL;
	gmtime_r(&t, &tm);
	/* The modulos change nothing but let the compiler see the bound. */
	snprintf(out, COND_DATE_LEN, "%s, %02u %s %04u %02u:%02u:%02u GMT",
	    wdays[tm.tm_wday], (unsigned)tm.tm_mday % 100u, months[tm.tm_mon],
	    (unsigned)(tm.tm_year + 1900) % 10000u,
	    (unsigned)tm.tm_hour % 100u, (unsigned)tm.tm_min % 100u,
	    (unsigned)tm.tm_sec % 100u);
}

/* ---- a small scanner: each step consumes exactly what it names ---- */

static bool
lit(const char **p, const char *s)
{
	size_t	 n = strlen(s);

	if (strncmp(*p, s, n) != 0)
		return false;
	*p += n;
	return true;
}

/* Exactly n digits, but the first of two may be a space: asctime pads
 * the day of the month so. */
static bool
digits(const char **p, int n, int *v)
{
	int	 i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (i == 0 && n == 2 && (*p)[0] == ' ')
			continue;
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return false;
		*v = *v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	return true;
}

/* One word of a list; its index in *i. */
static bool
word(const char **p, const char *const *list, int n, int *i)
{
	for (*i = 0; *i < n; (*i)++) {
		if (lit(p, list[*i]))
			return true;
	}
	return false;
}

static bool
clock_time(const char **p, struct tm *tm)
{
	return digits(p, 2, &tm->tm_hour) && lit(p, ":") &&
	    digits(p, 2, &tm->tm_min) && lit(p, ":") &&
	    digits(p, 2, &tm->tm_sec);
}

static bool
month(const char **p, struct tm *tm)
{
	return word(p, months, 12, &tm->tm_mon);
}

/* Sun, 06 Nov 1994 08:49:37 GMT */
static bool
imf_fixdate(const char *p, struct tm *tm)
{
	int	 wd;

	return word(&p, wdays, 7, &wd) && lit(&p, ", ") &&
	    digits(&p, 2, &tm->tm_mday) && lit(&p, " ") && month(&p, tm) &&
	    lit(&p, " ") && digits(&p, 4, &tm->tm_year) && lit(&p, " ") &&
	    clock_time(&p, tm) && lit(&p, " GMT") && *p == '\0';
}

/* Sunday, 06-Nov-94 08:49:37 GMT (RFC 850, obsolete) */
static bool
rfc850_date(const char *p, struct tm *tm)
{
	int	 wd;

	return word(&p, long_wdays, 7, &wd) && lit(&p, ", ") &&
	    digits(&p, 2, &tm->tm_mday) && lit(&p, "-") && month(&p, tm) &&
	    lit(&p, "-") && digits(&p, 2, &tm->tm_year) && lit(&p, " ") &&
	    clock_time(&p, tm) && lit(&p, " GMT") && *p == '\0';
}

/* Sun Nov  6 08:49:37 1994 (asctime, obsolete) */
static bool
asctime_date(const char *p, struct tm *tm)
{
	int	 wd;

	return word(&p, wdays, 7, &wd) && lit(&p, " ") && month(&p, tm) &&
	    lit(&p, " ") && digits(&p, 2, &tm->tm_mday) && lit(&p, " ") &&
	    clock_time(&p, tm) && lit(&p, " ") &&
	    digits(&p, 4, &tm->tm_year) && *p == '\0';
}

static int
month_days(int year, int mon)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
		30, 31 };
	bool	 leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return mon == 1 && leap ? 29 : days[mon];
}

int
cond_date_parse(const char *s, time_t now, time_t *out)
{
	struct tm	 tm;
	bool		 two_digits = false;

	memset(&tm, 0, sizeof(tm));
	if (!imf_fixdate(s, &tm) && !asctime_date(s, &tm)) {
		memset(&tm, 0, sizeof(tm));
		if (!rfc850_date(s, &tm))
			return -1;
		two_digits = true;
	}
	if (two_digits) {
		/* RFC 9110 §5.6.7: a two-digit year more than 50 years in
		 * the future is the most recent past year with those
		 * digits. */
		struct tm	 nt;
		int		 year, century;

		gmtime_r(&now, &nt);
		century = (nt.tm_year + 1900) / 100 * 100;
		year = century + tm.tm_year;
		if (year > nt.tm_year + 1900 + 50)
			year -= 100;
		tm.tm_year = year;
	}
	if (tm.tm_year < 1970 || tm.tm_mday < 1 ||
	    tm.tm_mday > month_days(tm.tm_year, tm.tm_mon) ||
	    tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
		return -1;
	if (tm.tm_sec == 60)
		tm.tm_sec = 59;		/* a leap second: its minute */
	tm.tm_year -= 1900;
	*out = timegm(&tm);
	return 0;
}

/* Skips optional white space and list commas. */
static const char *
skip_ows(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == ',')
		p++;
	return p;
}

bool
cond_etag_listed(const char *list, const char *etag)
{
	const char	*p = skip_ows(list), *end;
	size_t		 len = strlen(etag);

	if (*p == '*' && *skip_ows(p + 1) == '\0')
		return true;
	while (*p != '\0') {
		/* The weak comparison of If-None-Match: W/ is ignored. */
		if (strncmp(p, "W/", 2) == 0)
			p += 2;
		if (*p != '"' || (end = strchr(p + 1, '"')) == NULL)
			return false;	/* malformed: no condition */
		if ((size_t)(end + 1 - p) == len && memcmp(p, etag, len) == 0)
			return true;
		p = end + 1;
		if (*p != '\0' && *p != ',' && *p != ' ' && *p != '\t')
			return false;
		p = skip_ows(p);
	}
	return false;
}

bool
cond_not_modified(const char *if_none_match, const char *if_modified_since,
    const char *etag, time_t last_modified, time_t now)
{
	time_t	 since;

	/* RFC 9110 §13.2.2: If-None-Match, when present, decides alone. */
	if (if_none_match != NULL)
		return cond_etag_listed(if_none_match, etag);
	/* A date after ours is a client's clock running fast, or a date it
	 * made up from its own clock (RFC 2616 §14.25 called it invalid):
	 * it would hide changes made within the skew, so it is ignored. */
	if (if_modified_since != NULL &&
	    cond_date_parse(if_modified_since, now, &since) == 0 &&
	    since <= now)
		return last_modified <= since;
	return false;
}
