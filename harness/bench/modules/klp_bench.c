// SPDX-License-Identifier: GPL-2.0-only
/*
 * Target of the livepatch benchmark (harness/bench): functions for the
 * klp_bench_lp*.ko patches to replace, and debugfs triggers that time
 * calls, hold a task in an old function, spin a kthread on cond_resched()
 * and compare shadow variables with a plain hash table.  The livepatch
 * core is only a user here; the numbers are read by harness/bench.
 *
 * /sys/kernel/debug/klp_bench/, every file "write to run, read result":
 *   calls    N R   R pairs of bursts of N calls: klp_bench_twin(), never
 *                  patched, then klp_bench_target() -> see show below
 *   ftrace   0|1|2 attach no ftrace_ops, an empty one, or one that only
 *                  redirects to a copy of klp_bench_target() -> mode
 *   sleeper  1|0   park a kthread inside klp_bench_sleeper() / release it
 *                  -> "1" while it sleeps there
 *   spinner  1|0   start/stop a CPU-bound kthread calling cond_resched()
 *                  -> "spins ns_unpatched ns_patched": local_clock() when
 *                  it last saw its patch_state change to 0 or to 1
 *   shadow   N     N shadow variables vs N entries of a plain hash table
 *                  -> operation counts and nanoseconds, see show below
 */
#define pr_fmt(fmt) "klp_bench: " fmt

#include <linux/debugfs.h>
#include <linux/ftrace.h>
#include <linux/hash.h>
#include <linux/kthread.h>
#include <linux/livepatch.h>
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/rculist.h>
#include <linux/sched/clock.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>

#include "klp_bench.h"

/*
 * Serialises the debugfs triggers and guards their state.  The fields the
 * kthreads update themselves are marked and use WRITE_ONCE/READ_ONCE.
 */
static DEFINE_MUTEX(klp_bench_lock);

/* ---- the functions the livepatches replace ------------------------------ */

/* Timed by the "calls" trigger; replaced by every klp_bench_lp*.ko. */
static noinline __noipa int klp_bench_target(int x)
{
	return klp_bench_body(x);
}

/* Written by the sleeper kthread. */
static bool klp_bench_sleeping;

/* A kthread waits here while a transition should stay in progress. */
static noinline __noipa void klp_bench_sleeper(void)
{
	WRITE_ONCE(klp_bench_sleeping, true);
	klp_bench_sleep_until_stopped();
	WRITE_ONCE(klp_bench_sleeping, false);
}

/* Never called: klp_bench_lp64.ko patches them to size a patched function. */
#define KLP_BENCH_DEFINE_MANY(n)					\
	static noinline __noipa __used int klp_bench_f##n(int x)	\
	{								\
		return klp_bench_body(x);				\
	}
KLP_BENCH_64(KLP_BENCH_DEFINE_MANY)

/* ---- calls: cost of one call of klp_bench_target() ---------------------- */

/* Never patched: timed beside klp_bench_target() as the yardstick. */
static noinline __noipa int klp_bench_twin(int x)
{
	return klp_bench_body(x);
}

/*
 * A busy host disturbs a VM in two ways: it deschedules a virtual CPU
 * for a while, which only ever makes a burst look slower, and it slows
 * the VM down as a whole for seconds at a time.  So R pairs of bursts are
 * timed, N calls of the twin then N of the target, and the fastest burst
 * of each is kept: the first answers the interruptions, and the twin's
 * tells how fast the VM was at the time.
 */
#define KLP_BENCH_MAX_PAIRS	100000

struct klp_bench_calls {
	u64 n, r;
	u64 best, twin_best;
	u64 total, twin_total;
};

static struct klp_bench_calls klp_bench_calls;
static int klp_bench_sink;

static u64 klp_bench_burst(int (*fn)(int), unsigned long n)
{
	unsigned long i;
	int acc = 0;
	u64 t = ktime_get_ns();

	for (i = 0; i < n; i++)
		acc += fn(i);
	t = ktime_get_ns() - t;
	WRITE_ONCE(klp_bench_sink, acc);
	return t;
}

