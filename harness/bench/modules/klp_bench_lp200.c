// SPDX-License-Identifier: GPL-2.0-only
/*
 * Livepatch benchmark: replaces the KLP_BENCH_NR_WIDE functions
 * klp_bench_wXYZ() of klp_bench_wide.ko in one patch, the size of a
 * cumulative patch.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/livepatch.h>
#include <linux/module.h>

#include "klp_bench.h"

#define KLP_BENCH_LP200_DEFINE(n)					\
	static noinline __noipa int klp_bench_lp200_w##n(int x)	\
	{								\
		return klp_bench_body(x);				\
	}
KLP_BENCH_200(KLP_BENCH_LP200_DEFINE)

#define KLP_BENCH_LP200_FUNC(n)						\
	{ .old_name = "klp_bench_w" #n, .new_func = klp_bench_lp200_w##n },

static struct klp_func klp_bench_lp200_funcs[] = {
	KLP_BENCH_200(KLP_BENCH_LP200_FUNC)
	{ }
};

static struct klp_object klp_bench_lp200_objs[] = {
	{ .name = "klp_bench_wide", .funcs = klp_bench_lp200_funcs },
	{ }
};

static struct klp_patch klp_bench_lp200_patch = {
	.mod = THIS_MODULE,
	.objs = klp_bench_lp200_objs,
};

static int __init klp_bench_lp200_init(void)
{
	BUILD_BUG_ON(ARRAY_SIZE(klp_bench_lp200_funcs) != KLP_BENCH_NR_WIDE + 1);
	return klp_enable_patch(&klp_bench_lp200_patch);
}

static void __exit klp_bench_lp200_exit(void)
{
}

module_init(klp_bench_lp200_init);
module_exit(klp_bench_lp200_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
MODULE_DESCRIPTION("Livepatch benchmark: replaces 200 functions");
