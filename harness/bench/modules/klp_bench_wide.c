// SPDX-License-Identifier: GPL-2.0-only
/*
 * Livepatch benchmark: KLP_BENCH_NR_WIDE functions that nothing calls,
 * for klp_bench_lp200.ko to patch all at once.  The "settle" section of
 * vm-bench.sh times module loads while our core makes each of them
 * direct, one after the other (see "Direct mode" in
 * kernel/livepatch/patch.c).
 */
#include <linux/module.h>

#include "klp_bench.h"

#define KLP_BENCH_WIDE_DEFINE(n)					\
	static noinline __noipa __used int klp_bench_w##n(int x)	\
	{								\
		return klp_bench_body(x);				\
	}
KLP_BENCH_200(KLP_BENCH_WIDE_DEFINE)

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Livepatch benchmark: 200 functions to patch");