static int klp_bench_calls_run(char *arg)
{
	struct klp_bench_calls c = { .best = U64_MAX, .twin_best = U64_MAX };
	unsigned long n, r = 1, i;
	u64 t, tw;

	if (sscanf(arg, "%lu %lu", &n, &r) < 1)
		return -EINVAL;
	if (!n || n > 10000000000UL || !r || r > KLP_BENCH_MAX_PAIRS)
		return -EINVAL;

	for (i = 0; i < r; i++) {
		/* Inlined: the calls in each loop are direct calls. */
		tw = klp_bench_burst(klp_bench_twin, n);
		t = klp_bench_burst(klp_bench_target, n);
		c.best = min(c.best, t);
		c.twin_best = min(c.twin_best, tw);
		c.total += t;
		c.twin_total += tw;
		cond_resched();
	}
	c.n = n;
	c.r = r;
	klp_bench_calls = c;
	return 0;
}

/* "N R best_ns twin_best_ns total_ns twin_total_ns" */
static int klp_bench_calls_show(struct seq_file *m)
{
	const struct klp_bench_calls *c = &klp_bench_calls;

	seq_printf(m, "%llu %llu %llu %llu %llu %llu\n", c->n, c->r, c->best,
		   c->twin_best, c->total, c->twin_total);
	return 0;
}

/* ---- ftrace: the floor under any ftrace-based redirection ---------------- */

/*
 * Two ftrace_ops of our own on klp_bench_target(), one at a time: an
 * empty callback, and one that only redirects to a copy of the function.
 * Both are called straight from their trampoline, like the livepatch
 * handler, so they show what any core pays before its own handler runs.
 */
static noinline __noipa int klp_bench_target_copy(int x)
{
	return klp_bench_body(x);
}

static void notrace klp_bench_ftrace_nop(unsigned long ip, unsigned long parent_ip,
					 struct ftrace_ops *ops, struct ftrace_regs *fregs)
{
}

static void notrace klp_bench_ftrace_redirect(unsigned long ip, unsigned long parent_ip,
					      struct ftrace_ops *ops,
					      struct ftrace_regs *fregs)
{
	ftrace_regs_set_instruction_pointer(fregs, (unsigned long)klp_bench_target_copy);
}

static const ftrace_func_t klp_bench_ftrace_funcs[] = {
	klp_bench_ftrace_nop,
	klp_bench_ftrace_redirect,
};

/*
 * The attached ftrace_ops, or NULL.  A fresh one each time, as the
 * livepatch cores do: a module's ftrace_ops is dynamic, and one that has
 * been unregistered is not registered again.
 */
static struct ftrace_ops *klp_bench_ftrace_ops;
/* 0: none attached; 1: the empty callback; 2: the redirecting one. */
static int klp_bench_ftrace_mode;

static int klp_bench_ftrace_attach(int mode)
{
	char name[] = "klp_bench_target";
	struct ftrace_ops *ops;
	int ret;

	ops = kzalloc(sizeof(*ops), GFP_KERNEL);
	if (!ops)
		return -ENOMEM;
	ops->func = klp_bench_ftrace_funcs[mode - 1];
	if (ops->func == klp_bench_ftrace_redirect)
		ops->flags = FTRACE_OPS_FL_IPMODIFY;

	ret = ftrace_set_filter(ops, name, strlen(name), 1);
	if (ret)
		goto err_free;
	ret = register_ftrace_function(ops);
	if (ret)
		goto err_filter;
	klp_bench_ftrace_ops = ops;
	klp_bench_ftrace_mode = mode;
	return 0;

err_filter:
	ftrace_free_filter(ops);
err_free:
	kfree(ops);
	return ret;
}

/* Once unregistered, no CPU runs the callback or its trampoline. */
static void klp_bench_ftrace_detach(void)
{
	if (!klp_bench_ftrace_ops)
		return;
	unregister_ftrace_function(klp_bench_ftrace_ops);
	ftrace_free_filter(klp_bench_ftrace_ops);
	kfree(klp_bench_ftrace_ops);
	klp_bench_ftrace_ops = NULL;
	klp_bench_ftrace_mode = 0;
}

