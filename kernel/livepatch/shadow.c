// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Shadow variables: extra data a livepatch attaches to an existing object
 * without changing its layout.  Self-contained: the table below and its
 * spinlock are all the state this file owns; it never takes klp_mutex.
 */
#define pr_fmt(fmt) "livepatch: " fmt

#include <linux/bug.h>
#include <linux/cleanup.h>
#include <linux/export.h>
#include <linux/hash.h>
#include <linux/init.h>
#include <linux/irq_work.h>
#include <linux/list.h>
#include <linux/livepatch.h>
#include <linux/lockdep.h>
#include <linux/overflow.h>
#include <linux/printk.h>
#include <linux/random.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

/**
 * DOC: shadow variable concurrency
 *
 * A shadow variable is identified by the pair <obj, id>: the address of
 * the object it extends and a number the patch author chose.  At most one
 * variable exists per pair.  The core only keeps that mapping consistent;
 * access to the data itself is the caller's business.
 *
 * Who may run at the same time as whom:
 *
 * - klp_shadow_get() with anything.  It walks the table under RCU and
 *   never blocks.  It sees a variable either not at all or with its
 *   constructor finished: an entry enters the table before its
 *   constructor runs, but lookups pass over it until it is marked ready.
 * - klp_shadow_alloc() and klp_shadow_get_or_alloc() with each other, for
 *   the same pair too.  The memory is allocated without the lock, with
 *   the caller's gfp flags; the insertion is decided under the lock, so
 *   exactly one caller links its entry and runs its constructor, and the
 *   others throw their allocation away.
 * - klp_shadow_free() and klp_shadow_free_all() with everything above.
 *   An entry is unlinked and its destructor run under the lock, and the
 *   memory goes back only after an RCU grace period, so a concurrent
 *   lookup never touches freed memory.
 *
 * What the core does not order is the use of a data pointer against the
 * freeing of its pair.  Pointers are not reference counted: once a caller
 * frees a variable, nobody may use its data any more, just as nobody may
 * use the shadowed object once that is freed.  Likewise the core does not
 * serialise accesses to the data; that is up to the patch.
 *
 * Constructors and destructors run with the lock held and interrupts
 * off: they must not sleep, nor allocate or free shadow variables.
 */

/* The identity of a variable. */
struct klp_shadow_key {
	void *obj;
	unsigned long id;
};

/**
 * struct klp_shadow - header in front of each shadow variable's data
 * @key:	<obj, id>; fixed once linked
 * @node:	links in the tables of the two generations that may exist
 *		at once: node[t->gen] chains the entry in table t.
 *		Changed under klp_shadow_lock, walked by lookups under RCU
 * @seq:	seq[g] is the sequence number of the table node[g] was last
 *		linked into, so a migration knows what it has moved already
 * @ready:	set (release) once the constructor returned; lookups ignore
 *		an entry until they read it set (acquire)
 * @all:	entry in klp_shadow_list, under klp_shadow_lock
 * @rcu:	defers the kfree() past lookups still walking a chain; used
 *		only after @all was unlinked, hence the union (see
 *		klp_shadow_free_rcu())
 * @data:	what the API hands out: zeroed, then set up by the ctor
 */
struct klp_shadow {
	struct klp_shadow_key key;
	struct hlist_node node[2];
	unsigned int seq[2];
	bool ready;
	union {
		struct list_head all;
		struct rcu_head rcu;
	};
	char data[];
};

/**
 * struct klp_shadow_table - buckets of shadow variables
 * @bits:	log2 of the number of buckets
 * @gen:	which link of struct klp_shadow chains entries here
 * @seq:	sequence number, one more than the table it replaced
 * @buckets:	the chains
 */
struct klp_shadow_table {
	unsigned int bits;
	unsigned int gen;
	unsigned int seq;
	struct hlist_head *buckets;
};

