// SPDX-License-Identifier: GPL-2.0-only
/*
 * Second source file of test_lp_target.  Its test_lp_dup_show() has the same
 * name as the one in test_lp_target_main.c, which is linked first, so in the
 * module's kallsyms this one is position 2.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/proc_fs.h>
#include <linux/seq_file.h>

#include "test_lp_target.h"

/* /proc/test_lp/dup_b */
static int test_lp_dup_show(struct seq_file *m, void *v)
{
	seq_puts(m, "test_lp_target: dup b original\n");
	return 0;
}

struct proc_dir_entry *test_lp_dup_b_create(struct proc_dir_entry *dir)
{
	return proc_create_single("dup_b", 0444, dir, test_lp_dup_show);
}
