/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Public interface of the live patching core: the structures a livepatch
 * module fills in, the calls it makes, and the hooks the scheduler, fork,
 * the entry code and the module loader call.  Documentation/livepatch/.
 */
#ifndef _LINUX_LIVEPATCH_H_
#define _LINUX_LIVEPATCH_H_

#include <linux/completion.h>
#include <linux/ftrace.h>
#include <linux/list.h>
#include <linux/livepatch_sched.h>
#include <linux/module.h>

#if IS_ENABLED(CONFIG_LIVEPATCH)

/*
 * Values of task_struct::patch_state.  The numbers are fixed by the
 * 6.12 interface: a task either runs the code from before the current
 * transition (UNPATCHED), the code after it (PATCHED), or no transition
 * is in progress (IDLE).
 */
#define KLP_TRANSITION_IDLE		-1
#define KLP_TRANSITION_UNPATCHED	 0
#define KLP_TRANSITION_PATCHED		 1

/**
 * struct klp_func - one function replaced by a patch
 * @old_name:	name of the function to replace (set by the patch author)
 * @new_func:	replacement; calls to @old_name go here (set by the author)
 * @old_sympos:	which of several same-named local symbols in the object is
 *		meant, counted from 1 in kallsyms order; 0 means the name must
 *		be unique in its object (set by the author)
 * @old_func:	address of the function being replaced (core-owned)
 * @kobj:	sysfs directory "<old_name>,<sympos>" (core-owned)
 * @node:	entry in klp_object::func_list (core-owned)
 * @stack_node:	entry in the per-function stack of patches, newest first;
 *		written under klp_mutex, read under RCU (core-owned)
 * @old_size:	size of the old function, from kallsyms (core-owned)
 * @new_size:	size of the new function, from kallsyms (core-owned)
 * @nop:	a "no-op" entry created by an atomic-replace patch to restore
 *		the original code of a function it does not carry (core-owned)
 * @patched:	the function is on its func_stack (core-owned)
 * @transition:	a transition involving this entry is in progress: tasks
 *		that have not switched yet must use the entry below it;
 *		see the ordering notes in kernel/livepatch/transition.c
 *		(core-owned)
 *
 * An array of these ends with an entry whose @old_name, @new_func and
 * @old_sympos are all zero.
 */
struct klp_func {
	/* set by the patch author */
	const char *old_name;
	void *new_func;
	unsigned long old_sympos;

	/* owned by the core */
	void *old_func;
	struct kobject kobj;
	struct list_head node;
	struct list_head stack_node;
	unsigned long old_size, new_size;
	bool nop;
	bool patched;
	bool transition;
};

struct klp_object;

/**
 * struct klp_callbacks - per-object hooks around (un)patching
 * @pre_patch:		runs before the object is patched; a non-zero
 *			return refuses the patch (or the module load)
 * @post_patch:		runs once the patching transition has completed
 * @pre_unpatch:	runs before the unpatching transition starts
 * @post_unpatch:	runs once the unpatching transition has completed
 * @post_unpatch_enabled: core-owned; true when @pre_patch ran and
 *			succeeded, so the unpatch side may run
 *
 * All of them run in process context with klp_mutex held and may sleep.
 */
struct klp_callbacks {
	int (*pre_patch)(struct klp_object *obj);
	void (*post_patch)(struct klp_object *obj);
	void (*pre_unpatch)(struct klp_object *obj);
	void (*post_unpatch)(struct klp_object *obj);
	bool post_unpatch_enabled;
};

/**
 * struct klp_object - the functions a patch changes in vmlinux or a module
 * @name:	module name, or NULL for vmlinux (set by the patch author)
 * @funcs:	zero-terminated array of functions (set by the author)
 * @callbacks:	optional hooks (set by the author)
 * @kobj:	sysfs directory named after the object (core-owned)
 * @func_list:	all klp_func of the object, static and nop (core-owned)
 * @node:	entry in klp_patch::obj_list (core-owned)
 * @mod:	the module while it is loaded, NULL for vmlinux or when the
 *		module is absent; written under klp_mutex (core-owned)
 * @dynamic:	allocated by the core for an atomic-replace patch (core-owned)
 * @patched:	the object's functions are on their func_stacks (core-owned)
 *
 * An array of these ends with an entry whose @name and @funcs are NULL.
 */
struct klp_object {
	/* set by the patch author */
	const char *name;
	struct klp_func *funcs;
	struct klp_callbacks callbacks;

	/* owned by the core */
	struct kobject kobj;
	struct list_head func_list;
	struct list_head node;
	struct module *mod;
	bool dynamic;
	bool patched;
};

/**
 * struct klp_state - a change to the system that patches hand on
 * @id:		identifier chosen by the patch authors
 * @version:	a replacing patch must carry each state of the patch it
 *		replaces with a version at least this high
 * @data:	free for the patch author's callbacks
 */
struct klp_state {
	unsigned long id;
	unsigned int version;
	void *data;
};

