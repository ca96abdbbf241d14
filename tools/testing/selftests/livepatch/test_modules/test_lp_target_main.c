// SPDX-License-Identifier: GPL-2.0-only
/*
 * Target module for the livepatch selftests.  Each file under /proc/test_lp/
 * runs one function that a test livepatch replaces, so user space can see
 * which version ran.  A second test_lp_dup_show() lives in
 * test_lp_target_dup.c to make that name ambiguous within this module.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/proc_fs.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "test_lp.h"
#include "test_lp_target.h"

static struct proc_dir_entry *test_lp_dir;

/* What a version that a patchable function reported reads as; 0 is none. */
static const char *test_lp_version_name(int version)
{
	switch (version) {
	case 0:
		return "none";
	case TEST_LP_ORIGINAL:
		return "original";
	case TEST_LP_PATCHED:
		return "patched";
	}
	return "bad";
}

/* /proc/test_lp/plain: the simplest function to replace. */
static int test_lp_plain_show(struct seq_file *m, void *v)
{
	seq_puts(m, "test_lp_target: original\n");
	return 0;
}

/* /proc/test_lp/dup_a: first of two local symbols of the same name. */
static int test_lp_dup_show(struct seq_file *m, void *v)
{
	seq_puts(m, "test_lp_target: dup a original\n");
	return 0;
}

/* /proc/test_lp/busy: sleeps inside the function until the gate opens. */
static struct test_lp_gate test_lp_gate = {
	.wq = __WAIT_QUEUE_HEAD_INITIALIZER(test_lp_gate.wq),
	.open = true,
	.inside = ATOMIC_INIT(0),
};

static int test_lp_busy_show(struct seq_file *m, void *v)
{
	struct test_lp_gate *gate = m->private;

	if (test_lp_gate_pass(gate))
		return -EINTR;
	seq_puts(m, "test_lp_target: original\n");
	return 0;
}

/*
 * /proc/test_lp/wait: sleeps interruptibly for TEST_LP_WAIT_MS inside the
 * function, then reads "test_lp_target: waited"; a signal ends the read
 * with EINTR.
 */
static int test_lp_wait_show(struct seq_file *m, void *v)
{
	int ret = test_lp_wait_interruptible();

	if (ret)
		return ret;
	seq_puts(m, "test_lp_target: waited\n");
	return 0;
}

/*
 * Read a short command from user space into @buf.  Return: 0, or -EINVAL
 * for anything that does not fit.
 */
static int test_lp_get_cmd(char *buf, size_t size, const char __user *ubuf,
			   size_t count)
{
	if (count == 0 || count >= size)
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	return 0;
}

static void test_lp_gate_set(struct test_lp_gate *gate, bool open)
{
	/* Pairs with smp_load_acquire() in test_lp_gate_pass(). */
	smp_store_release(&gate->open, open);
	if (open)
		wake_up_all(&gate->wq);
}

/*
 * /proc/test_lp/busy_ctl and relay_ctl: "open"/"close" their gate; read
 * "<state> <inside>".  The gate is the file's proc data.
 */
static int test_lp_busy_ctl_show(struct seq_file *m, void *v)
{
	struct test_lp_gate *gate = m->private;

	seq_printf(m, "%s %d\n", READ_ONCE(gate->open) ? "open" : "closed",
		   atomic_read(&gate->inside));
	return 0;
}

static int test_lp_busy_ctl_open(struct inode *inode, struct file *file)
{
	return single_open(file, test_lp_busy_ctl_show, pde_data(inode));
}

static ssize_t test_lp_busy_ctl_write(struct file *file, const char __user *ubuf,
				      size_t count, loff_t *ppos)
{
	struct test_lp_gate *gate = pde_data(file_inode(file));
	char buf[16];
	int ret;

	ret = test_lp_get_cmd(buf, sizeof(buf), ubuf, count);
	if (ret)
		return ret;
	if (sysfs_streq(buf, "open"))
		test_lp_gate_set(gate, true);
	else if (sysfs_streq(buf, "close"))
		test_lp_gate_set(gate, false);
	else
		return -EINVAL;
	return count;
}

