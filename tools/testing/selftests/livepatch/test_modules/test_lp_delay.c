// SPDX-License-Identifier: GPL-2.0-only
/*
 * A delay knob for the selftests: an ftrace callback on the function
 * named by "func" (at load time) busy-waits "ms" milliseconds at each of
 * its next "times" calls, to hold a code path of the core open while a
 * test does something meanwhile (test-unhook.sh delays the work that
 * frees a patch, so that the next patch comes while it is pending).
 * "delayed" counts the calls that waited.  The callback runs with
 * preemption disabled, so the wait is a busy one: keep it short.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/delay.h>
#include <linux/module.h>

#include "test_lp_hook.h"

static char func[KSYM_NAME_LEN];
module_param_string(func, func, sizeof(func), 0444);
MODULE_PARM_DESC(func, "the function to delay");

static int ms = 100;
module_param(ms, int, 0644);
MODULE_PARM_DESC(ms, "how long each delayed call waits (ms, at most 1000)");

static atomic_t times = ATOMIC_INIT(0);
static int times_set(const char *val, const struct kernel_param *kp)
{
	int n, ret = kstrtoint(val, 0, &n);

	if (ret || n < 0)
		return ret ?: -EINVAL;
	atomic_set(&times, n);
	return 0;
}

static int times_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%d\n", atomic_read(&times));
}

static const struct kernel_param_ops times_ops = {
	.set = times_set,
	.get = times_get,
};
module_param_cb(times, &times_ops, NULL, 0644);
MODULE_PARM_DESC(times, "how many of the next calls wait");

static atomic_t delayed = ATOMIC_INIT(0);
static int delayed_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%d\n", atomic_read(&delayed));
}

static const struct kernel_param_ops delayed_ops = {
	.get = delayed_get,
};
module_param_cb(delayed, &delayed_ops, NULL, 0444);
MODULE_PARM_DESC(delayed, "calls that waited so far");

static void notrace test_lp_delay_fn(unsigned long ip, unsigned long parent_ip,
				     struct ftrace_ops *ops,
				     struct ftrace_regs *fregs)
{
	if (atomic_dec_if_positive(&times) < 0)
		return;
	mdelay(clamp(READ_ONCE(ms), 0, 1000));
	atomic_inc(&delayed);
}

static struct ftrace_ops test_lp_delay_ops = {
	.func = test_lp_delay_fn,
};

static int __init test_lp_delay_init(void)
{
	if (!func[0])
		return -EINVAL;
	return test_lp_hook_start(&test_lp_delay_ops, func);
}

static void __exit test_lp_delay_exit(void)
{
	test_lp_hook_stop(&test_lp_delay_ops);
}

module_init(test_lp_delay_init);
module_exit(test_lp_delay_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Livepatch selftest: delay a function of the core on purpose");