/**
 * struct klp_patch - a live patch, as registered by klp_enable_patch()
 * @mod:	the livepatch module (set by the author, THIS_MODULE)
 * @objs:	zero-terminated array of objects (set by the author)
 * @states:	optional array of system states, ended by an entry with
 *		@id 0 (set by the author)
 * @replace:	atomic replace: this patch takes over from every patch
 *		enabled before it (set by the author)
 * @list:	entry in the list of registered patches (core-owned)
 * @kobj:	/sys/kernel/livepatch/<module name> (core-owned)
 * @obj_list:	all klp_object of the patch, static and dynamic (core-owned)
 * @enabled:	the patch is or is being applied (core-owned)
 * @forced:	a transition involving this patch was forced; its module
 *		can never be removed (core-owned)
 * @free_work:	frees the structures outside sysfs callbacks (core-owned)
 * @finish:	completed when the last sysfs reference is gone, so that
 *		the module may go (core-owned)
 */
struct klp_patch {
	/* set by the patch author */
	struct module *mod;
	struct klp_object *objs;
	struct klp_state *states;
	bool replace;

	/* owned by the core */
	struct list_head list;
	struct kobject kobj;
	struct list_head obj_list;
	bool enabled;
	bool forced;
	struct work_struct free_work;
	struct completion finish;
};

/* Walk the author's static arrays (before klp_enable_patch() copied them). */
#define klp_for_each_object_static(patch, obj) \
	for (obj = (patch)->objs; obj->funcs || obj->name; obj++)

#define klp_for_each_func_static(obj, func) \
	for (func = (obj)->funcs; \
	     func->old_name || func->new_func || func->old_sympos; \
	     func++)

/* Walk the core's lists, which also hold the dynamic (nop) entries. */
#define klp_for_each_object(patch, obj) \
	list_for_each_entry(obj, &(patch)->obj_list, node)

#define klp_for_each_object_safe(patch, obj, tmp_obj) \
	list_for_each_entry_safe(obj, tmp_obj, &(patch)->obj_list, node)

#define klp_for_each_func(obj, func) \
	list_for_each_entry(func, &(obj)->func_list, node)

#define klp_for_each_func_safe(obj, func, tmp_func) \
	list_for_each_entry_safe(func, tmp_func, &(obj)->func_list, node)

int klp_enable_patch(struct klp_patch *patch);

/* Module loader hooks, called with the module in COMING / GOING state. */
int klp_module_coming(struct module *mod);
void klp_module_going(struct module *mod);

/* Scheduler, fork and entry hooks of the consistency model. */
void klp_copy_process(struct task_struct *child);
void klp_update_patch_state(struct task_struct *task);

/**
 * klp_patch_pending() - does @task still have to switch to the target state?
 * @task:	the task to test
 *
 * Return: true while a transition waits for @task.
 */
static inline bool klp_patch_pending(struct task_struct *task)
{
	return test_tsk_thread_flag(task, TIF_PATCH_PENDING);
}

/**
 * klp_have_reliable_stack() - can the consistency model trust stack traces?
 *
 * Return: true when the architecture provides reliable stack traces.
 */
static inline bool klp_have_reliable_stack(void)
{
	return IS_ENABLED(CONFIG_STACKTRACE) &&
	       IS_ENABLED(CONFIG_HAVE_RELIABLE_STACKTRACE);
}

typedef int (*klp_shadow_ctor_t)(void *obj,
				 void *shadow_data,
				 void *ctor_data);
typedef void (*klp_shadow_dtor_t)(void *obj, void *shadow_data);

void *klp_shadow_get(void *obj, unsigned long id);
void *klp_shadow_alloc(void *obj, unsigned long id,
		       size_t size, gfp_t gfp_flags,
		       klp_shadow_ctor_t ctor, void *ctor_data);
void *klp_shadow_get_or_alloc(void *obj, unsigned long id,
			      size_t size, gfp_t gfp_flags,
			      klp_shadow_ctor_t ctor, void *ctor_data);
void klp_shadow_free(void *obj, unsigned long id, klp_shadow_dtor_t dtor);
void klp_shadow_free_all(unsigned long id, klp_shadow_dtor_t dtor);

struct klp_state *klp_get_state(struct klp_patch *patch, unsigned long id);
struct klp_state *klp_get_prev_state(unsigned long id);

int klp_apply_section_relocs(struct module *pmod, Elf_Shdr *sechdrs,
			     const char *shstrtab, const char *strtab,
			     unsigned int symindex, unsigned int secindex,
			     const char *objname);

#else /* !CONFIG_LIVEPATCH */

static inline int klp_module_coming(struct module *mod) { return 0; }
static inline void klp_module_going(struct module *mod) {}
static inline bool klp_patch_pending(struct task_struct *task) { return false; }
static inline void klp_update_patch_state(struct task_struct *task) {}
static inline void klp_copy_process(struct task_struct *child) {}

static inline
int klp_apply_section_relocs(struct module *pmod, Elf_Shdr *sechdrs,
			     const char *shstrtab, const char *strtab,
			     unsigned int symindex, unsigned int secindex,
			     const char *objname)
{
	return 0;
}

#endif /* CONFIG_LIVEPATCH */

#endif /* _LINUX_LIVEPATCH_H_ */