static const struct proc_ops test_lp_busy_ctl_ops = {
	.proc_open	= test_lp_busy_ctl_open,
	.proc_read	= seq_read,
	.proc_lseek	= seq_lseek,
	.proc_release	= single_release,
	.proc_write	= test_lp_busy_ctl_write,
};

/*
 * /proc/test_lp/relay: a reader first waits at the busy gate inside
 * test_lp_relay_wait(), which a patch replaces, then calls the hook that
 * test_lp_mid_target installs, which waits at the relay gate.  Between
 * the two it passes no point where a task switches, so a test can move
 * a task that a transition waits for into a function of a module loaded
 * during that transition.  Reads "wait <version> then <version|none>".
 */
static struct test_lp_gate test_lp_relay_gate = {
	.wq = __WAIT_QUEUE_HEAD_INITIALIZER(test_lp_relay_gate.wq),
	.open = true,
	.inside = ATOMIC_INIT(0),
};

static test_lp_relay_fn *test_lp_relay_hook;

/**
 * test_lp_relay_set() - install or remove the second half of a relay read
 * @fn:	called with the relay gate, or NULL to remove it
 */
void test_lp_relay_set(test_lp_relay_fn *fn)
{
	WRITE_ONCE(test_lp_relay_hook, fn);
}
EXPORT_SYMBOL_GPL(test_lp_relay_set);

static noinline int test_lp_relay_wait(struct test_lp_gate *gate)
{
	if (test_lp_gate_pass(gate))
		return -EINTR;
	return TEST_LP_ORIGINAL;
}


static int test_lp_relay_show(struct seq_file *m, void *v)
{
	test_lp_relay_fn *hook;
	int first, second;

	/* The busy gate, through the proc data so the call is not specialised. */
	first = test_lp_relay_wait(m->private);
	if (first < 0)
		return first;
	hook = READ_ONCE(test_lp_relay_hook);
	second = hook ? hook(&test_lp_relay_gate) : 0;
	if (second < 0)
		return second;
	seq_printf(m, "wait %s then %s\n", test_lp_version_name(first),
		   test_lp_version_name(second));
	return 0;
}

/*
 * /proc/test_lp/spin: "start"/"stop" a kthread that calls test_lp_spin_step()
 * in a loop and never sleeps, only cond_resched(); "nap" starts one that
 * also sleeps for a jiffy every TEST_LP_NAP_EVERY iterations, as a kthread
 * doing real work does now and then.  Reads
 * "<running|stopped> <original|patched|none> <loops>".
 *
 * Only a kthread that sleeps lets RCU-tasks grace periods end on a kernel
 * with Tasks RCU, and ftrace waits for one whenever an ops is
 * unregistered (test-tasks-rcu.sh).
 */
#define TEST_LP_NAP_EVERY	16
static DEFINE_MUTEX(test_lp_spin_lock);		/* guards test_lp_spin_task */
static struct task_struct *test_lp_spin_task;
static bool test_lp_spin_naps;			/* set before the kthread runs */

static int test_lp_spin_step(struct test_lp_spin *spin)
{
	return TEST_LP_ORIGINAL;
}

static struct test_lp_spin test_lp_spin = {
	.step = test_lp_spin_step,
};

/*
 * Busy until told to stop: never sleeps, only passes through cond_resched().
 * It calls the patchable step about once per jiffy, not millions of times
 * a second: under QEMU TCG a vCPU hammering a call site that ftrace is
 * rewriting with text_poke_bp() can execute a stale int3 and oops.
 */
static int test_lp_spin_fn(void *data)
{
	struct test_lp_spin *spin = data;
	unsigned long next;

	while (!kthread_should_stop()) {
		WRITE_ONCE(spin->version, spin->step(spin));
		WRITE_ONCE(spin->loops, spin->loops + 1);
		next = jiffies + 1;
		while (time_before_eq(jiffies, next) && !kthread_should_stop())
			cond_resched();
		if (READ_ONCE(test_lp_spin_naps) &&
		    !(spin->loops % TEST_LP_NAP_EVERY))
			schedule_timeout_idle(1);
	}
	return 0;
}

