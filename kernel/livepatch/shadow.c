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
#include <linux/livepatch.h>
#include <linux/lockdep.h>
#include <linux/overflow.h>
#include <linux/printk.h>
#include <linux/rcupdate.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

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

/*
 * The table grows and shrinks with the number of variables (rhashtable
 * resizes in a worker), so a lookup stays one short chain long whether a
 * patch shadows ten objects or one per socket on a busy server.
 */

/* The identity of a variable; also the hash key. */
struct klp_shadow_key {
	void *obj;
	unsigned long id;
};

/**
 * struct klp_shadow - header in front of each shadow variable's data
 * @key:	<obj, id>; fixed once linked
 * @node:	entry in klp_shadow_table; inserted and removed under
 *		klp_shadow_lock, walked by lookups under RCU
 * @ready:	set (release) once the constructor returned; lookups ignore
 *		an entry until they read it set (acquire)
 * @all:	entry in klp_shadow_list, under klp_shadow_lock
 * @rcu:	defers the kfree() past lookups still walking a chain; used
 *		only after @all was unlinked, hence the union
 * @data:	what the API hands out: zeroed, then set up by the ctor
 */
struct klp_shadow {
	struct klp_shadow_key key;
	struct rhash_head node;
	bool ready;
	union {
		struct list_head all;
		struct rcu_head rcu;
	};
	char data[];
};

/*
 * klp_shadow_lock serialises every change: insertions, removals and the
 * list.  Writers therefore never meet an entry whose constructor is still
 * running, and the duplicate check and the insertion are one step.
 */
static DEFINE_SPINLOCK(klp_shadow_lock);

/* Every linked variable, for klp_shadow_free_all(); klp_shadow_lock. */
static LIST_HEAD(klp_shadow_list);

/* Entries by <obj, id>; changed under klp_shadow_lock, read under RCU. */
static struct rhashtable klp_shadow_table;

/*
 * rhashtable picks the bucket from the low bits of this value, so every
 * bit of the key has to reach them.  One multiplication does not do that:
 * hash_64(key, 32) is bits 32..63 of a product, and its low bits spread
 * 100,000 array elements 8 bytes apart over one bucket in eight of 2^17,
 * with chains of seven.  MurmurHash3's 64-bit finaliser mixes every bit
 * into every other.  @seed is the table's random value, so a patch cannot
 * line its keys up on one chain by accident.
 */
static u32 klp_shadow_hash(const void *data, u32 len, u32 seed)
{
	const struct klp_shadow_key *key = data;
	u64 h = (unsigned long)key->obj ^ (key->id * GOLDEN_RATIO_64) ^ seed;

	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return (u32)h;
}

static int klp_shadow_cmp(struct rhashtable_compare_arg *arg, const void *ptr)
{
	const struct klp_shadow_key *key = arg->key;
	const struct klp_shadow *shadow = ptr;

	return shadow->key.obj != key->obj || shadow->key.id != key->id;
}

static const struct rhashtable_params klp_shadow_params = {
	.key_len		= sizeof(struct klp_shadow_key),
	.key_offset		= offsetof(struct klp_shadow, key),
	.head_offset		= offsetof(struct klp_shadow, node),
	.hashfn			= klp_shadow_hash,
	.obj_cmpfn		= klp_shadow_cmp,
	.automatic_shrinking	= true,
};

/*
 * Find the entry for <obj, id>, ready or not.  The caller keeps the entry
 * alive: lookups by staying in an RCU read-side section, writers by
 * holding klp_shadow_lock.  rhashtable wants the RCU read lock for the
 * walk itself in both cases, hence the _fast variant, which takes it.
 * Inlined: a lookup is on the caller's fast path, where under TCG a call
 * and its return cost about as much as the walk itself.
 */