static int klp_bench_ftrace_set(char *arg)
{
	int mode, ret;

	ret = kstrtoint(arg, 0, &mode);
	if (ret)
		return ret;
	if (mode < 0 || mode > ARRAY_SIZE(klp_bench_ftrace_funcs))
		return -EINVAL;
	klp_bench_ftrace_detach();
	return mode ? klp_bench_ftrace_attach(mode) : 0;
}

static int klp_bench_ftrace_show(struct seq_file *m)
{
	seq_printf(m, "%d\n", klp_bench_ftrace_mode);
	return 0;
}

/* ---- sleeper: a task that keeps a transition from completing ------------ */

static struct task_struct *klp_bench_sleeper_task;

static int klp_bench_sleeper_fn(void *unused)
{
	klp_bench_sleeper();
	return 0;
}

/* Start or stop a kthread; "on" twice or "off" twice is a no-op. */
static int klp_bench_kthread_set(struct task_struct **task, char *arg,
				 int (*fn)(void *), const char *name)
{
	bool on;
	int ret;

	ret = kstrtobool(arg, &on);
	if (ret)
		return ret;
	if (on && !*task) {
		*task = kthread_run(fn, NULL, "%s", name);
		if (IS_ERR(*task)) {
			ret = PTR_ERR(*task);
			*task = NULL;
		}
	} else if (!on && *task) {
		kthread_stop(*task);
		*task = NULL;
	}
	return ret;
}

static int klp_bench_sleeper_set(char *arg)
{
	return klp_bench_kthread_set(&klp_bench_sleeper_task, arg,
				     klp_bench_sleeper_fn, "klp_bench_sleeper");
}

static int klp_bench_sleeper_show(struct seq_file *m)
{
	seq_printf(m, "%d\n", klp_bench_sleeper_task && READ_ONCE(klp_bench_sleeping));
	return 0;
}

/* ---- spinner: a CPU-bound kthread that only switches in cond_resched() -- */

static struct task_struct *klp_bench_spinner_task;
/*
 * Written by the spinner kthread: its loop count, and local_clock() when
 * it saw its patch_state become 0 / 1.
 */
static unsigned long klp_bench_spins;
static u64 klp_bench_switch_ns[2];

static int klp_bench_spinner_fn(void *unused)
{
	int prev = READ_ONCE(current->patch_state);
	int state, i;

	while (!kthread_should_stop()) {
		for (i = 0; i < 1000; i++)
			cpu_relax();
		state = READ_ONCE(current->patch_state);
		if (state != prev) {
			if (state == KLP_TRANSITION_UNPATCHED ||
			    state == KLP_TRANSITION_PATCHED)
				WRITE_ONCE(klp_bench_switch_ns[state], local_clock());
			prev = state;
		}
		WRITE_ONCE(klp_bench_spins, klp_bench_spins + 1);
		cond_resched();
	}
	return 0;
}

static int klp_bench_spinner_set(char *arg)
{
	return klp_bench_kthread_set(&klp_bench_spinner_task, arg,
				     klp_bench_spinner_fn, "klp_bench_spinner");
}

static int klp_bench_spinner_show(struct seq_file *m)
{
	seq_printf(m, "%lu %llu %llu\n", READ_ONCE(klp_bench_spins),
		   READ_ONCE(klp_bench_switch_ns[KLP_TRANSITION_UNPATCHED]),
		   READ_ONCE(klp_bench_switch_ns[KLP_TRANSITION_PATCHED]));
	return 0;
}

/* ---- shadow: klp_shadow_* against a plain hash table --------------------- */

#define KLP_BENCH_SHADOW_ID	0x6b6c7062UL
#define KLP_BENCH_PLAIN_BITS	17
#define KLP_BENCH_MAX_VARS	(1UL << 20)
/* Minimum timed length of each phase, so a coarse clocksource still works. */
#define KLP_BENCH_MIN_NS	(250 * NSEC_PER_MSEC)
/* Lookups per timed batch: short enough to fit between host preemptions. */
#define KLP_BENCH_GET_BATCH	256
/* Lookup order: i * KLP_BENCH_STRIDE mod n, coprime with any 10^k. */
#define KLP_BENCH_STRIDE	40503UL
/*
 * The hot set: lookups of only the first KLP_BENCH_HOT entries, whatever
 * the count.  The memory they touch stays the same, so what grows with
 * the count is the table's own work (longer chains), not cache and TLB
 * misses, which under TCG dominate lookups scattered over all entries.
 */