static int test_lp_spin_start(bool naps)
{
	struct task_struct *task;

	guard(mutex)(&test_lp_spin_lock);
	if (test_lp_spin_task)
		return -EBUSY;
	WRITE_ONCE(test_lp_spin_naps, naps);
	WRITE_ONCE(test_lp_spin.version, 0);
	WRITE_ONCE(test_lp_spin.loops, 0);
	task = kthread_run(test_lp_spin_fn, &test_lp_spin, "test_lp_spin");
	if (IS_ERR(task))
		return PTR_ERR(task);
	test_lp_spin_task = task;
	return 0;
}

static void test_lp_spin_stop(void)
{
	guard(mutex)(&test_lp_spin_lock);
	if (test_lp_spin_task)
		kthread_stop(test_lp_spin_task);
	test_lp_spin_task = NULL;
}

static int test_lp_spin_show(struct seq_file *m, void *v)
{
	int version = READ_ONCE(test_lp_spin.version);
	bool running;

	mutex_lock(&test_lp_spin_lock);
	running = test_lp_spin_task;
	mutex_unlock(&test_lp_spin_lock);

	seq_printf(m, "%s %s %lu\n", running ? "running" : "stopped",
		   test_lp_version_name(version),
		   READ_ONCE(test_lp_spin.loops));
	return 0;
}

static int test_lp_spin_open(struct inode *inode, struct file *file)
{
	return single_open(file, test_lp_spin_show, NULL);
}

static ssize_t test_lp_spin_write(struct file *file, const char __user *ubuf,
				  size_t count, loff_t *ppos)
{
	char buf[16];
	int ret;

	ret = test_lp_get_cmd(buf, sizeof(buf), ubuf, count);
	if (ret)
		return ret;
	if (sysfs_streq(buf, "start") || sysfs_streq(buf, "nap")) {
		ret = test_lp_spin_start(sysfs_streq(buf, "nap"));
		if (ret)
			return ret;
	} else if (sysfs_streq(buf, "stop")) {
		test_lp_spin_stop();
	} else {
		return -EINVAL;
	}
	return count;
}

static const struct proc_ops test_lp_spin_ops = {
	.proc_open	= test_lp_spin_open,
	.proc_read	= seq_read,
	.proc_lseek	= seq_lseek,
	.proc_release	= single_release,
	.proc_write	= test_lp_spin_write,
};

static int __init test_lp_target_init(void)
{
	test_lp_dir = proc_mkdir("test_lp", NULL);
	if (!test_lp_dir)
		return -ENOMEM;

	if (!proc_create_single("plain", 0444, test_lp_dir, test_lp_plain_show) ||
	    !proc_create_single("dup_a", 0444, test_lp_dir, test_lp_dup_show) ||
	    !proc_create_single("wait", 0444, test_lp_dir, test_lp_wait_show) ||
	    !test_lp_dup_b_create(test_lp_dir) ||
	    !proc_create_single_data("busy", 0444, test_lp_dir,
				     test_lp_busy_show, &test_lp_gate) ||
	    !proc_create_data("busy_ctl", 0644, test_lp_dir, &test_lp_busy_ctl_ops,
			      &test_lp_gate) ||
	    !proc_create_single_data("relay", 0444, test_lp_dir,
				     test_lp_relay_show, &test_lp_gate) ||
	    !proc_create_data("relay_ctl", 0644, test_lp_dir, &test_lp_busy_ctl_ops,
			      &test_lp_relay_gate) ||
	    !proc_create("spin", 0644, test_lp_dir, &test_lp_spin_ops)) {
		proc_remove(test_lp_dir);
		return -ENOMEM;
	}
	return 0;
}

static void __exit test_lp_target_exit(void)
{
	test_lp_spin_stop();
	/* Let parked readers finish; proc_remove() waits for them. */
	test_lp_gate_set(&test_lp_gate, true);
	test_lp_gate_set(&test_lp_relay_gate, true);
	proc_remove(test_lp_dir);
}

module_init(test_lp_target_init);
module_exit(test_lp_target_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Livepatch selftest: functions to patch, exposed under /proc/test_lp");
