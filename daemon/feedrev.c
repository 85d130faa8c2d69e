/*
 * feedrev.c: what every feed last showed of each obligation, so that a
 * calendar client can tell what changed: SEQUENCE rises whenever an
 * obligation's date, state or words change, and DTSTAMP and
 * LAST-MODIFIED say when.
 *
 * A change is noticed by the obligation's fingerprint (cal_fingerprint:
 * everything a user sees of it, in any feed), compared with the one kept
 * in the store.  The rows are one per key ever shown, sorted by key; one
 * whose obligation left the plan (a retraction) stays with an empty
 * fingerprint, so that if it ever comes back its SEQUENCE goes on rising
 * rather than starting again at 0.  Pure: the caller stores the changes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "daemon/feed-int.h"

void
feedrev_init(struct feedrev *fr)
{
	memset(fr, 0, sizeof(*fr));
}

void
feedrev_clear(struct feedrev *fr)
{
	size_t	 i;

	for (i = 0; i < fr->n; i++)
		free(fr->rows[i].key);
	free(fr->rows);
	feedrev_init(fr);
}

static struct feedrev_row *
append(struct feedrev *fr, const char *key)
{
	struct feedrev_row	*r;

	if (fr->n == fr->cap) {
		fr->cap = fr->cap ? fr->cap * 2 : 256;
		fr->rows = xreallocarray(fr->rows, fr->cap, sizeof(*fr->rows));
	}
	r = &fr->rows[fr->n++];
	memset(r, 0, sizeof(*r));
	r->key = xstrdup(key);
	return r;
}

void
feedrev_load(struct feedrev *fr, const char *key, const char *fp,
    int sequence, time_t modified)
{
	struct feedrev_row	*r = append(fr, key);

	if (strlen(fp) < sizeof(r->fp))
		memcpy(r->fp, fp, strlen(fp) + 1);
	r->sequence = sequence > 0 ? sequence : 0;
	r->modified = modified;
}

static int
row_cmp(const void *a, const void *b)
{
	return strcmp(((const struct feedrev_row *)a)->key,
	    ((const struct feedrev_row *)b)->key);
}

void
feedrev_sort(struct feedrev *fr)
{
	if (fr->n > 1)
		qsort(fr->rows, fr->n, sizeof(*fr->rows), row_cmp);
}

/* The row of key among the first n (which are sorted). */
static struct feedrev_row *
find_in(const struct feedrev *fr, size_t n, const char *key)
{
	struct feedrev_row	 probe;

	probe.key = (char *)key;
	return n == 0 ? NULL : bsearch(&probe, fr->rows, n,
	    sizeof(*fr->rows), row_cmp);
}

const struct feedrev_row *
feedrev_find(const struct feedrev *fr, const char *key)
{
	return find_in(fr, fr->n, key);
}

static void
note_change(struct feedrev_change **changes, size_t *n, size_t *cap,
    const char *key, const struct sched_obligation *o)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		*changes = xreallocarray(*changes, *cap, sizeof(**changes));
	}
	(*changes)[*n].key = key;
	(*changes)[(*n)++].o = o;
}

size_t
feedrev_update(struct feedrev *fr, const struct sched_plan *plan,
    const struct sched_rules *rules, time_t revision,
    struct feedrev_change **changes)
{
	struct feedrev_row	*r;
	const struct sched_obligation *o;
	char			 fp[CAL_FINGERPRINT_LEN];
	size_t			 i, known = fr->n, n = 0, cap = 0;

	*changes = NULL;
	for (i = 0; i < known; i++)
		fr->rows[i].seen = false;
	for (i = 0; i < plan->count; i++) {
		o = &plan->obligations[i];
		cal_fingerprint(o, rules, fp);
		if ((r = find_in(fr, known, o->key)) == NULL) {
			/* New keys wait past "known" until the sort below,
			 * so the search above stays over sorted rows. */
			r = append(fr, o->key);
			r->sequence = 0;
		} else if (strcmp(r->fp, fp) == 0) {
			r->seen = true;
			continue;
		} else
			r->sequence++;
		memcpy(r->fp, fp, sizeof(r->fp));
		r->modified = revision;
		r->seen = true;
		note_change(changes, &n, &cap, r->key, o);
	}
	for (i = 0; i < known; i++) {
		r = &fr->rows[i];
		if (r->seen || r->fp[0] == '\0')
			continue;
		r->fp[0] = '\0';
		r->modified = revision;
		note_change(changes, &n, &cap, r->key, NULL);
	}
	/* Sorting moves rows, not their key strings: the changes' keys
	 * stay valid. */
	if (fr->n > known)
		feedrev_sort(fr);
	return n;
}
