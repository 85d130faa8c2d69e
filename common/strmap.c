/*
 * strmap.c: a map from strings to indexes, for lookups by id.
 *
 * The journal looks up every event's id and centre, so at 100,000 centres
 * this map holds nearly two million keys.  It used to be a jansson
 * object: that copies each key into its own allocation and boxes each
 * value in a json_integer, about 130 bytes and two mallocs an entry
 * (21 MB for 175,000 events).  Here an entry is one 16-byte slot of a
 * flat array: open addressing with linear probing, the keys borrowed from
 * their owner.  hsearch_r would do the probing, but its table cannot grow
 * and it cannot delete, and the journal needs both.
 *
 * Each slot keeps 32 bits of its key's hash: a probe only follows the key
 * pointer (a cache miss, at these sizes) when the hashes agree, and the
 * table grows without reading a single key.  So a probe sequence is cheap
 * to walk, and the table may be three quarters full before it doubles.
 * That is also why a value is an index below 2^32 - 1: four billion
 * events would not fit in memory anyway.
 *
 * The hash is FNV-1a: short ids hash well with it.  It is not seeded, so
 * someone who chooses the ids could make them collide and slow lookups;
 * the ids come from the bureau's own journal and its authenticated users.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"

#define STRMAP_MIN_SLOTS	16

static uint32_t
hash(const char *s)
{
	uint32_t	 h = 2166136261U;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619U;
	}
	return h;
}

/* The slot holding key, or the empty slot where it would go. */
static struct strmap_slot *
probe(const struct strmap *m, const char *key, uint32_t h)
{
	size_t	 mask = m->nslots - 1, i = h & mask;

	while (m->slots[i].key != NULL && (m->slots[i].hash != h ||
	    strcmp(m->slots[i].key, key) != 0))
		i = (i + 1) & mask;
	return &m->slots[i];
}

/* Moves the keys to a table of nslots; they are distinct, so each one
 * simply takes the first empty slot from its home on. */
static void
resize(struct strmap *m, size_t nslots)
{
	struct strmap_slot	*old = m->slots;
	size_t			 i, k, n = m->nslots, mask;

	m->nslots = nslots;
	m->slots = xcalloc(m->nslots, sizeof(*m->slots));
	mask = m->nslots - 1;
	for (i = 0; i < n; i++) {
		if (old[i].key == NULL)
			continue;
		for (k = old[i].hash & mask; m->slots[k].key != NULL;
		    k = (k + 1) & mask)
			;
		m->slots[k] = old[i];
	}
	free(old);
}

static void
grow(struct strmap *m)
{
	resize(m, m->nslots ? m->nslots * 2 : STRMAP_MIN_SLOTS);
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

void
strmap_reserve(struct strmap *m, size_t n)
{
	size_t	 nslots = m->nslots ? m->nslots : STRMAP_MIN_SLOTS;

	/* Grown before it passes three quarters full (strmap_put). */
	while ((n + 1) * 4 > nslots * 3)
		nslots *= 2;
	if (nslots > m->nslots)
		resize(m, nslots);
}

size_t
strmap_get(const struct strmap *m, const char *key)
{
	const struct strmap_slot *s;

	if (m->count == 0)
		return STRMAP_NONE;
	s = probe(m, key, hash(key));
	return s->key != NULL ? (size_t)s->value : STRMAP_NONE;
}

void
strmap_put(struct strmap *m, const char *key, size_t value)
{
	struct strmap_slot	*s;
	uint32_t		 h = hash(key);

	if (value >= UINT32_MAX) {
		fprintf(stderr, "strmap: index %zu out of range\n", value);
		abort();
	}
	if ((m->count + 1) * 4 > m->nslots * 3)
		grow(m);
	s = probe(m, key, h);
	if (s->key == NULL)
		m->count++;
	s->key = key;
	s->hash = h;
	s->value = (uint32_t)value;
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

	if (m->count == 0 || (s = probe(m, key, hash(key)))->key == NULL)
		return;
	hole = (size_t)(s - m->slots);
	s->key = NULL;
	m->count--;
	for (i = (hole + 1) & mask; m->slots[i].key != NULL;
	    i = (i + 1) & mask) {
		home = m->slots[i].hash & mask;
		/* Stays if home is cyclically in (hole, i]. */
		if (hole < i ? hole < home && home <= i :
		    hole < home || home <= i)
			continue;
		m->slots[hole] = m->slots[i];
		m->slots[i].key = NULL;
		hole = i;
	}
}
