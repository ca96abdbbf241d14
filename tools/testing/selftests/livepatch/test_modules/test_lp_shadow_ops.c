// SPDX-License-Identifier: GPL-2.0-only
/*
 * Drives the shadow variable API for test-shadow.sh.  Each write to
 * /proc/test_lp_shadow is one command; a read returns the result of the
 * last command and what the constructor and destructor saw so far:
 *
 *   alloc OBJ ID SIZE CTOR         klp_shadow_alloc()
 *   get_or_alloc OBJ ID SIZE CTOR  klp_shadow_get_or_alloc()
 *   get OBJ ID                     klp_shadow_get()
 *   free OBJ ID                    klp_shadow_free() with the destructor
 *   free_all ID                    klp_shadow_free_all() with the destructor
 *   free_all_loud ID               the same with a destructor that also
 *                                  prints, and counts the calls made with
 *                                  interrupts disabled (dtor_irqs_off)
 *   count ID                       how many objects have a variable ID
 *   fill ID N SIZE                 get_or_alloc ID on N objects, no ctor
 *   race OBJ ID THREADS ROUNDS     THREADS kthreads get_or_alloc one pair
 *                                  at once, ROUNDS times; see below
 *   locked ID N                    a kthread "lp_shadow_lock" allocates
 *                                  (GFP_ATOMIC) and then frees ID on N
 *                                  objects, holding its own pi_lock with
 *                                  interrupts off, as a patch of scheduler
 *                                  code would
 *   reset                          zero the counters
 *
 * OBJ picks one of TEST_LP_SHADOW_OBJS objects of this module; "fill" and
 * "count" also cover TEST_LP_SHADOW_MANY one-byte objects.  CTOR is
 * "none" (no constructor), "fail" (it returns -ENOSPC) or a number the
 * constructor stores in the first four bytes of the data.  A pointer
 * result reads "ptr <p> val <first u32> zero <1 if the rest is zeroed>",
 * with <p> hashed by %p, which keeps equal pointers equal; "ptr NULL"
 * otherwise.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/kernel.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#define TEST_LP_SHADOW_OBJS	8
#define TEST_LP_SHADOW_MANY	4096
#define TEST_LP_SHADOW_THREADS	16
#define TEST_LP_SHADOW_MAX_SIZE	8192

/* The objects shadow variables are attached to; their contents are unused. */
static struct test_lp_shadow_obj {
	int index;
} test_lp_shadow_objs[TEST_LP_SHADOW_OBJS];
static char test_lp_shadow_many[TEST_LP_SHADOW_MANY];

/*
 * What the constructor and destructor saw.  They run under the core's
 * spinlock, possibly in several kthreads at once, hence the atomics.
 * @ctor_bad counts calls with an unexpected object or ctor_data, or with
 * data that was not zeroed; @dtor_bad calls with an unexpected object.
 */
static struct {
	atomic_t ctors;
	atomic_t ctor_bad;
	atomic_t dtors;
	atomic_t dtor_bad;
	atomic_t dtor_irqs_off;
	u32 dtor_last_val;
} test_lp_shadow_seen;

/* test_lp_shadow_lock serialises commands and guards test_lp_shadow_result. */
static DEFINE_MUTEX(test_lp_shadow_lock);
static char test_lp_shadow_result[128] = "none";

/*
 * ctor_data of every constructor call: what to store, whether to fail,
 * and what the constructor must be called with.
 */
struct test_lp_shadow_ctor_arg {
	void *obj;
	size_t size;
	u32 val;
	bool fail;
	bool slow;
};

static bool test_lp_shadow_obj_ok(void *obj)
{
	char *p = obj;

	return (p >= (char *)test_lp_shadow_objs &&
		p < (char *)(test_lp_shadow_objs + TEST_LP_SHADOW_OBJS)) ||
	       (p >= test_lp_shadow_many &&
		p < test_lp_shadow_many + TEST_LP_SHADOW_MANY);
}

static int test_lp_shadow_ctor(void *obj, void *shadow_data, void *ctor_data)
{
	struct test_lp_shadow_ctor_arg *arg = ctor_data;

	atomic_inc(&test_lp_shadow_seen.ctors);
	if (obj != arg->obj || memchr_inv(shadow_data, 0, arg->size))
		atomic_inc(&test_lp_shadow_seen.ctor_bad);
	/* A slow constructor widens the window a racing caller can hit. */
	if (arg->slow)
		udelay(500);
	if (arg->fail)
		return -ENOSPC;
	memcpy(shadow_data, &arg->val, sizeof(arg->val));
	return 0;
}

