// SPDX-License-Identifier: GPL-2.0-only
/*
 * Livepatch benchmark: a module unrelated to any patch.  vm-bench.sh
 * times how long loading it takes while the core is busy, as every
 * module load passes through the core (klp_module_coming()).
 */
#include <linux/init.h>
#include <linux/module.h>

static int __init klp_bench_noop_init(void)
{
	return 0;
}

static void __exit klp_bench_noop_exit(void)
{
}

module_init(klp_bench_noop_init);
module_exit(klp_bench_noop_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Livepatch benchmark: a module that does nothing");
