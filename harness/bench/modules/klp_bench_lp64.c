// SPDX-License-Identifier: GPL-2.0-only
/*
 * Livepatch benchmark: replaces the 64 functions klp_bench_fXY() of
 * klp_bench.ko, so that the slab cost of one patched function can be told
 * apart from the cost of a patch (compare with klp_bench_lp2.ko).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/livepatch.h>
#include <linux/module.h>

#include "klp_bench.h"

#define KLP_BENCH_LP64_DEFINE(n)					\
	static noinline __noipa int klp_bench_lp64_f##n(int x)		\
	{								\
		return klp_bench_body(x);				\
	}
KLP_BENCH_64(KLP_BENCH_LP64_DEFINE)

#define KLP_BENCH_LP64_FUNC(n)						\
	{ .old_name = "klp_bench_f" #n, .new_func = klp_bench_lp64_f##n },

static struct klp_func klp_bench_lp64_funcs[] = {
	KLP_BENCH_64(KLP_BENCH_LP64_FUNC)
	{ }
};

static struct klp_object klp_bench_lp64_objs[] = {
	{ .name = "klp_bench", .funcs = klp_bench_lp64_funcs },
	{ }
};

static struct klp_patch klp_bench_lp64_patch = {
	.mod = THIS_MODULE,
	.objs = klp_bench_lp64_objs,
};

static int __init klp_bench_lp64_init(void)
{
	return klp_enable_patch(&klp_bench_lp64_patch);
}

static void __exit klp_bench_lp64_exit(void)
{
}

module_init(klp_bench_lp64_init);
module_exit(klp_bench_lp64_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
MODULE_DESCRIPTION("Livepatch benchmark: replaces 64 functions");
