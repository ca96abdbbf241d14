// SPDX-License-Identifier: GPL-2.0-only
/*
 * Target module of test-stub-trace.sh: stack traces taken in a direct-call
 * stub.  test_lp_stub_fn() is called in a tight loop by a kthread bound
 * to one CPU, while an hrtimer on that CPU interrupts it every few
 * microseconds.  Once test_lp_stub_patch has replaced the function and
 * its site has gone direct, the fentry call of test_lp_stub_fn() leads to
 * the stub, and some interrupts land there.  Each time, the timer takes a
 * stack trace of the interrupted code, as perf, KASAN or kmemleak would
 * from interrupt context, and looks for the loop function in it: a trace
 * that stops at the stub, or wanders off, does not reach it.
 *
 * /proc/test_lp_stub/ctl: write "run MS" to sample for MS milliseconds
 * (it returns when done); read "hits H through_loop L calls C new N",
 * where N counts the calls that returned the patched value, then the
 * first trace that started in the stub, one "%pS" per line.
 *
 * /proc/test_lp_stub/depth: the call-depth accounting of one call of
 * test_lp_stub_fn(), however it is reached (unpatched, the ftrace
 * handler, the stub).  With call-depth tracking (retbleed=stuff), every
 * call shifts the per-CPU count pcpu_hot.call_depth right and every
 * return shifts it left; a return that finds it empty refills the return
 * stack buffer.  A call chain that counts as many calls as returns leaves
 * the count as it found it.  Reading the file starts the count at a
 * known value with interrupts off, calls the function, and prints
 * "balanced", "unbalanced <start> <end>" (hex) or "untracked" where the
 * kernel does not track call depth.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/cpufeature.h>
#include <linux/hrtimer.h>
#include <linux/kallsyms.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/stacktrace.h>
#include <linux/uaccess.h>
#include <asm/current.h>
#include <asm/irq_regs.h>
#include <asm/ptrace.h>

#define TEST_LP_STUB_PERIOD_NS	(20 * NSEC_PER_USEC)
#define TEST_LP_STUB_ENTRIES	32
/* What the stub may span: the size of our core's slots, with margin. */
#define TEST_LP_STUB_SPAN	64

/* The patched function returns x + 2 instead. */
static noinline int test_lp_stub_fn(int x)
{
	barrier();
	return x + 1;
}

static struct {
	struct hrtimer timer;
	struct completion done;
	ktime_t end;
	unsigned long stub;	/* the fentry call's target */
	unsigned long calls, new_calls;
	unsigned int hits, through_loop;
	unsigned int first_nr;
	unsigned long first[TEST_LP_STUB_ENTRIES];
} test_lp_stub;

/* Serialises runs and guards the results read through ctl. */
static DEFINE_MUTEX(test_lp_stub_lock);

static noinline void test_lp_stub_loop(void)
{
	int i = 0;

	while (ktime_before(ktime_get(), test_lp_stub.end)) {
		if (test_lp_stub_fn(i) == i + 2)
			test_lp_stub.new_calls++;
		test_lp_stub.calls++;
		if (!(++i & 1023))
			cond_resched();
	}
}

static bool test_lp_stub_in_loop(unsigned long addr)
{
	char name[KSYM_SYMBOL_LEN];

	/* "%ps" prints "name [module]" for a module's function. */
	snprintf(name, sizeof(name), "%ps", (void *)addr);
	return !strcmp(name, "test_lp_stub_loop [" KBUILD_MODNAME "]");
}

static enum hrtimer_restart test_lp_stub_sample(struct hrtimer *t)
{
	unsigned long entries[TEST_LP_STUB_ENTRIES];
	struct pt_regs *regs = get_irq_regs();
	unsigned int nr, i;
	bool loop = false;

	if (regs && !user_mode(regs) && regs->ip - test_lp_stub.stub < TEST_LP_STUB_SPAN) {
		nr = stack_trace_save(entries, ARRAY_SIZE(entries), 0);
		for (i = 0; i < nr; i++)
			loop |= test_lp_stub_in_loop(entries[i]);
		test_lp_stub.through_loop += loop;
		if (!test_lp_stub.hits++) {
			memcpy(test_lp_stub.first, entries, nr * sizeof(entries[0]));
			test_lp_stub.first_nr = nr;
		}
	}
	if (ktime_after(ktime_get(), test_lp_stub.end))
		return HRTIMER_NORESTART;
	hrtimer_forward_now(t, ns_to_ktime(TEST_LP_STUB_PERIOD_NS));
	return HRTIMER_RESTART;
}

static int test_lp_stub_thread(void *unused)
{
	hrtimer_start(&test_lp_stub.timer, ns_to_ktime(TEST_LP_STUB_PERIOD_NS),
		      HRTIMER_MODE_REL_PINNED);
	test_lp_stub_loop();
	hrtimer_cancel(&test_lp_stub.timer);
	/* Never return into this module's text: it may be unloaded by then. */
	kthread_complete_and_exit(&test_lp_stub.done, 0);
}

/*
 * Where the fentry call at the start of test_lp_stub_fn() goes: after an
 * ENDBR, if any, a CALL rel32.  0 when it is not a call (ftrace left a NOP).
 */
static int (*test_lp_stub_fn_ptr)(int) = test_lp_stub_fn;