static void test_lp_shadow_dtor(void *obj, void *shadow_data)
{
	atomic_inc(&test_lp_shadow_seen.dtors);
	if (!test_lp_shadow_obj_ok(obj))
		atomic_inc(&test_lp_shadow_seen.dtor_bad);
	memcpy(&test_lp_shadow_seen.dtor_last_val, shadow_data, sizeof(u32));
}

/*
 * A destructor that prints, as some patches' do.  Called from process
 * context with interrupts on, it must run with them on: printing under a
 * lock held with interrupts off orders that lock before the console's.
 */
static void test_lp_shadow_loud_dtor(void *obj, void *shadow_data)
{
	if (irqs_disabled())
		atomic_inc(&test_lp_shadow_seen.dtor_irqs_off);
	pr_info("destructing a shadow variable of %p\n", obj);
	test_lp_shadow_dtor(obj, shadow_data);
}

/* Report a pointer result; @size bytes of @data were allocated (0: unknown). */
static void test_lp_shadow_report(void *data, size_t size)
{
	u32 val;

	if (!data) {
		strscpy(test_lp_shadow_result, "ptr NULL");
		return;
	}
	memcpy(&val, data, sizeof(val));
	snprintf(test_lp_shadow_result, sizeof(test_lp_shadow_result),
		 "ptr %p val %u zero %d", data, val,
		 size ? !memchr_inv(data + sizeof(val), 0, size - sizeof(val)) : -1);
}

/*
 * Parse "SIZE CTOR" into @arg; @ctor is set to the constructor, or NULL
 * for "none".  Return: 0 or -EINVAL.
 */
static int test_lp_shadow_parse_ctor(const char *ctor_word, unsigned int size,
				     struct test_lp_shadow_ctor_arg *arg,
				     klp_shadow_ctor_t *ctor)
{
	if (size < sizeof(u32) || size > TEST_LP_SHADOW_MAX_SIZE)
		return -EINVAL;
	arg->size = size;
	*ctor = test_lp_shadow_ctor;
	if (!strcmp(ctor_word, "none"))
		*ctor = NULL;
	else if (!strcmp(ctor_word, "fail"))
		arg->fail = true;
	else if (kstrtou32(ctor_word, 0, &arg->val))
		return -EINVAL;
	return 0;
}

/* --- concurrent get_or_alloc ------------------------------------------------ */

struct test_lp_shadow_racer {
	struct completion *go;
	struct completion done;
	struct test_lp_shadow_ctor_arg arg;
	unsigned long id;
	void *data;
	u32 val;
};

/*
 * Racers inside klp_shadow_get_or_alloc() right now, and the rounds in
 * which a constructor ran while another racer was inside too: the race
 * the rounds are meant to provoke really happened.
 */
static atomic_t test_lp_shadow_racing;
static atomic_t test_lp_shadow_raced;

/*
 * The constructor waits, up to 200 ms, for another racer to be inside
 * too: a fixed delay is not enough under QEMU's single-threaded TCG,
 * which runs one virtual CPU at a time, for up to 100 ms each.
 */
static int test_lp_shadow_race_ctor(void *obj, void *shadow_data, void *ctor_data)
{
	u64 end = ktime_get_ns() + 200 * NSEC_PER_MSEC;

	while (atomic_read(&test_lp_shadow_racing) < 2 && ktime_get_ns() < end)
		cpu_relax();
	if (atomic_read(&test_lp_shadow_racing) > 1)
		atomic_inc(&test_lp_shadow_raced);
	return test_lp_shadow_ctor(obj, shadow_data, ctor_data);
}

static int test_lp_shadow_race_fn(void *p)
{
	struct test_lp_shadow_racer *r = p;

	wait_for_completion(r->go);
	atomic_inc(&test_lp_shadow_racing);
	r->data = klp_shadow_get_or_alloc(r->arg.obj, r->id, r->arg.size,
					  GFP_KERNEL, test_lp_shadow_race_ctor,
					  &r->arg);
	atomic_dec(&test_lp_shadow_racing);
	if (r->data)
		memcpy(&r->val, r->data, sizeof(r->val));
	/* Never return into this module's text: it may be unloaded by then. */
	kthread_complete_and_exit(&r->done, 0);
}