static __always_inline struct klp_shadow *klp_shadow_find(void *obj,
							    unsigned long id)
{
	struct klp_shadow_key key = { .obj = obj, .id = id };

	return rhashtable_lookup_fast(&klp_shadow_table, &key,
				      klp_shadow_params);
}

/*
 * Take one entry out of the table and the list.  Lookups that reached it
 * before the removal may still be looking at it or stepping past it, hence
 * kfree_rcu(): the grace period waits for their rcu_read_lock() sections
 * in klp_shadow_get() to end.
 */
static void klp_shadow_unlink(struct klp_shadow *shadow,
			      klp_shadow_dtor_t dtor)
{
	lockdep_assert_held(&klp_shadow_lock);

	rhashtable_remove_fast(&klp_shadow_table, &shadow->node,
			       klp_shadow_params);
	list_del(&shadow->all);
	if (dtor)
		dtor(shadow->key.obj, shadow->data);
	kfree_rcu(shadow, rcu);
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
 * *@existed set) or @fresh.  NULL if the insertion or the constructor
 * failed.  @fresh is freed unless it stays linked.
 *
 * The entry goes into the table before the constructor runs, so that a
 * failed insertion (the table could not grow) never leaves a constructed
 * variable behind; until @ready is set, lookups pass over it.
 */
static void *klp_shadow_insert(struct klp_shadow *fresh, void *obj,
			       unsigned long id, klp_shadow_ctor_t ctor,
			       void *ctor_data, bool *existed)
{
	struct klp_shadow *found;
	unsigned long flags;
	void *data = NULL;
	int err = 0;

	fresh->key.obj = obj;
	fresh->key.id = id;

	spin_lock_irqsave(&klp_shadow_lock, flags);
	/* One walk of the chain both finds a duplicate and links @fresh. */
	found = rhashtable_lookup_get_insert_fast(&klp_shadow_table,
						  &fresh->node,
						  klp_shadow_params);
	if (IS_ERR(found)) {
		pr_err("Failed to insert shadow variable <%p, %lx> (%ld)\n",
		       obj, id, PTR_ERR(found));
		goto out_unlock;
	}
	if (found) {
		*existed = true;
		data = found->data;
		goto out_unlock;
	}
	if (ctor) {
		err = ctor(obj, fresh->data, ctor_data);
		if (err) {
			/* Lookups may have met it, never ready: wait for them. */
			rhashtable_remove_fast(&klp_shadow_table, &fresh->node,
					       klp_shadow_params);
			kfree_rcu(fresh, rcu);
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
 * the allocation failed (of the variable, or of a bigger table in atomic
 * context) or if @ctor failed.
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
 * disabled; @dtor runs under it and must not sleep.
 */
void klp_shadow_free(void *obj, unsigned long id, klp_shadow_dtor_t dtor)
{
	struct klp_shadow *found;
	unsigned long flags;

	spin_lock_irqsave(&klp_shadow_lock, flags);
	found = klp_shadow_find(obj, id);
	if (found)
		klp_shadow_unlink(found, dtor);
	spin_unlock_irqrestore(&klp_shadow_lock, flags);
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
 * disabled; @dtor runs under it and must not sleep.
 */
void klp_shadow_free_all(unsigned long id, klp_shadow_dtor_t dtor)
{
	struct klp_shadow *shadow, *next;
	unsigned long flags;

	spin_lock_irqsave(&klp_shadow_lock, flags);
	list_for_each_entry_safe(shadow, next, &klp_shadow_list, all) {
		if (shadow->key.id == id)
			klp_shadow_unlink(shadow, dtor);
	}
	spin_unlock_irqrestore(&klp_shadow_lock, flags);
}
EXPORT_SYMBOL_GPL(klp_shadow_free_all);

static int __init klp_shadow_init(void)
{
	int err;

	/* Fails only for invalid parameters; the first table cannot. */
	err = rhashtable_init(&klp_shadow_table, &klp_shadow_params);
	WARN_ON(err);
	return err;
}
core_initcall(klp_shadow_init);
