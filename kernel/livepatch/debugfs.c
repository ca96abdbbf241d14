// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Observability: /sys/kernel/debug/livepatch/transition, a snapshot of the
 * running transition and of every task it still waits for; "sites", how
 * each patched function is reached; "direct", the switch for direct
 * mode (patch.c); and the home of the tracepoints declared in trace.h.
 * Nothing here is on a fast path.
 */
#define pr_fmt(fmt) "livepatch: " fmt

#include <linux/debugfs.h>
#include <linux/init.h>
#include <linux/ktime.h>
#include <linux/livepatch.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/seq_file.h>

#include "core.h"
#include "patch.h"
#include "transition.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

static void klp_show_reason(struct seq_file *m, struct task_struct *task,
			    int ret, struct klp_blocker *b)
{
	switch (ret) {
	case 0:
		seq_puts(m, "clean stack, switches at the next rescan\n");
		break;
	case -EBUSY:
		seq_printf(m, "running on cpu %d\n", b->cpu);
		break;
	case -EADDRINUSE:
		seq_printf(m, "%s on its stack\n", b->func);
		break;
	default:
		seq_printf(m, "%s%s\n", b->why ?: "cannot be checked",
			   task->flags & PF_KTHREAD ? " (kthread, not woken yet)" : "");
		break;
	}
}

static void klp_show_task(struct seq_file *m, struct task_struct *task,
			  u64 start_ns, u64 now)
{
	struct klp_blocker b = { };
	u64 since = max_t(u64, start_ns, task->start_time);
	int ret;

	if (!klp_patch_pending(task))
		return;
	ret = klp_describe_task(task, &b);
	/* It may have switched itself meanwhile; then it is not pending. */
	if (!klp_patch_pending(task))
		return;

	seq_printf(m, "%-8d %-16s %10llu  ", task->pid, task->comm,
		   div_u64(now - min(since, now), NSEC_PER_MSEC));
	klp_show_reason(m, task, ret, &b);
}

/*
 * The whole file is produced under klp_mutex, so the transition cannot
 * end or reverse while it is written: one consistent snapshot per read.
 */
static int klp_transition_show(struct seq_file *m, void *unused)
{
	struct task_struct *g, *task;
	int target, counted;
	u64 start_ns, now;
	unsigned int cpu;

	mutex_lock(&klp_mutex);
	if (!klp_transition_patch) {
		seq_puts(m, "no transition\n");
		goto out_unlock;
	}

	counted = klp_transition_info(&target, &start_ns);
	now = ktime_get_ns();
	seq_printf(m, "patch: %s\ndirection: %s\nelapsed_ms: %llu\npending_count: %d\n",
		   klp_transition_patch->mod->name,
		   target == KLP_TRANSITION_PATCHED ? "patching" : "unpatching",
		   div_u64(now - start_ns, NSEC_PER_MSEC), counted);
	seq_printf(m, "%-8s %-16s %10s  %s\n", "pid", "comm", "pending_ms",
		   "reason");

	/*
	 * Under RCU rather than tasklist_lock, as the rescan: each task is
	 * unwound, and fork() and exit() should not wait for all of them.
	 */
	rcu_read_lock();
	for_each_process_thread(g, task)
		klp_show_task(m, task, start_ns, now);
	rcu_read_unlock();

	cpus_read_lock();
	for_each_online_cpu(cpu)
		klp_show_task(m, idle_task(cpu), start_ns, now);
	cpus_read_unlock();

out_unlock:
	mutex_unlock(&klp_mutex);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(klp_transition);

DEFINE_SHOW_ATTRIBUTE(klp_sites);

static ssize_t klp_direct_read(struct file *file, char __user *buf,
			       size_t count, loff_t *ppos)
{
	char val[3] = { klp_direct_get() ? '1' : '0', '\n', 0 };

	return simple_read_from_buffer(buf, count, ppos, val, 2);
}

static ssize_t klp_direct_write(struct file *file, const char __user *buf,
				size_t count, loff_t *ppos)
{
	bool on;
	int err;

	err = kstrtobool_from_user(buf, count, &on);
	if (err)
		return err;
	err = klp_direct_set(on);
	return err ?: count;
}

static const struct file_operations klp_direct_fops = {
	.owner		= THIS_MODULE,
	.read		= klp_direct_read,
	.write		= klp_direct_write,
	.llseek		= default_llseek,
};

static int __init klp_debugfs_init(void)
{
	struct dentry *dir = debugfs_create_dir("livepatch", NULL);

	debugfs_create_file("transition", 0400, dir, NULL,
			    &klp_transition_fops);
	debugfs_create_file("sites", 0400, dir, NULL, &klp_sites_fops);
	debugfs_create_file("direct", 0600, dir, NULL, &klp_direct_fops);
	return 0;
}
late_initcall(klp_debugfs_init);