/*
 * How the table grows, without the calls of the API ever waking a task or
 * allocating anything but the variable itself, so that a patch may use
 * them under any lock, the scheduler's included, as in 6.12:
 *
 * - An insertion that leaves more variables than buckets only queues an
 *   irq_work (a self-interrupt, no lock taken, usable anywhere).  Its
 *   handler, outside the caller's locks, queues klp_shadow_grow_work.
 * - That worker allocates a table four times larger and sets it as
 *   klp_shadow_next.  From then on writers link and unlink every entry in
 *   both tables; the worker copies the entries over one bucket at a time,
 *   each under klp_shadow_lock, through the other link of each entry.
 * - Then it publishes the new table for lookups, waits for the lookups
 *   still walking the old one (synchronize_rcu()) and frees it.
 *
 * Lookups walk whichever table they find, and both are complete.  The
 * table never shrinks, like 6.12's, which never changes size.
 */
#define KLP_SHADOW_FIRST_BITS	8
#define KLP_SHADOW_MAX_BITS	22

/*
 * klp_shadow_lock serialises every change: insertions, removals, the list
 * and the tables' switch.  Writers therefore never meet an entry whose
 * constructor is still running, and the duplicate check and the
 * insertion are one step.
 */
static DEFINE_SPINLOCK(klp_shadow_lock);

/* Every linked variable, for klp_shadow_free_all(); klp_shadow_lock. */
static LIST_HEAD(klp_shadow_list);

/* How many variables are linked; klp_shadow_lock. */
static unsigned long klp_shadow_count;

static struct hlist_head klp_shadow_first_buckets[1 << KLP_SHADOW_FIRST_BITS];
static struct klp_shadow_table klp_shadow_first = {
	.bits		= KLP_SHADOW_FIRST_BITS,
	.buckets	= klp_shadow_first_buckets,
};

/* The table lookups use; switched under klp_shadow_lock. */
static struct klp_shadow_table __rcu *klp_shadow_cur =
	RCU_INITIALIZER(&klp_shadow_first);
/* The table being filled while growing, else NULL; klp_shadow_lock. */
static struct klp_shadow_table *klp_shadow_next;
/* Growth is queued or running; klp_shadow_lock. */
static bool klp_shadow_growing;

/* Random, so that a patch cannot line its keys up on one chain. */
static u64 klp_shadow_seed __read_mostly;

static void klp_shadow_grow_fn(struct work_struct *work);
static DECLARE_WORK(klp_shadow_grow_work, klp_shadow_grow_fn);

static void klp_shadow_grow_kick(struct irq_work *work)
{
	schedule_work(&klp_shadow_grow_work);
}

static struct irq_work klp_shadow_grow_irq = IRQ_WORK_INIT(klp_shadow_grow_kick);

/*
 * The bucket of <obj, id> in @t.  MurmurHash3's 64-bit finaliser mixes
 * every bit of the key into the top bits, which pick the bucket: object
 * addresses that differ only in a few low bits spread evenly.
 */
static __always_inline struct hlist_head *
klp_shadow_bucket(const struct klp_shadow_table *t, void *obj, unsigned long id)
{
	u64 h = (unsigned long)obj ^ (id * GOLDEN_RATIO_64) ^ klp_shadow_seed;

	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return &t->buckets[h >> (64 - t->bits)];
}

/* The entry that @n, its link of generation @gen, belongs to. */
static __always_inline struct klp_shadow *klp_shadow_of(struct hlist_node *n,
							unsigned int gen)
{
	return container_of(n - gen, struct klp_shadow, node[0]);
}

/*
 * Find the entry for <obj, id> in @t, ready or not.  The caller keeps the
 * entry alive and @t in place: lookups by staying in an RCU read-side
 * section, writers by holding klp_shadow_lock.  Inlined: a lookup is on
 * the caller's fast path, where under TCG a call and its return cost
 * about as much as the walk itself.
 */
static __always_inline struct klp_shadow *
klp_shadow_find_in(const struct klp_shadow_table *t, void *obj, unsigned long id)
{
	struct hlist_head *head = klp_shadow_bucket(t, obj, id);
	struct hlist_node *n;
	struct klp_shadow *shadow;

	for (n = rcu_dereference_raw(hlist_first_rcu(head)); n;
	     n = rcu_dereference_raw(hlist_next_rcu(n))) {
		shadow = klp_shadow_of(n, t->gen);
		if (shadow->key.obj == obj && shadow->key.id == id)
			return shadow;
	}
	return NULL;
}

static struct klp_shadow_table *klp_shadow_cur_locked(void)
{
	return rcu_dereference_protected(klp_shadow_cur,
					 lockdep_is_held(&klp_shadow_lock));
}

