// SPDX-License-Identifier: GPL-2.0-only
/*
 * Target module for the stacking, atomic-replace and module tests.
 * /proc/test_lp_mod/f1 and f2 each run one function that the test patches
 * replace; /proc/test_lp_mod/init shows what test_lp_mod_probe() returned
 * while this module's init ran, so a test can tell whether a patch was
 * already in force before any code of the module ran.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/compiler.h>
#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/string.h>

static struct proc_dir_entry *test_lp_mod_dir;

static int test_lp_mod_f1_show(struct seq_file *m, void *v)
{
	seq_puts(m, KBUILD_MODNAME ": f1 original\n");
	return 0;
}

static int test_lp_mod_f2_show(struct seq_file *m, void *v)
{
	seq_puts(m, KBUILD_MODNAME ": f2 original\n");
	return 0;
}

/*
 * Called once, from init, through test_lp_mod_probe_fn: the READ_ONCE()
 * there keeps the compiler from inlining the call, so it always reaches
 * the symbol a livepatch redirects.
 */
static const char *test_lp_mod_probe(void)
{
	return "original";
}

static const char *(*test_lp_mod_probe_fn)(void) = test_lp_mod_probe;

/* What test_lp_mod_probe() returned during init; copied, not pointed to. */
static char test_lp_mod_init_saw[64];

static int test_lp_mod_init_show(struct seq_file *m, void *v)
{
	seq_printf(m, KBUILD_MODNAME ": init saw %s\n", test_lp_mod_init_saw);
	return 0;
}

static int __init test_lp_mod_target_init(void)
{
	strscpy(test_lp_mod_init_saw, READ_ONCE(test_lp_mod_probe_fn)(),
		sizeof(test_lp_mod_init_saw));

	test_lp_mod_dir = proc_mkdir("test_lp_mod", NULL);
	if (!test_lp_mod_dir)
		return -ENOMEM;

	if (!proc_create_single("f1", 0444, test_lp_mod_dir, test_lp_mod_f1_show) ||
	    !proc_create_single("f2", 0444, test_lp_mod_dir, test_lp_mod_f2_show) ||
	    !proc_create_single("init", 0444, test_lp_mod_dir,
				test_lp_mod_init_show)) {
		proc_remove(test_lp_mod_dir);
		return -ENOMEM;
	}
	return 0;
}

static void __exit test_lp_mod_target_exit(void)
{
	proc_remove(test_lp_mod_dir);
}

module_init(test_lp_mod_target_init);
module_exit(test_lp_mod_target_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Livepatch selftest: functions to patch under /proc/test_lp_mod, and one that init calls");
