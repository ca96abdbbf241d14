// SPDX-License-Identifier: GPL-2.0-only
/*
 * Target module for the klp relocation test.  /proc/test_lp_reloc/plain runs
 * the function test_lp_reloc patches; /proc/test_lp_reloc/secret runs
 * test_lp_reloc_secret_show(), which, like the variable it prints, is
 * static: a livepatch can only reach them through klp relocations.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>

static int test_lp_reloc_secret = 42;
module_param_named(secret, test_lp_reloc_secret, int, 0444);
MODULE_PARM_DESC(secret, "the number /proc/test_lp_reloc/secret shows");

static struct proc_dir_entry *test_lp_reloc_dir;

static int test_lp_reloc_plain_show(struct seq_file *m, void *v)
{
	seq_puts(m, KBUILD_MODNAME ": original\n");
	return 0;
}

static int test_lp_reloc_secret_show(struct seq_file *m, void *v)
{
	seq_printf(m, KBUILD_MODNAME ": secret %d\n", test_lp_reloc_secret);
	return 0;
}

static int __init test_lp_reloc_target_init(void)
{
	test_lp_reloc_dir = proc_mkdir("test_lp_reloc", NULL);
	if (!test_lp_reloc_dir)
		return -ENOMEM;

	if (!proc_create_single("plain", 0444, test_lp_reloc_dir,
				test_lp_reloc_plain_show) ||
	    !proc_create_single("secret", 0444, test_lp_reloc_dir,
				test_lp_reloc_secret_show)) {
		proc_remove(test_lp_reloc_dir);
		return -ENOMEM;
	}
	return 0;
}

static void __exit test_lp_reloc_target_exit(void)
{
	proc_remove(test_lp_reloc_dir);
}

module_init(test_lp_reloc_target_init);
module_exit(test_lp_reloc_target_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Livepatch selftest: static symbols for klp relocations, under /proc/test_lp_reloc");