/* Chain @shadow in @t; the caller holds klp_shadow_lock. */
static void klp_shadow_link(struct klp_shadow *shadow, struct klp_shadow_table *t)
{
	shadow->seq[t->gen] = t->seq;
	hlist_add_head_rcu(&shadow->node[t->gen],
			   klp_shadow_bucket(t, shadow->key.obj, shadow->key.id));
}

/*
 * More variables than buckets in @t, which can still grow, and nobody
 * growing it yet: claim the growth.  klp_shadow_lock held.
 */
static bool klp_shadow_claim_growth(const struct klp_shadow_table *t)
{
	lockdep_assert_held(&klp_shadow_lock);
	if (klp_shadow_count <= (1UL << t->bits) ||
	    t->bits >= KLP_SHADOW_MAX_BITS || klp_shadow_growing)
		return false;
	klp_shadow_growing = true;
	return true;
}

/* Link @shadow in every table that exists; klp_shadow_lock held. */
static void klp_shadow_link_all(struct klp_shadow *shadow)
{
	struct klp_shadow_table *cur = klp_shadow_cur_locked();

	klp_shadow_link(shadow, cur);
	if (klp_shadow_next)
		klp_shadow_link(shadow, klp_shadow_next);
	klp_shadow_count++;
	/* Grow from outside this context, whatever locks it holds. */
	if (klp_shadow_claim_growth(cur))
		irq_work_queue(&klp_shadow_grow_irq);
}

/*
 * Unlink @shadow from every table; klp_shadow_lock held.  Lookups that
 * reached it may still be looking at it or stepping past it: the caller
 * frees it with klp_shadow_free_rcu().
 */
static void klp_shadow_unlink_all(struct klp_shadow *shadow)
{
	struct klp_shadow_table *next = klp_shadow_next;

	lockdep_assert_held(&klp_shadow_lock);
	hlist_del_rcu(&shadow->node[klp_shadow_cur_locked()->gen]);
	if (next && shadow->seq[next->gen] == next->seq)
		hlist_del_rcu(&shadow->node[next->gen]);
	klp_shadow_count--;
}

/* Copy the entries of @old's bucket @i into @new; klp_shadow_lock held. */
static void klp_shadow_move_bucket(struct klp_shadow_table *old,
				   struct klp_shadow_table *new, unsigned long i)
{
	struct hlist_node *n;
	struct klp_shadow *shadow;

	hlist_for_each(n, &old->buckets[i]) {
		shadow = klp_shadow_of(n, old->gen);
		if (shadow->seq[new->gen] != new->seq)
			klp_shadow_link(shadow, new);
	}
}

static void klp_shadow_grow_fn(struct work_struct *work)
{
	struct klp_shadow_table *old, *new;
	unsigned long i, flags;
	bool again;

	new = kmalloc(sizeof(*new), GFP_KERNEL);
	spin_lock_irqsave(&klp_shadow_lock, flags);
	old = klp_shadow_cur_locked();
	spin_unlock_irqrestore(&klp_shadow_lock, flags);
	if (new) {
		new->bits = min_t(unsigned int, old->bits + 2, KLP_SHADOW_MAX_BITS);
		new->gen = !old->gen;
		new->seq = old->seq + 1;
		new->buckets = kvcalloc(1UL << new->bits, sizeof(*new->buckets),
					GFP_KERNEL);
	}
	if (!new || !new->buckets) {
		/* The next insertion past the limit tries again. */
		kfree(new);
		spin_lock_irqsave(&klp_shadow_lock, flags);
		klp_shadow_growing = false;
		spin_unlock_irqrestore(&klp_shadow_lock, flags);
		return;
	}

	spin_lock_irqsave(&klp_shadow_lock, flags);
	klp_shadow_next = new;
	spin_unlock_irqrestore(&klp_shadow_lock, flags);

	for (i = 0; i < (1UL << old->bits); i++) {
		spin_lock_irqsave(&klp_shadow_lock, flags);
		klp_shadow_move_bucket(old, new, i);
		spin_unlock_irqrestore(&klp_shadow_lock, flags);
		cond_resched();
	}

	spin_lock_irqsave(&klp_shadow_lock, flags);
	rcu_assign_pointer(klp_shadow_cur, new);
	klp_shadow_next = NULL;
	klp_shadow_growing = false;
	spin_unlock_irqrestore(&klp_shadow_lock, flags);

	/* Lookups may still walk @old through the links of its generation. */
	synchronize_rcu();
	if (old != &klp_shadow_first) {
		kvfree(old->buckets);
		kfree(old);
	}

	/* Variables may have come faster than this worker. */
	spin_lock_irqsave(&klp_shadow_lock, flags);
	again = klp_shadow_claim_growth(new);
	spin_unlock_irqrestore(&klp_shadow_lock, flags);
	if (again)
		schedule_work(&klp_shadow_grow_work);
}