/*
 * One round: @n kthreads wait for a common start, then all ask for the
 * same pair, each with its own ctor value.  Exactly one constructor may
 * run, and every thread must get the same pointer and see that value.
 * The pair is freed again at the end.  Return: 0 when the round was
 * consistent, 1 when not, or a negative errno.
 */
static int test_lp_shadow_race_round(struct test_lp_shadow_racer *racers,
				     int n, void *obj, unsigned long id)
{
	DECLARE_COMPLETION_ONSTACK(go);
	int ctors = atomic_read(&test_lp_shadow_seen.ctors);
	struct task_struct *task;
	int i, started = 0, bad = 0;

	for (i = 0; i < n; i++) {
		struct test_lp_shadow_racer *r = &racers[i];

		r->go = &go;
		init_completion(&r->done);
		r->arg = (struct test_lp_shadow_ctor_arg) {
			.obj = obj, .size = 64, .val = i + 1, .slow = true,
		};
		r->id = id;
		r->data = NULL;
		task = kthread_run(test_lp_shadow_race_fn, r, "test_lp_shadow/%d", i);
		if (IS_ERR(task))
			break;
		started++;
	}
	complete_all(&go);
	for (i = 0; i < started; i++)
		wait_for_completion(&racers[i].done);
	if (started < n) {
		klp_shadow_free(obj, id, test_lp_shadow_dtor);
		return -ECHILD;
	}

	for (i = 0; i < n; i++) {
		if (!racers[i].data || racers[i].data != racers[0].data ||
		    racers[i].val != racers[0].val)
			bad = 1;
	}
	if (atomic_read(&test_lp_shadow_seen.ctors) != ctors + 1)
		bad = 1;
	if (klp_shadow_get(obj, id) != racers[0].data)
		bad = 1;
	klp_shadow_free(obj, id, test_lp_shadow_dtor);
	return bad;
}

static int test_lp_shadow_race(void *obj, unsigned long id, int n, int rounds)
{
	struct test_lp_shadow_racer *racers;
	int i, ret, bad = 0;

	if (n < 2 || n > TEST_LP_SHADOW_THREADS || rounds < 1 || rounds > 1000)
		return -EINVAL;
	racers = kcalloc(n, sizeof(*racers), GFP_KERNEL);
	if (!racers)
		return -ENOMEM;
	atomic_set(&test_lp_shadow_raced, 0);
	for (i = 0; i < rounds; i++) {
		ret = test_lp_shadow_race_round(racers, n, obj, id);
		if (ret < 0)
			goto out_free;
		bad += ret;
	}
	snprintf(test_lp_shadow_result, sizeof(test_lp_shadow_result),
		 "race rounds %d threads %d inconsistent %d raced %d", rounds, n,
		 bad, atomic_read(&test_lp_shadow_raced));
	ret = 0;
out_free:
	kfree(racers);
	return ret;
}

/* --- commands ------------------------------------------------------------------ */

static void *test_lp_shadow_obj(unsigned int index)
{
	return index < TEST_LP_SHADOW_OBJS ? &test_lp_shadow_objs[index] : NULL;
}

static int test_lp_shadow_count(unsigned long id)
{
	int i, n = 0;

	for (i = 0; i < TEST_LP_SHADOW_OBJS; i++)
		n += !!klp_shadow_get(&test_lp_shadow_objs[i], id);
	for (i = 0; i < TEST_LP_SHADOW_MANY; i++)
		n += !!klp_shadow_get(&test_lp_shadow_many[i], id);
	return n;
}

static int test_lp_shadow_fill(unsigned long id, unsigned int n,
			       unsigned int size)
{
	unsigned int i;

	if (n > TEST_LP_SHADOW_MANY || size < sizeof(u32) ||
	    size > TEST_LP_SHADOW_MAX_SIZE)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (!klp_shadow_get_or_alloc(&test_lp_shadow_many[i], id, size,
					     GFP_KERNEL, NULL, NULL))
			break;
	}
	snprintf(test_lp_shadow_result, sizeof(test_lp_shadow_result),
		 "filled %u", i);
	return 0;
}