static unsigned long test_lp_stub_call_target(void)
{
	/* Through a pointer: code that reads the function is no call of it. */
	const u8 *p = (const u8 *)READ_ONCE(test_lp_stub_fn_ptr);
	static const u8 endbr64[] = { 0xf3, 0x0f, 0x1e, 0xfa };
	s32 rel;

	if (!memcmp(p, endbr64, sizeof(endbr64)))
		p += sizeof(endbr64);
	if (p[0] != 0xe8)
		return 0;
	memcpy(&rel, p + 1, sizeof(rel));
	return (unsigned long)(p + 5) + rel;
}

static int test_lp_stub_run(unsigned int ms)
{
	struct task_struct *task;

	test_lp_stub.calls = 0;
	test_lp_stub.new_calls = 0;
	test_lp_stub.hits = 0;
	test_lp_stub.through_loop = 0;
	test_lp_stub.first_nr = 0;
	hrtimer_init(&test_lp_stub.timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_PINNED);
	test_lp_stub.timer.function = test_lp_stub_sample;
	init_completion(&test_lp_stub.done);
	test_lp_stub.stub = test_lp_stub_call_target();
	if (!test_lp_stub.stub)
		return -ENOENT;
	test_lp_stub.end = ktime_add_ms(ktime_get(), ms);

	task = kthread_create(test_lp_stub_thread, NULL, "test_lp_stub");
	if (IS_ERR(task))
		return PTR_ERR(task);
	kthread_bind(task, cpumask_first(cpu_online_mask));
	wake_up_process(task);
	wait_for_completion(&test_lp_stub.done);
	return 0;
}

static int test_lp_stub_show(struct seq_file *m, void *v)
{
	unsigned int i;

	mutex_lock(&test_lp_stub_lock);
	seq_printf(m, "hits %u through_loop %u calls %lu new %lu\n",
		   test_lp_stub.hits, test_lp_stub.through_loop,
		   test_lp_stub.calls, test_lp_stub.new_calls);
	for (i = 0; i < test_lp_stub.first_nr; i++)
		seq_printf(m, "%pS\n", (void *)test_lp_stub.first[i]);
	mutex_unlock(&test_lp_stub_lock);
	return 0;
}

#ifdef CONFIG_MITIGATION_CALL_DEPTH_TRACKING
/*
 * One call already counted from a refilled buffer: far from both ends,
 * so that neither a missing nor an extra count of the call below is
 * hidden by a refill.
 */
#define TEST_LP_STUB_DEPTH_START	0xfc00000000000000ULL

static int test_lp_stub_depth_show(struct seq_file *m, void *v)
{
	unsigned long flags;
	u64 saved, end;
	int ret;

	if (!cpu_feature_enabled(X86_FEATURE_CALL_DEPTH)) {
		seq_puts(m, "untracked\n");
		return 0;
	}
	local_irq_save(flags);
	saved = this_cpu_read(pcpu_hot.call_depth);
	this_cpu_write(pcpu_hot.call_depth, TEST_LP_STUB_DEPTH_START);
	ret = test_lp_stub_fn(1);
	end = this_cpu_read(pcpu_hot.call_depth);
	this_cpu_write(pcpu_hot.call_depth, saved);
	local_irq_restore(flags);

	if (ret != 2 && ret != 3)
		seq_printf(m, "bad return %d\n", ret);
	else if (end == TEST_LP_STUB_DEPTH_START)
		seq_puts(m, "balanced\n");
	else
		seq_printf(m, "unbalanced %llx %llx\n", TEST_LP_STUB_DEPTH_START, end);
	return 0;
}
#else
static int test_lp_stub_depth_show(struct seq_file *m, void *v)
{
	seq_puts(m, "untracked\n");
	return 0;
}
#endif

static int test_lp_stub_depth_open(struct inode *inode, struct file *file)
{
	return single_open(file, test_lp_stub_depth_show, NULL);
}

static const struct proc_ops test_lp_stub_depth_ops = {
	.proc_open = test_lp_stub_depth_open,
	.proc_read = seq_read,
	.proc_lseek = seq_lseek,
	.proc_release = single_release,
};

static int test_lp_stub_open(struct inode *inode, struct file *file)
{
	return single_open(file, test_lp_stub_show, NULL);
}

static ssize_t test_lp_stub_write(struct file *file, const char __user *ubuf,
				  size_t count, loff_t *ppos)
{
	unsigned int ms;
	char buf[32];
	int ret;

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	if (sscanf(buf, "run %u", &ms) != 1 || !ms || ms > 60000)
		return -EINVAL;

	mutex_lock(&test_lp_stub_lock);
	ret = test_lp_stub_run(ms);
	mutex_unlock(&test_lp_stub_lock);
	return ret ?: count;
}

static const struct proc_ops test_lp_stub_ops = {
	.proc_open = test_lp_stub_open,
	.proc_read = seq_read,
	.proc_lseek = seq_lseek,
	.proc_release = single_release,
	.proc_write = test_lp_stub_write,
};

static struct proc_dir_entry *test_lp_stub_dir;

static int __init test_lp_stub_target_init(void)
{
	test_lp_stub_dir = proc_mkdir("test_lp_stub", NULL);
	if (!test_lp_stub_dir)
		return -ENOMEM;
	if (!proc_create("ctl", 0644, test_lp_stub_dir, &test_lp_stub_ops) ||
	    !proc_create("depth", 0444, test_lp_stub_dir, &test_lp_stub_depth_ops)) {
		proc_remove(test_lp_stub_dir);
		return -ENOMEM;
	}
	return 0;
}

static void __exit test_lp_stub_target_exit(void)
{
	proc_remove(test_lp_stub_dir);
}

module_init(test_lp_stub_target_init);
module_exit(test_lp_stub_target_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Livepatch selftest: stack traces taken in a direct-call stub");
