/*
 * strmap.c: a map from strings to indexes, for lookups by id.
 *
 * The journal looks up every event's id and centre, and the planner every
 * event's centre, so at 100,000 centres this map holds millions of keys.
 * It used to be a jansson object: that copies each key into its own
 * allocation and boxes each value in a json_integer, about 130 bytes and
 * two mallocs an entry (21 MB for 175,000 events).  Here an entry is one
 * 16-byte slot of a flat array: open addressing with linear probing, the
 * keys borrowed from their owner, the table at most half full so that a
 * probe sequence stays short.  hsearch_r would do the probing, but its
 * table cannot grow and it cannot delete, and the journal needs both.
 *
 * The hash is FNV-1a: short ids hash well with it.  It is not seeded, so
 * someone who chooses the ids could make them collide and slow lookups;
 * the ids come from the bureau's own journal and its authenticated users.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"

#define STRMAP_MIN_SLOTS	16

static size_t
hash(const char *s)
{
	uint64_t	 h = 14695981039346656037ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return (size_t)h;
}

/* The slot holding key, or the empty slot where it would go. */
static struct strmap_slot *
probe(const struct strmap *m, const char *key)
{
	size_t	 mask = m->nslots - 1, i = hash(key) & mask;

	while (m->slots[i].key != NULL && strcmp(m->slots[i].key, key) != 0)
		i = (i + 1) & mask;
	return &m->slots[i];
}

static void
grow(struct strmap *m)
{
	struct strmap_slot	*old = m->slots;
	size_t			 i, n = m->nslots;

	m->nslots = n ? n * 2 : STRMAP_MIN_SLOTS;
	m->slots = xcalloc(m->nslots, sizeof(*m->slots));
	for (i = 0; i < n; i++) {
		if (old[i].key != NULL)
			*probe(m, old[i].key) = old[i];
	}
	free(old);
}

void
strmap_init(struct strmap *m)
{
	memset(m, 0, sizeof(*m));
}

void
strmap_clear(struct strmap *m)
{
	free(m->slots);
	strmap_init(m);
}

size_t
strmap_get(const struct strmap *m, const char *key)
{
	const struct strmap_slot *s;

	if (m->count == 0)
		return STRMAP_NONE;
	s = probe(m, key);
	return s->key != NULL ? s->value : STRMAP_NONE;
}

void
strmap_put(struct strmap *m, const char *key, size_t value)
{
	struct strmap_slot	*s;

	if ((m->count + 1) * 2 > m->nslots)
		grow(m);
	s = probe(m, key);
	if (s->key == NULL)
		m->count++;
	s->key = key;
	s->value = value;
}

/*
 * Linear probing cannot simply empty a slot: a key further along may have
 * been placed past it, and a lookup would stop at the hole.  So each key
 * after the hole, up to the next empty slot, moves back into the hole if
 * its home slot does not lie between the hole and where it sits.
 */
void
strmap_del(struct strmap *m, const char *key)
{
	struct strmap_slot	*s;
	size_t			 mask = m->nslots - 1, hole, i, home;

	if (m->count == 0 || (s = probe(m, key))->key == NULL)
		return;
	hole = (size_t)(s - m->slots);
	s->key = NULL;
	m->count--;
	for (i = (hole + 1) & mask; m->slots[i].key != NULL;
	    i = (i + 1) & mask) {
		home = hash(m->slots[i].key) & mask;
		/* Stays if home is cyclically in (hole, i]. */
		if (hole < i ? hole < home && home <= i :
		    hole < home || home <= i)
			continue;
		m->slots[hole] = m->slots[i];
		m->slots[i].key = NULL;
		hole = i;
	}
}
