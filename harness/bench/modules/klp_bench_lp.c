// SPDX-License-Identifier: GPL-2.0-only
/*
 * Livepatches for klp_bench.ko, built once per KLP_BENCH_LP_NR:
 *   1  klp_bench_lp.ko     replaces klp_bench_target() and klp_bench_sleeper()
 *   2+ klp_bench_lp<N>.ko  replaces klp_bench_target() only, for stacking
 * None of them replaces another (.replace = false), so loading 1..4 puts
 * four entries on the same function.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/livepatch.h>
#include <linux/module.h>

#include "klp_bench.h"

#ifndef KLP_BENCH_LP_NR
#define KLP_BENCH_LP_NR 1
#endif

static noinline __noipa int klp_bench_lp_target(int x)
{
	return klp_bench_body(x);
}

#if KLP_BENCH_LP_NR == 1
static noinline __noipa void klp_bench_lp_sleeper(void)
{
	klp_bench_sleep_until_stopped();
}
#endif

static struct klp_func klp_bench_lp_funcs[] = {
	{ .old_name = "klp_bench_target", .new_func = klp_bench_lp_target },
#if KLP_BENCH_LP_NR == 1
	{ .old_name = "klp_bench_sleeper", .new_func = klp_bench_lp_sleeper },
#endif
	{ }
};

static struct klp_object klp_bench_lp_objs[] = {
	{ .name = "klp_bench", .funcs = klp_bench_lp_funcs },
	{ }
};

static struct klp_patch klp_bench_lp_patch = {
	.mod = THIS_MODULE,
	.objs = klp_bench_lp_objs,
};

static int __init klp_bench_lp_init(void)
{
	return klp_enable_patch(&klp_bench_lp_patch);
}

static void __exit klp_bench_lp_exit(void)
{
}

module_init(klp_bench_lp_init);
module_exit(klp_bench_lp_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
MODULE_DESCRIPTION("Livepatch benchmark: replaces klp_bench_target()");
