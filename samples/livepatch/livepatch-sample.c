// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The smallest complete live patch.  It swaps cmdline_proc_show() in
 * vmlinux for a version that ignores the boot command line, so a read of
 * /proc/cmdline shows at once whether the patch is active.
 *
 * Run it as root (demo-sample.sh in this directory does the same steps):
 *
 *   insmod livepatch-sample.ko
 *   cat /proc/cmdline        # prints "this has been live patched"
 *   echo 0 > /sys/kernel/livepatch/livepatch_sample/enabled
 *   cat /proc/cmdline        # the real command line is back
 *   rmmod livepatch_sample
 *
 * Loading the module starts a transition; it is over when
 * /sys/kernel/livepatch/livepatch_sample/transition reads 0.  After the
 * write of 0 to "enabled", wait for the livepatch_sample directory to go
 * away before rmmod, or the module is still busy.
 */
#define pr_fmt(fmt) "livepatch_sample: " fmt

#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/seq_file.h>

/*
 * Same prototype as the function it stands in for (fs/proc/cmdline.c):
 * ftrace hands the arguments over unchanged.
 */
static int sample_cmdline_proc_show(struct seq_file *m, void *v)
{
	seq_puts(m, "this has been live patched\n");
	return 0;
}

static struct klp_func sample_funcs[] = {
	{ .old_name = "cmdline_proc_show", .new_func = sample_cmdline_proc_show },
	{ }	/* end of the list */
};

/* An object without a name is vmlinux itself. */
static struct klp_object sample_objs[] = {
	{ .funcs = sample_funcs },
	{ }
};

static struct klp_patch sample_patch = {
	.mod	= THIS_MODULE,
	.objs	= sample_objs,
};

static int __init sample_init(void)
{
	return klp_enable_patch(&sample_patch);
}

/*
 * Nothing to undo here: the module can only be removed once the patch has
 * been disabled through sysfs and the core has let go of it.
 */
static void __exit sample_exit(void)
{
}

module_init(sample_init);
module_exit(sample_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Live patch sample: replace the contents of /proc/cmdline");
MODULE_INFO(livepatch, "Y");
