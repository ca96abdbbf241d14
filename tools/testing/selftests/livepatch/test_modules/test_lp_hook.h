/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * An ftrace callback on one function of the kernel, for the test modules
 * that provoke a race or a failure from inside the core (test_lp_delay,
 * test_lp_fork_fail).
 */
#ifndef _TEST_LP_HOOK_H
#define _TEST_LP_HOOK_H

#include <linux/ftrace.h>
#include <linux/printk.h>
#include <linux/string.h>

/*
 * Attach @ops to the function @name (writable: the filter parser may edit
 * it).  Return: 0, or why not, after saying so.
 */
static inline int test_lp_hook_start(struct ftrace_ops *ops, char *name)
{
	int ret = ftrace_set_filter(ops, name, strlen(name), 0);

	if (ret) {
		pr_err("cannot trace %s: %d\n", name, ret);
		return ret;
	}
	ret = register_ftrace_function(ops);
	if (ret) {
		pr_err("cannot register the callback: %d\n", ret);
		ftrace_free_filter(ops);
	}
	return ret;
}

static inline void test_lp_hook_stop(struct ftrace_ops *ops)
{
	unregister_ftrace_function(ops);
	ftrace_free_filter(ops);
}

#endif /* _TEST_LP_HOOK_H */
