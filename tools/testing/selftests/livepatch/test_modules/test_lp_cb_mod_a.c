// SPDX-License-Identifier: GPL-2.0-only
/*
 * Target module for test-callbacks.sh.  Its init and exit each log one
 * line, so the test can place them among the callbacks of the livepatch
 * that targets it.  test_lp_cb_probe() is the function the livepatches
 * replace: /proc/<module> shows what it returns now and what it returned
 * while init ran, i.e. whether the module was patched before any of its
 * code ran.  test_lp_cb_mod_b.c builds this same file as a second module.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/compiler.h>
#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/string.h>

/* "original", or the name of the livepatch whose replacement ran. */
static const char *test_lp_cb_probe(void)
{
	return "original";
}

/*
 * Callers go through this pointer: the READ_ONCE() keeps the compiler
 * from inlining the call or folding its result, so every call reaches
 * the symbol a livepatch redirects.
 */
static const char *(*test_lp_cb_probe_fn)(void) = test_lp_cb_probe;

/* What the probe said while init ran; copied, not pointed to. */
static char test_lp_cb_init_saw[MODULE_NAME_LEN];

static struct proc_dir_entry *test_lp_cb_proc;

/* "<probe now> <probe at init>" */
static int test_lp_cb_show(struct seq_file *m, void *v)
{
	seq_printf(m, "%s %s\n", READ_ONCE(test_lp_cb_probe_fn)(),
		   test_lp_cb_init_saw);
	return 0;
}

static int __init test_lp_cb_mod_init(void)
{
	strscpy(test_lp_cb_init_saw, READ_ONCE(test_lp_cb_probe_fn)(),
		sizeof(test_lp_cb_init_saw));
	test_lp_cb_proc = proc_create_single(KBUILD_MODNAME, 0444, NULL,
					     test_lp_cb_show);
	if (!test_lp_cb_proc)
		return -ENOMEM;
	pr_info("init\n");
	return 0;
}

static void __exit test_lp_cb_mod_exit(void)
{
	proc_remove(test_lp_cb_proc);
	pr_info("exit\n");
}

module_init(test_lp_cb_mod_init);
module_exit(test_lp_cb_mod_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Livepatch selftest: a target module that logs its init and exit");