#define KLP_BENCH_HOT		1000UL

/*
 * The baseline: an entry shaped like a shadow variable (same key, payload
 * and rcu_head, so the same kmalloc cache), in an hlist table sized for
 * the largest count, under a spinlock for writers and RCU for readers.
 */
struct klp_bench_plain {
	struct hlist_node node;
	void *obj;
	unsigned long id;
	struct rcu_head rcu;
	u64 data;
};

static DEFINE_SPINLOCK(klp_bench_plain_lock);
static struct hlist_head *klp_bench_plain_table;

/*
 * One timed phase: all operations, and the fastest batch of them (see
 * "calls" for why).
 */
struct klp_bench_phase {
	u64 ops;
	u64 ns;
	u64 batch_ops;
	u64 batch_ns;
};

/* Account a batch of @ops operations that took @ns. */
static void klp_bench_account(struct klp_bench_phase *ph, u64 ops, u64 ns)
{
	ph->ops += ops;
	ph->ns += ns;
	/* Compare ns per op of this batch with the best so far. */
	if (!ph->batch_ops || ns * ph->batch_ops < ph->batch_ns * ops) {
		ph->batch_ops = ops;
		ph->batch_ns = ns;
	}
}

/*
 * The phases: alloc, get, free_all of shadow; insert, get, free of plain;
 * then get of the hot set, shadow and plain.
 */
enum {
	KLP_BENCH_S_ALLOC,
	KLP_BENCH_S_GET,
	KLP_BENCH_S_FREE,
	KLP_BENCH_P_INS,
	KLP_BENCH_P_GET,
	KLP_BENCH_P_FREE,
	KLP_BENCH_S_HOT,
	KLP_BENCH_P_HOT,
	KLP_BENCH_NR_PHASES
};

static struct klp_bench_phase klp_bench_phases[KLP_BENCH_NR_PHASES];
static unsigned long klp_bench_shadow_n, klp_bench_misses;
static u64 *klp_bench_objs;

static int klp_bench_plain_insert(void *obj, unsigned long id)
{
	struct klp_bench_plain *p;
	unsigned long flags;

	p = kzalloc(sizeof(*p), GFP_KERNEL);
	if (!p)
		return -ENOMEM;
	p->obj = obj;
	p->id = id;
	spin_lock_irqsave(&klp_bench_plain_lock, flags);
	hlist_add_head_rcu(&p->node, &klp_bench_plain_table[hash_ptr(obj, KLP_BENCH_PLAIN_BITS)]);
	spin_unlock_irqrestore(&klp_bench_plain_lock, flags);
	return 0;
}

static void *klp_bench_plain_get(void *obj, unsigned long id)
{
	struct klp_bench_plain *p;
	void *data = NULL;

	rcu_read_lock();
	hlist_for_each_entry_rcu(p, &klp_bench_plain_table[hash_ptr(obj, KLP_BENCH_PLAIN_BITS)],
				 node) {
		if (p->obj == obj && p->id == id) {
			data = &p->data;
			break;
		}
	}
	rcu_read_unlock();
	return data;
}

static void klp_bench_plain_free_all(void)
{
	struct klp_bench_plain *p;
	struct hlist_node *tmp;
	unsigned long flags, b;

	spin_lock_irqsave(&klp_bench_plain_lock, flags);
	for (b = 0; b < (1UL << KLP_BENCH_PLAIN_BITS); b++) {
		hlist_for_each_entry_safe(p, tmp, &klp_bench_plain_table[b], node) {
			hlist_del_rcu(&p->node);
			kfree_rcu(p, rcu);
		}
	}
	spin_unlock_irqrestore(&klp_bench_plain_lock, flags);
}