/* Find the entry for <obj, id>; klp_shadow_lock held or under RCU. */
static __always_inline struct klp_shadow *klp_shadow_find(void *obj,
							    unsigned long id)
{
	return klp_shadow_find_in(rcu_dereference_check(klp_shadow_cur,
				  lockdep_is_held(&klp_shadow_lock)), obj, id);
}

static void klp_shadow_rcu_cb(struct rcu_head *head)
{
	kfree(container_of(head, struct klp_shadow, rcu));
}

/*
 * Free @shadow once lookups that may have met it are over.  call_rcu()
 * rather than kfree_rcu(): the latter takes a lock of its own (and, with
 * kmemleak, kmemleak's), which callers holding pi_lock or a runqueue
 * lock, as patches of scheduler code do, must not be made to take.
 * Never called under klp_shadow_lock, for the same reason.
 */
static void klp_shadow_free_rcu(struct klp_shadow *shadow)
{
	call_rcu(&shadow->rcu, klp_shadow_rcu_cb);
}

/*
 * Take one entry out of the tables and onto @gone, a list of the caller's;
 * klp_shadow_lock held.  klp_shadow_destroy() finishes it off.
 */
static void klp_shadow_unlink(struct klp_shadow *shadow, struct list_head *gone)
{
	klp_shadow_unlink_all(shadow);
	list_move(&shadow->all, gone);
}

/*
 * Run the destructor on the entries klp_shadow_unlink() put on @gone and
 * free them, with klp_shadow_lock dropped: a destructor that prints, or
 * wakes someone, would otherwise put klp_shadow_lock in front of the
 * console's and the scheduler's locks, and then a patch that uses shadow
 * variables under a runqueue lock or pi_lock could deadlock with it.
 * Nothing can find the entries any more; lookups that met one before it
 * was unlinked are waited for by klp_shadow_free_rcu().
 */
static void klp_shadow_destroy(struct list_head *gone, klp_shadow_dtor_t dtor)
{
	struct klp_shadow *shadow, *next;

	list_for_each_entry_safe(shadow, next, gone, all) {
		if (dtor)
			dtor(shadow->key.obj, shadow->data);
		klp_shadow_free_rcu(shadow);
	}
}

/**
 * klp_shadow_get() - look up the data of a shadow variable
 * @obj:	address of the object the variable extends
 * @id:		identifier of the variable
 *
 * The pointer stays valid until someone frees the <@obj, @id> pair; the
 * core keeps no reference for the caller (see the DOC section above).
 *
 * Context: Any context.  Does not sleep and takes no lock besides the RCU
 * read lock.
 * Return: the variable's data, or NULL if the pair has no variable.
 */
void *klp_shadow_get(void *obj, unsigned long id)
{
	void *data = NULL;
	struct klp_shadow *shadow;

	rcu_read_lock();
	shadow = klp_shadow_find(obj, id);
	/* Pairs with the smp_store_release() in klp_shadow_insert(). */
	if (shadow && smp_load_acquire(&shadow->ready))
		data = shadow->data;
	rcu_read_unlock();

	return data;
}
EXPORT_SYMBOL_GPL(klp_shadow_get);

/*
 * Link @fresh as <obj, id> unless the pair has an entry already, and
 * return the data of the entry linked afterwards: the old one (with
 * *@existed set) or @fresh.  NULL if the constructor failed.  @fresh is
 * freed unless it stays linked.  Nothing here allocates or wakes anyone.
 *
 * The entry goes into the table before the constructor runs; until
 * @ready is set, lookups pass over it.
 */