struct test_lp_shadow_locked {
	unsigned long id;
	unsigned int n, allocated, found;
	struct completion done;
};

static int test_lp_shadow_locked_fn(void *data)
{
	struct test_lp_shadow_locked *l = data;
	unsigned long flags;
	unsigned int i;

	raw_spin_lock_irqsave(&current->pi_lock, flags);
	for (i = 0; i < l->n; i++)
		l->allocated += !!klp_shadow_alloc(&test_lp_shadow_many[i], l->id,
						   sizeof(u32), GFP_ATOMIC,
						   NULL, NULL);
	raw_spin_unlock_irqrestore(&current->pi_lock, flags);

	for (i = 0; i < l->n; i++)
		l->found += !!klp_shadow_get(&test_lp_shadow_many[i], l->id);

	raw_spin_lock_irqsave(&current->pi_lock, flags);
	for (i = 0; i < l->n; i++)
		klp_shadow_free(&test_lp_shadow_many[i], l->id, NULL);
	raw_spin_unlock_irqrestore(&current->pi_lock, flags);

	complete(&l->done);
	return 0;
}

static int test_lp_shadow_locked(unsigned long id, unsigned int n)
{
	struct test_lp_shadow_locked l = { .id = id, .n = n };
	struct task_struct *task;

	if (n > TEST_LP_SHADOW_MANY)
		return -EINVAL;
	init_completion(&l.done);
	task = kthread_run(test_lp_shadow_locked_fn, &l, "lp_shadow_lock");
	if (IS_ERR(task))
		return PTR_ERR(task);
	wait_for_completion(&l.done);
	snprintf(test_lp_shadow_result, sizeof(test_lp_shadow_result),
		 "locked %u allocated %u found %u", n, l.allocated, l.found);
	return 0;
}

static int test_lp_shadow_cmd(char *buf)
{
	struct test_lp_shadow_ctor_arg arg = { };
	char op[16], word[16];
	unsigned int index, size, n, rounds;
	unsigned long id;
	klp_shadow_ctor_t ctor;
	void *obj, *data;
	int ret;

	if (sscanf(buf, "%15s", op) != 1)
		return -EINVAL;

	if (!strcmp(op, "alloc") || !strcmp(op, "get_or_alloc")) {
		if (sscanf(buf, "%*s %u %lu %u %15s", &index, &id, &size, word) != 4)
			return -EINVAL;
		obj = test_lp_shadow_obj(index);
		if (!obj)
			return -EINVAL;
		ret = test_lp_shadow_parse_ctor(word, size, &arg, &ctor);
		if (ret)
			return ret;
		arg.obj = obj;
		if (op[0] == 'a')
			data = klp_shadow_alloc(obj, id, size, GFP_KERNEL, ctor, &arg);
		else
			data = klp_shadow_get_or_alloc(obj, id, size, GFP_KERNEL,
						       ctor, &arg);
		test_lp_shadow_report(data, size);
	} else if (!strcmp(op, "get")) {
		if (sscanf(buf, "%*s %u %lu", &index, &id) != 2)
			return -EINVAL;
		obj = test_lp_shadow_obj(index);
		if (!obj)
			return -EINVAL;
		test_lp_shadow_report(klp_shadow_get(obj, id), 0);
	} else if (!strcmp(op, "free")) {
		if (sscanf(buf, "%*s %u %lu", &index, &id) != 2)
			return -EINVAL;
		obj = test_lp_shadow_obj(index);
		if (!obj)
			return -EINVAL;
		klp_shadow_free(obj, id, test_lp_shadow_dtor);
		strscpy(test_lp_shadow_result, "freed");
	} else if (!strcmp(op, "free_all")) {
		if (sscanf(buf, "%*s %lu", &id) != 1)
			return -EINVAL;
		klp_shadow_free_all(id, test_lp_shadow_dtor);
		strscpy(test_lp_shadow_result, "freed");
	} else if (!strcmp(op, "free_all_loud")) {
		if (sscanf(buf, "%*s %lu", &id) != 1)
			return -EINVAL;
		klp_shadow_free_all(id, test_lp_shadow_loud_dtor);
		strscpy(test_lp_shadow_result, "freed");
	} else if (!strcmp(op, "count")) {
		if (sscanf(buf, "%*s %lu", &id) != 1)
			return -EINVAL;
		snprintf(test_lp_shadow_result, sizeof(test_lp_shadow_result),
			 "count %d", test_lp_shadow_count(id));
	} else if (!strcmp(op, "fill")) {
		if (sscanf(buf, "%*s %lu %u %u", &id, &n, &size) != 3)
			return -EINVAL;
		return test_lp_shadow_fill(id, n, size);
	} else if (!strcmp(op, "race")) {
		if (sscanf(buf, "%*s %u %lu %u %u", &index, &id, &n, &rounds) != 4)
			return -EINVAL;
		obj = test_lp_shadow_obj(index);
		if (!obj)
			return -EINVAL;
		return test_lp_shadow_race(obj, id, n, rounds);
	} else if (!strcmp(op, "locked")) {
		if (sscanf(buf, "%*s %lu %u", &id, &n) != 2)
			return -EINVAL;
		return test_lp_shadow_locked(id, n);
	} else if (!strcmp(op, "reset")) {
		atomic_set(&test_lp_shadow_seen.ctors, 0);
		atomic_set(&test_lp_shadow_seen.ctor_bad, 0);
		atomic_set(&test_lp_shadow_seen.dtors, 0);
		atomic_set(&test_lp_shadow_seen.dtor_bad, 0);
		atomic_set(&test_lp_shadow_seen.dtor_irqs_off, 0);
		WRITE_ONCE(test_lp_shadow_seen.dtor_last_val, 0);
		strscpy(test_lp_shadow_result, "reset");
	} else {
		return -EINVAL;
	}
	return 0;
}

