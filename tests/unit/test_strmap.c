/*
 * test_strmap.c: the string map behind the journal's and the planner's
 * lookups (common/strmap.c): put, replace, get, delete, and a long run of
 * random operations checked against a plain array, which is what catches
 * a deletion that leaves a key unreachable behind it.
 */
#include "tests/unit/testutil.h"
#include "common/common.h"

static void
test_an_empty_map_finds_nothing(void **state)
{
	struct strmap	 m;

	(void)state;
	strmap_init(&m);
	assert_true(strmap_get(&m, "a") == STRMAP_NONE);
	strmap_del(&m, "a");
	assert_int_equal(m.count, 0);
	strmap_clear(&m);
}

static void
test_put_replaces_and_del_removes(void **state)
{
	struct strmap	 m;

	(void)state;
	strmap_init(&m);
	strmap_put(&m, "c1", 1);
	strmap_put(&m, "c2", 2);
	strmap_put(&m, "c1", 3);
	assert_int_equal(m.count, 2);
	assert_int_equal(strmap_get(&m, "c1"), 3);
	assert_int_equal(strmap_get(&m, "c2"), 2);
	strmap_del(&m, "c1");
	assert_true(strmap_get(&m, "c1") == STRMAP_NONE);
	assert_int_equal(strmap_get(&m, "c2"), 2);
	assert_int_equal(m.count, 1);
	strmap_clear(&m);
}

static void
test_reserve_makes_room_without_losing_keys(void **state)
{
	static char	 keys[1000][16];
	struct strmap	 m;
	size_t		 i, slots;

	(void)state;
	strmap_init(&m);
	strmap_put(&m, "kept", 7);
	strmap_reserve(&m, 1000);
	slots = m.nslots;
	assert_true(slots * 3 >= 1001 * 4);
	for (i = 0; i < 1000; i++) {
		snprintf(keys[i], sizeof(keys[i]), "k%zu", i);
		strmap_put(&m, keys[i], i);
	}
	/* No growth on the way (one more than reserved fits too). */
	assert_int_equal(m.nslots, slots);
	assert_int_equal(strmap_get(&m, "kept"), 7);
	for (i = 0; i < 1000; i++)
		assert_int_equal(strmap_get(&m, keys[i]), i);
	strmap_reserve(&m, 10);		/* never shrinks */
	assert_int_equal(m.nslots, slots);
	strmap_clear(&m);
}

#define NKEYS	3000

/* Random puts and deletes over a few thousand keys, every key looked up
 * after each round, against an array that says what should be there. */
static void
test_random_operations_agree_with_an_array(void **state)
{
	static char	 keys[NKEYS][16];
	static size_t	 want[NKEYS];
	struct strmap	 m;
	unsigned int	 seed = 12345;
	size_t		 i, round, k, count;

	(void)state;
	strmap_init(&m);
	for (i = 0; i < NKEYS; i++) {
		snprintf(keys[i], sizeof(keys[i]), "ev-%zu", i);
		want[i] = STRMAP_NONE;
	}
	for (round = 0; round < 40; round++) {
		for (i = 0; i < NKEYS / 2; i++) {
			k = (size_t)rand_r(&seed) % NKEYS;
			if (rand_r(&seed) % 3 == 0) {
				strmap_del(&m, keys[k]);
				want[k] = STRMAP_NONE;
			} else {
				strmap_put(&m, keys[k], round * NKEYS + i);
				want[k] = round * NKEYS + i;
			}
		}
		for (i = count = 0; i < NKEYS; i++) {
			assert_true(strmap_get(&m, keys[i]) == want[i]);
			count += want[i] != STRMAP_NONE;
		}
		assert_int_equal(m.count, count);
	}
	strmap_clear(&m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_an_empty_map_finds_nothing),
		cmocka_unit_test(test_put_replaces_and_del_removes),
		cmocka_unit_test(test_reserve_makes_room_without_losing_keys),
		cmocka_unit_test(test_random_operations_agree_with_an_array),
	};

	return cmocka_run_group_tests_name("strmap", tests, NULL, NULL);
}