static void *klp_shadow_insert(struct klp_shadow *fresh, void *obj,
			       unsigned long id, klp_shadow_ctor_t ctor,
			       void *ctor_data, bool *existed)
{
	struct klp_shadow *found, *failed = NULL;
	unsigned long flags;
	void *data = NULL;
	int err = 0;

	fresh->key.obj = obj;
	fresh->key.id = id;

	spin_lock_irqsave(&klp_shadow_lock, flags);
	found = klp_shadow_find(obj, id);
	if (found) {
		*existed = true;
		data = found->data;
		goto out_unlock;
	}
	klp_shadow_link_all(fresh);
	if (ctor) {
		err = ctor(obj, fresh->data, ctor_data);
		if (err) {
			/* Lookups may have met it, never ready: wait for them. */
			klp_shadow_unlink_all(fresh);
			failed = fresh;
			fresh = NULL;
			goto out_unlock;
		}
	}
	list_add(&fresh->all, &klp_shadow_list);
	/*
	 * Publish: orders the ctor's stores before @ready, and pairs with the
	 * smp_load_acquire() in klp_shadow_get().
	 */
	smp_store_release(&fresh->ready, true);
	data = fresh->data;
	fresh = NULL;
out_unlock:
	spin_unlock_irqrestore(&klp_shadow_lock, flags);

	/* Never linked, so no lookup can have seen it: no grace period. */
	kfree(fresh);
	if (failed)
		klp_shadow_free_rcu(failed);
	if (err)
		pr_err("Failed to construct shadow variable <%p, %lx> (%d)\n",
		       obj, id, err);
	return data;
}

/*
 * The work behind both allocating entry points.  The data of an entry that
 * exists already is returned with *@existed set, so the caller decides
 * whether that is an error.
 */
static void *klp_shadow_get_or_create(void *obj, unsigned long id,
				      size_t size, gfp_t gfp_flags,
				      klp_shadow_ctor_t ctor, void *ctor_data,
				      bool *existed)
{
	struct klp_shadow *fresh;
	void *data;

	/*
	 * Unlocked peek, so the common "already there" case costs neither an
	 * allocation nor the lock.  It may be stale either way: a miss is
	 * settled by the recheck under the lock in klp_shadow_insert(), and a
	 * hit that is freed right after is no different from one freed just
	 * after we would have dropped the lock; both are the caller's race
	 * (see the DOC section).
	 */
	data = klp_shadow_get(obj, id);
	if (data) {
		*existed = true;
		return data;
	}

	/* Allocate outside the spinlock so @gfp_flags may allow sleeping. */
	fresh = kzalloc(struct_size(fresh, data, size), gfp_flags);
	if (!fresh)
		return NULL;

	return klp_shadow_insert(fresh, obj, id, ctor, ctor_data, existed);
}

/**
 * klp_shadow_alloc() - attach a new shadow variable to an object
 * @obj:	address of the object to extend
 * @id:		identifier of the variable
 * @size:	size of the data in bytes
 * @gfp_flags:	allocation flags for the data
 * @ctor:	optional constructor, called as @ctor(@obj, data, @ctor_data)
 *		before the variable becomes visible
 * @ctor_data:	passed through to @ctor
 *
 * Allocates @size zeroed bytes for the <@obj, @id> pair, runs @ctor on
 * them if given and publishes the variable, after which klp_shadow_get()
 * finds it.  If @ctor returns an error, the memory is freed, an error is
 * logged and nothing is published.
 *
 * The pair must not have a variable yet.  If it has one, that is a bug in
 * the patch: it is reported with a warning and the existing variable is
 * left untouched.  @ctor runs only when the new variable is the one
 * published.
 *
 * Context: Process or atomic context, as @gfp_flags allows; the allocation
 * happens before any lock is taken.  @ctor is called with klp_shadow_lock
 * held and interrupts disabled, so it must not sleep.
 * Return: the new variable's data; NULL if the pair already had one, if
 * its allocation failed or if @ctor failed.
 */