static ssize_t test_lp_shadow_write(struct file *file, const char __user *ubuf,
				    size_t count, loff_t *ppos)
{
	char buf[64];
	int ret;

	if (count == 0 || count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';

	mutex_lock(&test_lp_shadow_lock);
	ret = test_lp_shadow_cmd(buf);
	mutex_unlock(&test_lp_shadow_lock);
	return ret ? ret : count;
}

static int test_lp_shadow_show(struct seq_file *m, void *v)
{
	mutex_lock(&test_lp_shadow_lock);
	seq_printf(m, "result %s\n", test_lp_shadow_result);
	mutex_unlock(&test_lp_shadow_lock);
	seq_printf(m, "ctors %d\nctor_bad %d\ndtors %d\ndtor_bad %d\ndtor_last_val %u\ndtor_irqs_off %d\n",
		   atomic_read(&test_lp_shadow_seen.ctors),
		   atomic_read(&test_lp_shadow_seen.ctor_bad),
		   atomic_read(&test_lp_shadow_seen.dtors),
		   atomic_read(&test_lp_shadow_seen.dtor_bad),
		   READ_ONCE(test_lp_shadow_seen.dtor_last_val),
		   atomic_read(&test_lp_shadow_seen.dtor_irqs_off));
	return 0;
}

static int test_lp_shadow_open(struct inode *inode, struct file *file)
{
	return single_open(file, test_lp_shadow_show, NULL);
}

static const struct proc_ops test_lp_shadow_ops = {
	.proc_open	= test_lp_shadow_open,
	.proc_read	= seq_read,
	.proc_lseek	= seq_lseek,
	.proc_release	= single_release,
	.proc_write	= test_lp_shadow_write,
};

static struct proc_dir_entry *test_lp_shadow_proc;

static int __init test_lp_shadow_init(void)
{
	int i;

	for (i = 0; i < TEST_LP_SHADOW_OBJS; i++)
		test_lp_shadow_objs[i].index = i;
	test_lp_shadow_proc = proc_create("test_lp_shadow", 0644, NULL,
					  &test_lp_shadow_ops);
	return test_lp_shadow_proc ? 0 : -ENOMEM;
}

/*
 * Variables still attached to this module's objects would outlive them:
 * the test frees everything it made, and a leftover is a test failure
 * that kmemleak reports.
 */
static void __exit test_lp_shadow_exit(void)
{
	proc_remove(test_lp_shadow_proc);
}

module_init(test_lp_shadow_init);
module_exit(test_lp_shadow_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Livepatch selftest: the shadow variable API, driven through /proc/test_lp_shadow");