/* Insert entries [@from, @to) into the shadow or the plain table. */
static int klp_bench_fill(bool shadow, unsigned long from, unsigned long to)
{
	unsigned long i;

	for (i = from; i < to; i++) {
		if (shadow) {
			if (!klp_shadow_alloc(&klp_bench_objs[i], KLP_BENCH_SHADOW_ID,
					      sizeof(u64), GFP_KERNEL, NULL, NULL))
				return -ENOMEM;
		} else if (klp_bench_plain_insert(&klp_bench_objs[i], KLP_BENCH_SHADOW_ID)) {
			return -ENOMEM;
		}
	}
	return 0;
}

static void klp_bench_empty(bool shadow)
{
	if (shadow)
		klp_shadow_free_all(KLP_BENCH_SHADOW_ID, NULL);
	else
		klp_bench_plain_free_all();
}

/*
 * Fill the table with @n entries in batches of 1024, emptying and
 * refilling it until filling took KLP_BENCH_MIN_NS in all; it stays full
 * on success.
 */
static int klp_bench_time_fill(bool shadow, unsigned long n, struct klp_bench_phase *fill,
			       struct klp_bench_phase *empty)
{
	unsigned long from, to;
	u64 t0;
	int ret;

	do {
		if (fill->ops) {
			t0 = ktime_get_ns();
			klp_bench_empty(shadow);
			klp_bench_account(empty, n, ktime_get_ns() - t0);
			cond_resched();
		}
		for (from = 0; from < n; from = to) {
			to = min(from + 1024, n);
			t0 = ktime_get_ns();
			ret = klp_bench_fill(shadow, from, to);
			klp_bench_account(fill, to - from, ktime_get_ns() - t0);
			if (ret)
				return ret;
		}
		cond_resched();
	} while (fill->ns < KLP_BENCH_MIN_NS);
	return 0;
}

/* Look the first @n entries up in a scattered order for KLP_BENCH_MIN_NS. */
static void klp_bench_time_get(bool shadow, unsigned long n, struct klp_bench_phase *get)
{
	unsigned long stride = KLP_BENCH_STRIDE % n, idx = 0, k;
	unsigned long misses = 0;
	void *obj, *data;
	u64 t0;

	do {
		t0 = ktime_get_ns();
		for (k = 0; k < KLP_BENCH_GET_BATCH; k++) {
			obj = &klp_bench_objs[idx];
			if (shadow)
				data = klp_shadow_get(obj, KLP_BENCH_SHADOW_ID);
			else
				data = klp_bench_plain_get(obj, KLP_BENCH_SHADOW_ID);
			misses += !data;
			idx += stride;
			if (idx >= n)
				idx -= n;
		}
		klp_bench_account(get, KLP_BENCH_GET_BATCH, ktime_get_ns() - t0);
		cond_resched();
	} while (get->ns < KLP_BENCH_MIN_NS);
	klp_bench_misses += misses;
}

static int klp_bench_time_table(bool shadow, unsigned long n, struct klp_bench_phase *ph,
				struct klp_bench_phase *hot)
{
	u64 t0;
	int ret;

	ret = klp_bench_time_fill(shadow, n, &ph[0], &ph[2]);
	if (!ret) {
		klp_bench_time_get(shadow, n, &ph[1]);
		klp_bench_time_get(shadow, min(n, KLP_BENCH_HOT), hot);
	}
	t0 = ktime_get_ns();
	klp_bench_empty(shadow);
	klp_bench_account(&ph[2], n, ktime_get_ns() - t0);
	return ret;
}

static int klp_bench_shadow_run(char *arg)
{
	unsigned long n;
	int ret;

	ret = kstrtoul(arg, 0, &n);
	if (ret)
		return ret;
	if (!n || n > KLP_BENCH_MAX_VARS)
		return -EINVAL;

	memset(klp_bench_phases, 0, sizeof(klp_bench_phases));
	klp_bench_shadow_n = 0;
	klp_bench_misses = 0;
	klp_bench_objs = kvcalloc(n, sizeof(*klp_bench_objs), GFP_KERNEL);
	klp_bench_plain_table = kvcalloc(1UL << KLP_BENCH_PLAIN_BITS,
					 sizeof(*klp_bench_plain_table), GFP_KERNEL);
	if (!klp_bench_objs || !klp_bench_plain_table) {
		ret = -ENOMEM;
		goto out_free;
	}

	ret = klp_bench_time_table(true, n, &klp_bench_phases[KLP_BENCH_S_ALLOC],
				   &klp_bench_phases[KLP_BENCH_S_HOT]);
	if (ret)
		goto out_free;
	ret = klp_bench_time_table(false, n, &klp_bench_phases[KLP_BENCH_P_INS],
				   &klp_bench_phases[KLP_BENCH_P_HOT]);
	if (ret)
		goto out_free;
	klp_bench_shadow_n = n;

out_free:
	/* The plain entries are freed after a grace period: wait for them. */
	rcu_barrier();
	kvfree(klp_bench_plain_table);
	klp_bench_plain_table = NULL;
	kvfree(klp_bench_objs);
	klp_bench_objs = NULL;
	return ret;
}