void *klp_shadow_alloc(void *obj, unsigned long id,
		       size_t size, gfp_t gfp_flags,
		       klp_shadow_ctor_t ctor, void *ctor_data)
{
	bool existed = false;
	void *data;

	data = klp_shadow_get_or_create(obj, id, size, gfp_flags,
					ctor, ctor_data, &existed);
	if (existed) {
		WARN(1, "Duplicate shadow variable <%p, %lx>\n", obj, id);
		return NULL;
	}
	return data;
}
EXPORT_SYMBOL_GPL(klp_shadow_alloc);

/**
 * klp_shadow_get_or_alloc() - find a shadow variable, creating it if absent
 * @obj:	address of the object to extend
 * @id:		identifier of the variable
 * @size:	size of the data in bytes, if it has to be created
 * @gfp_flags:	allocation flags, if it has to be created
 * @ctor:	optional constructor, as for klp_shadow_alloc()
 * @ctor_data:	passed through to @ctor
 *
 * Returns the data of the <@obj, @id> variable when it exists; otherwise
 * behaves like klp_shadow_alloc().  Callers racing on the same pair all
 * get the same variable, and @ctor runs once, for the one published.
 *
 * Context: As klp_shadow_alloc(): may sleep only if @gfp_flags allows, and
 * @ctor runs under klp_shadow_lock with interrupts disabled.
 * Return: the existing or new variable's data; NULL if it had to be
 * created and the allocation or @ctor failed.
 */
void *klp_shadow_get_or_alloc(void *obj, unsigned long id,
			      size_t size, gfp_t gfp_flags,
			      klp_shadow_ctor_t ctor, void *ctor_data)
{
	bool existed = false;

	return klp_shadow_get_or_create(obj, id, size, gfp_flags,
					ctor, ctor_data, &existed);
}
EXPORT_SYMBOL_GPL(klp_shadow_get_or_alloc);

/**
 * klp_shadow_free() - detach and free one shadow variable
 * @obj:	address of the extended object
 * @id:		identifier of the variable
 * @dtor:	optional destructor, called as @dtor(@obj, data) after the
 *		variable is unreachable for new lookups and before its memory
 *		is released
 *
 * Does nothing if the <@obj, @id> pair has no variable.  Afterwards the
 * caller must not use the data pointer any more.
 *
 * Context: Any context but NMI.  Takes klp_shadow_lock with interrupts
 * disabled; @dtor runs after it is dropped, in the caller's context, and
 * must not sleep if the caller may not.
 */
void klp_shadow_free(void *obj, unsigned long id, klp_shadow_dtor_t dtor)
{
	struct klp_shadow *found;
	unsigned long flags;
	LIST_HEAD(gone);

	spin_lock_irqsave(&klp_shadow_lock, flags);
	found = klp_shadow_find(obj, id);
	if (found)
		klp_shadow_unlink(found, &gone);
	spin_unlock_irqrestore(&klp_shadow_lock, flags);
	klp_shadow_destroy(&gone, dtor);
}
EXPORT_SYMBOL_GPL(klp_shadow_free);

/**
 * klp_shadow_free_all() - detach and free every shadow variable with an id
 * @id:		identifier of the variables, whatever object they extend
 * @dtor:	optional destructor, called for each variable as for
 *		klp_shadow_free()
 *
 * Typically called when a patch that introduced @id goes away.  Every
 * variable is visited with the lock held, so the cost grows with the
 * number of variables, not only with those using @id.
 *
 * Context: Any context but NMI.  Takes klp_shadow_lock with interrupts
 * disabled; @dtor runs after it is dropped, as for klp_shadow_free().
 */
void klp_shadow_free_all(unsigned long id, klp_shadow_dtor_t dtor)
{
	struct klp_shadow *shadow, *next;
	unsigned long flags;

	LIST_HEAD(gone);

	spin_lock_irqsave(&klp_shadow_lock, flags);
	list_for_each_entry_safe(shadow, next, &klp_shadow_list, all) {
		if (shadow->key.id == id)
			klp_shadow_unlink(shadow, &gone);
	}
	spin_unlock_irqrestore(&klp_shadow_lock, flags);
	klp_shadow_destroy(&gone, dtor);
}
EXPORT_SYMBOL_GPL(klp_shadow_free_all);

static int __init klp_shadow_init(void)
{
	klp_shadow_seed = get_random_u64();
	return 0;
}
core_initcall(klp_shadow_init);
