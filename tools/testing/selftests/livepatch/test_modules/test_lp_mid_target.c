// SPDX-License-Identifier: GPL-2.0-only
/*
 * A module for test-midload.sh to load while a transition runs.  Its one
 * function is the second half of a read of /proc/test_lp/relay (see
 * test_lp_target_main.c): it waits at the relay gate it is given.  The
 * test livepatch test_lp_mid_patch replaces it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>

#include "test_lp.h"

static noinline int test_lp_mid_f(struct test_lp_gate *gate)
{
	if (test_lp_gate_pass(gate))
		return -EINTR;
	return TEST_LP_ORIGINAL;
}

static int __init test_lp_mid_target_init(void)
{
	test_lp_relay_set(test_lp_mid_f);
	return 0;
}

/*
 * A reader inside test_lp_mid_f() holds no reference on this module:
 * the test opens the relay gate and waits for its readers before it
 * removes the module.
 */
static void __exit test_lp_mid_target_exit(void)
{
	test_lp_relay_set(NULL);
}

module_init(test_lp_mid_target_init);
module_exit(test_lp_mid_target_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Livepatch selftest: a module loaded during a transition, on the relay path");
