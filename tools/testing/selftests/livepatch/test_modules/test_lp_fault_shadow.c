// SPDX-License-Identifier: GPL-2.0-only
/*
 * Shadow variables when allocations fail, for test-faults.sh.  A run
 * attaches shadow variables to a few objects with klp_shadow_alloc() and
 * klp_shadow_get_or_alloc(), then frees them, and checks after each step
 * that an allocation which returned NULL left nothing behind and that
 * every one which succeeded is complete: found by klp_shadow_get(),
 * constructed exactly once, destructed exactly once.  Writing 1 to the
 * "run" parameter makes one run; the test writes it with a failure
 * injected at each allocation in turn.  A run in a write, rather than in
 * init, keeps the module loader's own allocations out of the sweep: on a
 * debug kernel they are hundreds, and the sweep could not reach ours in
 * its time.
 *
 * Read-only parameters report the last run: "created" shadow variables
 * made, "nulls" allocations that returned NULL, "bad" inconsistencies
 * found.  The write fails with -EBADMSG when there is any inconsistency.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/errno.h>
#include <linux/gfp.h>
#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/string.h>

#define TEST_LP_SHADOW_ID	0x5eed
#define TEST_LP_SHADOW_NR	8

static int created;
module_param(created, int, 0444);
MODULE_PARM_DESC(created, "shadow variables created by init");
static int nulls;
module_param(nulls, int, 0444);
MODULE_PARM_DESC(nulls, "shadow allocations that returned NULL");
static int bad;
module_param(bad, int, 0444);
MODULE_PARM_DESC(bad, "inconsistencies found (the run fails if any)");

/* What gets shadowed; only the addresses matter. */
static int test_lp_shadow_objs[TEST_LP_SHADOW_NR];

/* Per object: the constructor ran, the destructor ran. */
static int test_lp_shadow_ctors[TEST_LP_SHADOW_NR];
static int test_lp_shadow_dtors[TEST_LP_SHADOW_NR];

/* Per object: the data klp_shadow_*alloc() returned, NULL if none. */
static void *test_lp_shadow_data[TEST_LP_SHADOW_NR];

static int test_lp_shadow_index(void *obj)
{
	return (int *)obj - test_lp_shadow_objs;
}

static unsigned long test_lp_shadow_tag(void *obj)
{
	return (unsigned long)obj ^ 0x5ad0b1ec75ad0b1eUL;
}

static int test_lp_shadow_ctor(void *obj, void *shadow_data, void *ctor_data)
{
	*(unsigned long *)shadow_data = test_lp_shadow_tag(obj);
	test_lp_shadow_ctors[test_lp_shadow_index(obj)]++;
	return 0;
}

static void test_lp_shadow_dtor(void *obj, void *shadow_data)
{
	if (*(unsigned long *)shadow_data != test_lp_shadow_tag(obj))
		bad++;
	test_lp_shadow_dtors[test_lp_shadow_index(obj)]++;
}

static void test_lp_shadow_bad(const char *what, int i)
{
	pr_err("object %d: %s\n", i, what);
	bad++;
}

/* Object @i against what the test believes about it. */
static void test_lp_shadow_check(int i)
{
	void *obj = &test_lp_shadow_objs[i];
	void *data = test_lp_shadow_data[i];
	void *found = klp_shadow_get(obj, TEST_LP_SHADOW_ID);

	if (found != data)
		test_lp_shadow_bad(data ? "klp_shadow_get() does not find it" :
				   "klp_shadow_get() finds a variable whose allocation failed", i);
	else if (data && *(unsigned long *)data != test_lp_shadow_tag(obj))
		test_lp_shadow_bad("its data is not what the constructor wrote", i);
	if (test_lp_shadow_ctors[i] != !!data)
		test_lp_shadow_bad("constructed a wrong number of times", i);
}

/* Even objects sleep-capable allocations, odd ones atomic. */
static gfp_t test_lp_shadow_gfp(int i)
{
	return i % 2 ? GFP_NOWAIT : GFP_KERNEL;
}

/* Remember the result of one allocation for object @i, then check it. */
static void test_lp_shadow_got(int i, void *data)
{
	if (!data)
		nulls++;
	else if (test_lp_shadow_data[i] && data != test_lp_shadow_data[i])
		test_lp_shadow_bad("klp_shadow_get_or_alloc() made a second one", i);
	if (data && !test_lp_shadow_data[i]) {
		test_lp_shadow_data[i] = data;
		created++;
	}
	test_lp_shadow_check(i);
}

static int test_lp_fault_shadow_run(void)
{
	void *obj;
	int i;

	created = 0;
	nulls = 0;
	bad = 0;
	memset(test_lp_shadow_ctors, 0, sizeof(test_lp_shadow_ctors));
	memset(test_lp_shadow_dtors, 0, sizeof(test_lp_shadow_dtors));
	memset(test_lp_shadow_data, 0, sizeof(test_lp_shadow_data));

	/* Half of the objects through klp_shadow_alloc() ... */
	for (i = 0; i < TEST_LP_SHADOW_NR; i += 2) {
		obj = &test_lp_shadow_objs[i];
		test_lp_shadow_got(i, klp_shadow_alloc(obj, TEST_LP_SHADOW_ID,
						       sizeof(unsigned long),
						       test_lp_shadow_gfp(i / 2),
						       test_lp_shadow_ctor, NULL));
	}
	/* ... then all of them through klp_shadow_get_or_alloc(). */
	for (i = 0; i < TEST_LP_SHADOW_NR; i++) {
		obj = &test_lp_shadow_objs[i];
		test_lp_shadow_got(i, klp_shadow_get_or_alloc(obj, TEST_LP_SHADOW_ID,
							      sizeof(unsigned long),
							      test_lp_shadow_gfp(i),
							      test_lp_shadow_ctor, NULL));
	}

	/* One freed alone, the others all at once. */
	klp_shadow_free(&test_lp_shadow_objs[0], TEST_LP_SHADOW_ID,
			test_lp_shadow_dtor);
	klp_shadow_free_all(TEST_LP_SHADOW_ID, test_lp_shadow_dtor);
	for (i = 0; i < TEST_LP_SHADOW_NR; i++) {
		if (klp_shadow_get(&test_lp_shadow_objs[i], TEST_LP_SHADOW_ID))
			test_lp_shadow_bad("still found after being freed", i);
		if (test_lp_shadow_dtors[i] != !!test_lp_shadow_data[i])
			test_lp_shadow_bad("destructed a wrong number of times", i);
	}

	pr_info("%d created, %d allocations returned NULL, %d inconsistencies\n",
		created, nulls, bad);
	return bad ? -EBADMSG : 0;
}

/* Module parameters are set under a mutex of their own: one run at a time. */
static int test_lp_fault_shadow_set_run(const char *val,
					const struct kernel_param *kp)
{
	bool go;
	int ret = kstrtobool(val, &go);

	if (ret || !go)
		return ret ?: -EINVAL;
	return test_lp_fault_shadow_run();
}

static const struct kernel_param_ops test_lp_fault_shadow_run_ops = {
	.set = test_lp_fault_shadow_set_run,
};
module_param_cb(run, &test_lp_fault_shadow_run_ops, NULL, 0200);
MODULE_PARM_DESC(run, "write 1 to make one run");

static int __init test_lp_fault_shadow_init(void)
{
	return 0;
}

static void __exit test_lp_fault_shadow_exit(void)
{
}

module_init(test_lp_fault_shadow_init);
module_exit(test_lp_fault_shadow_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Livepatch selftest: shadow variables whose allocations fail");