/*
 * "n misses" then, for shadow alloc, get, free_all, plain insert, get,
 * free, and shadow and plain get of the hot set: "ops ns best_batch_ops
 * best_batch_ns".
 */
static int klp_bench_shadow_show(struct seq_file *m)
{
	const struct klp_bench_phase *ph;
	int i;

	seq_printf(m, "%lu %lu", klp_bench_shadow_n, klp_bench_misses);
	for (i = 0; i < KLP_BENCH_NR_PHASES; i++) {
		ph = &klp_bench_phases[i];
		seq_printf(m, " %llu %llu %llu %llu", ph->ops, ph->ns, ph->batch_ops, ph->batch_ns);
	}
	seq_putc(m, '\n');
	return 0;
}

/* ---- debugfs ------------------------------------------------------------ */

struct klp_bench_file {
	const char *name;
	int (*run)(char *arg);
	int (*show)(struct seq_file *m);
};

static const struct klp_bench_file klp_bench_files[] = {
	{ "calls", klp_bench_calls_run, klp_bench_calls_show },
	{ "ftrace", klp_bench_ftrace_set, klp_bench_ftrace_show },
	{ "sleeper", klp_bench_sleeper_set, klp_bench_sleeper_show },
	{ "spinner", klp_bench_spinner_set, klp_bench_spinner_show },
	{ "shadow", klp_bench_shadow_run, klp_bench_shadow_show },
};

static int klp_bench_seq_show(struct seq_file *m, void *unused)
{
	const struct klp_bench_file *f = m->private;
	int ret;

	mutex_lock(&klp_bench_lock);
	ret = f->show(m);
	mutex_unlock(&klp_bench_lock);
	return ret;
}

static int klp_bench_open(struct inode *inode, struct file *file)
{
	return single_open(file, klp_bench_seq_show, inode->i_private);
}

static ssize_t klp_bench_write(struct file *file, const char __user *ubuf,
			       size_t len, loff_t *ppos)
{
	const struct klp_bench_file *f = file_inode(file)->i_private;
	char buf[32];
	int ret;

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';

	mutex_lock(&klp_bench_lock);
	ret = f->run(strim(buf));
	mutex_unlock(&klp_bench_lock);
	return ret ? ret : len;
}

static const struct file_operations klp_bench_fops = {
	.owner		= THIS_MODULE,
	.open		= klp_bench_open,
	.read		= seq_read,
	.llseek		= seq_lseek,
	.release	= single_release,
	.write		= klp_bench_write,
};

static struct dentry *klp_bench_dir;

static int __init klp_bench_init(void)
{
	int i;

	klp_bench_dir = debugfs_create_dir("klp_bench", NULL);
	for (i = 0; i < ARRAY_SIZE(klp_bench_files); i++)
		debugfs_create_file(klp_bench_files[i].name, 0600, klp_bench_dir,
				    (void *)&klp_bench_files[i], &klp_bench_fops);
	return 0;
}

static void __exit klp_bench_exit(void)
{
	debugfs_remove_recursive(klp_bench_dir);
	mutex_lock(&klp_bench_lock);
	klp_bench_ftrace_detach();
	if (klp_bench_sleeper_task)
		kthread_stop(klp_bench_sleeper_task);
	if (klp_bench_spinner_task)
		kthread_stop(klp_bench_spinner_task);
	mutex_unlock(&klp_bench_lock);
}

module_init(klp_bench_init);
module_exit(klp_bench_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Livepatch benchmark: functions to patch and timed triggers");
