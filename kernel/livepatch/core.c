// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Patch lifecycle: checking what an author registers, resolving symbols
 * and klp relocations, the sysfs tree, enable and disable, modules that
 * come and go under a patch, and freeing.  Redirection is in patch.c,
 * the consistency model in transition.c.
 */
#define pr_fmt(fmt) "livepatch: " fmt

#include <linux/completion.h>
#include <linux/elf.h>
#include <linux/kallsyms.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/moduleloader.h>
#include <linux/mutex.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "core.h"
#include "patch.h"
#include "state.h"
#include "trace.h"
#include "transition.h"

/*
 * klp_mutex guards everything a patch owns once registered, the patch
 * list, the func_stacks and the transition (see core.h for who runs
 * without it).  It nests outside module_mutex and tasklist_lock.
 */
DEFINE_MUTEX(klp_mutex);

/* Registered patches, oldest first; guarded by klp_mutex. */
LIST_HEAD(klp_patches);

/* /sys/kernel/livepatch */
static struct kobject *klp_root_kobj;

static const char *klp_obj_name(struct klp_object *obj)
{
	return klp_is_module(obj) ? obj->name : "vmlinux";
}

/* old_sympos 0 and 1 both mean the first (or only) occurrence. */
static unsigned long klp_sympos(struct klp_func *func)
{
	return func->old_sympos ?: 1;
}

/* Do @a and @b patch the same function? */
static bool klp_same_func(struct klp_func *a, struct klp_func *b)
{
	return klp_sympos(a) == klp_sympos(b) &&
	       !strcmp(a->old_name, b->old_name);
}

/* Do @a and @b stand for the same module, or both for vmlinux? */
static bool klp_same_object(struct klp_object *a, struct klp_object *b)
{
	if (klp_is_module(a) && klp_is_module(b))
		return !strcmp(a->name, b->name);
	return klp_is_module(a) == klp_is_module(b);
}

/* ======================= symbol lookup ================================ */

struct klp_sym_query {
	const char *name;
	unsigned long pos;	/* wanted occurrence, 0 = must be unique */
	unsigned long seen;
	unsigned long addr;
};

/* kallsyms callback for one occurrence of the name; non-zero stops. */
static int klp_sym_match(void *data, unsigned long addr)
{
	struct klp_sym_query *q = data;

	q->seen++;
	if (!q->pos || q->seen == q->pos)
		q->addr = addr;
	/* Stop at the wanted occurrence, or at a second one for "unique". */
	return q->pos ? q->seen == q->pos : q->seen > 1;
}

/* The same for a module's symbols, which come unfiltered. */
static int klp_sym_match_named(void *data, const char *name,
			       unsigned long addr)
{
	struct klp_sym_query *q = data;

	return strcmp(q->name, name) ? 0 : klp_sym_match(q, addr);
}

/*
 * Find @name in vmlinux (@objname NULL) or in a loaded module through
 * kallsyms, which includes symbols that are not exported.
 */
static int klp_find_object_symbol(const char *objname, const char *name,
				  unsigned long sympos, unsigned long *addr)
{
	struct klp_sym_query q = { .name = name, .pos = sympos };
	const char *where = objname ?: "vmlinux";

	if (objname)
		module_kallsyms_on_each_symbol(objname, klp_sym_match_named, &q);
	else
		kallsyms_on_each_match_symbol(klp_sym_match, name, &q);

	if (q.addr && (q.pos || q.seen == 1)) {
		*addr = q.addr;
		return 0;
	}

	/* The three messages keep the wording of 6.12, which tools match. */
	*addr = 0;
	if (!q.seen)
		pr_err("symbol '%s' not found in symbol table\n", name);
	else if (!q.pos)
		pr_err("unresolvable ambiguity for symbol '%s' in object '%s'\n",
		       name, where);
	else
		pr_err("symbol position %lu for symbol '%s' in object '%s' not found\n",
		       sympos, name, where);
	return -EINVAL;
}

/* ======================= klp relocations ============================== */

/*
 * A relocation section ".klp.rela.<obj>.<section>" refers to symbols
 * named ".klp.sym.<obj>.<name>,<sympos>" with st_shndx SHN_LIVEPATCH.
 * The field widths are MODULE_NAME_LEN - 1 and KSYM_NAME_LEN - 1.
 */
#define KLP_SEC_FMT	".klp.rela.%55[^.]"
#define KLP_SYM_FMT	".klp.sym.%55[^.].%511[^,],%lu"

static_assert(MODULE_NAME_LEN == 56 && KSYM_NAME_LEN == 512);

/* The parts of a livepatch module's ELF copy that klp relocations use. */
struct klp_elf {
	struct module *pmod;
	Elf_Shdr *sechdrs;
	const char *shstrtab;
	const char *strtab;
	unsigned int symndx;
};

/*
 * Give one symbol of a klp relocation section its address.  @sec_objname
 * is the object the section targets.
 */
static int klp_resolve_symbol(Elf_Sym *sym, const char *full,
			      const char *sec_objname)
{
	char sym_objname[MODULE_NAME_LEN];
	char sym_name[KSYM_NAME_LEN];
	unsigned long sympos, addr;
	bool sym_vmlinux;
	int ret;

	if (sym->st_shndx != SHN_LIVEPATCH) {
		pr_err("symbol '%s' in a klp relocation section is not a livepatch symbol\n",
		       full);
		return -EINVAL;
	}
	if (sscanf(full, KLP_SYM_FMT, sym_objname, sym_name, &sympos) != 3) {
		pr_err("livepatch symbol '%s' is not named .klp.sym.<object>.<name>,<pos>\n",
		       full);
		return -EINVAL;
	}

	/*
	 * vmlinux symbols are resolved when the patch module loads; a
	 * module's section must not reach them later on.
	 */
	sym_vmlinux = !strcmp(sym_objname, "vmlinux");
	if (sym_vmlinux && strcmp(sec_objname, "vmlinux")) {
		pr_err("symbol '%s' refers to vmlinux from a relocation section of '%s'\n",
		       full, sec_objname);
		return -EINVAL;
	}

	ret = klp_find_object_symbol(sym_vmlinux ? NULL : sym_objname,
				     sym_name, sympos, &addr);
	if (!ret)
		sym->st_value = addr;
	return ret;
}

/*
 * Apply (or clear) klp relocation section @secndx if it belongs to
 * @objname (NULL: vmlinux).  Its symbols are all resolved before anything
 * is written, so a bad symbol leaves the section untouched.
 */
static int klp_write_section_relocs(const struct klp_elf *elf,
				    unsigned int secndx, const char *objname,
				    bool apply)
{
	Elf_Shdr *sec = &elf->sechdrs[secndx];
	const char *secname = elf->shstrtab + sec->sh_name;
	Elf_Sym *symtab = (Elf_Sym *)elf->sechdrs[elf->symndx].sh_addr;
	Elf_Rela *rela = (Elf_Rela *)sec->sh_addr;
	Elf_Rela *last = rela + sec->sh_size / sizeof(*rela);
	char sec_objname[MODULE_NAME_LEN];
	Elf_Sym *sym;
	int ret;

	if (sscanf(secname, KLP_SEC_FMT, sec_objname) != 1) {
		pr_err("'%s': section '%s' is not named .klp.rela.<object>.<section>\n",
		       elf->pmod->name, secname);
		return -EINVAL;
	}
	if (strcmp(objname ?: "vmlinux", sec_objname))
		return 0;

	if (!apply) {
		clear_relocate_add(elf->sechdrs, elf->strtab, elf->symndx,
				   secndx, elf->pmod);
		return 0;
	}

	for (; rela < last; rela++) {
		sym = symtab + ELF_R_SYM(rela->r_info);
		ret = klp_resolve_symbol(sym, elf->strtab + sym->st_name,
					 sec_objname);
		if (ret)
			return ret;
	}
	return apply_relocate_add(elf->sechdrs, elf->strtab, elf->symndx,
				  secndx, elf->pmod);
}

/**
 * klp_apply_section_relocs() - apply one klp relocation section
 * @pmod:	the livepatch module
 * @sechdrs:	its section headers
 * @shstrtab:	its section name string table
 * @strtab:	its symbol string table
 * @symindex:	index of its symbol table
 * @secindex:	index of the relocation section
 * @objname:	object the section must target to be applied; NULL for
 *		vmlinux, as used by the module loader
 *
 * Sections of other objects are skipped and reported as success.
 *
 * Context: process context; the module loader or klp_mutex held.
 * Return: 0, -EINVAL on a malformed section or unknown symbol, or the
 * architecture's relocation error.
 */
int klp_apply_section_relocs(struct module *pmod, Elf_Shdr *sechdrs,
			     const char *shstrtab, const char *strtab,
			     unsigned int symindex, unsigned int secindex,
			     const char *objname)
{
	const struct klp_elf elf = {
		.pmod		= pmod,
		.sechdrs	= sechdrs,
		.shstrtab	= shstrtab,
		.strtab		= strtab,
		.symndx		= symindex,
	};

	return klp_write_section_relocs(&elf, secindex, objname, true);
}

/*
 * Apply or clear the klp relocation sections of @patch's module that
 * target @obj, among sections [1, @end) of its ELF copy.  An apply stops
 * at the first section that fails and returns its error; *@done (if
 * given) is set to the index it stopped at, @end when all went well.
 */
static int klp_write_object_relocs(struct klp_patch *patch,
				   struct klp_object *obj, unsigned int end,
				   bool apply, unsigned int *done)
{
	struct klp_modinfo *info = patch->mod->klp_info;
	const struct klp_elf elf = {
		.pmod		= patch->mod,
		.sechdrs	= info->sechdrs,
		.shstrtab	= info->secstrings,
		.strtab		= patch->mod->core_kallsyms.strtab,
		.symndx		= info->symndx,
	};
	unsigned int i = 1;
	int ret = 0;

	for (; i < end && !ret; i++) {
		if (elf.sechdrs[i].sh_flags & SHF_RELA_LIVEPATCH)
			ret = klp_write_section_relocs(&elf, i, obj->name,
						       apply);
	}
	if (done)
		*done = ret ? i - 1 : end;
	return ret;
}

static void klp_clear_object_relocs(struct klp_patch *patch,
				    struct klp_object *obj)
{
	if (!WARN_ON_ONCE(!patch->mod->klp_info))
		klp_write_object_relocs(patch, obj,
					patch->mod->klp_info->hdr.e_shnum,
					false, NULL);
}

static int klp_apply_object_relocs(struct klp_patch *patch,
				   struct klp_object *obj)
{
	unsigned int failed;
	int ret;

	if (WARN_ON_ONCE(!patch->mod->klp_info))
		return -EINVAL;

	ret = klp_write_object_relocs(patch, obj,
				      patch->mod->klp_info->hdr.e_shnum,
				      true, &failed);
	/*
	 * Undo the sections written before the one that failed, and only
	 * those: a section that failed resolving wrote nothing, and later
	 * ones were never reached.
	 */
	if (ret)
		klp_write_object_relocs(patch, obj, failed, false, NULL);
	return ret;
}

/* ======================= sysfs ======================================== */

/*
 * /sys/kernel/livepatch/<patch>/		enabled transition force replace
 *						stack_order
 * /sys/kernel/livepatch/<patch>/<object>/	patched
 * /sys/kernel/livepatch/<patch>/<object>/<function,sympos>/
 *						active transition
 *
 * <object> is a module name or "vmlinux".  Only the patch's own
 * attributes may sleep on klp_mutex: its directory is removed without
 * the mutex held (klp_free_patch_finish()).  Object and function
 * directories are removed under it, so their attributes never wait for
 * it (core.h).
 */

static struct klp_patch *klp_kobj_patch(struct kobject *kobj)
{
	return container_of(kobj, struct klp_patch, kobj);
}

static int __klp_disable_patch(struct klp_patch *patch);

static ssize_t enabled_store(struct kobject *kobj, struct kobj_attribute *attr,
			     const char *buf, size_t count)
{
	struct klp_patch *patch = klp_kobj_patch(kobj);
	bool enabled;
	int ret;

	ret = kstrtobool(buf, &enabled);
	if (ret)
		return ret;

	mutex_lock(&klp_mutex);
	if (patch->enabled == enabled)
		ret = -EINVAL;	/* already there, or on its way */
	else if (patch == klp_transition_patch)
		klp_reverse_transition();
	else if (!enabled)
		ret = __klp_disable_patch(patch);
	else
		ret = -EINVAL;	/* a disabled patch is being freed */
	mutex_unlock(&klp_mutex);

	return ret ?: count;
}

static ssize_t enabled_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(klp_kobj_patch(kobj)->enabled));
}

static ssize_t transition_show(struct kobject *kobj,
			       struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n",
			  READ_ONCE(klp_transition_patch) == klp_kobj_patch(kobj));
}

static ssize_t force_store(struct kobject *kobj, struct kobj_attribute *attr,
			   const char *buf, size_t count)
{
	struct klp_patch *patch = klp_kobj_patch(kobj);
	bool force;
	int ret;

	ret = kstrtobool(buf, &force);
	if (ret)
		return ret;
	/* 0 asks for nothing; 6.12 accepts it, and so do we. */
	if (!force)
		return count;

	mutex_lock(&klp_mutex);
	if (patch == klp_transition_patch)
		klp_force_transition();
	else
		ret = -EINVAL;
	mutex_unlock(&klp_mutex);

	return ret ?: count;
}

static ssize_t replace_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%d\n", klp_kobj_patch(kobj)->replace);
}

/* Position among registered patches, 1 for the oldest (as in 6.14). */
static ssize_t stack_order_show(struct kobject *kobj,
				struct kobj_attribute *attr, char *buf)
{
	struct klp_patch *patch, *this = klp_kobj_patch(kobj);
	int order = 0;

	mutex_lock(&klp_mutex);
	klp_for_each_patch(patch) {
		order++;
		if (patch == this)
			break;
	}
	mutex_unlock(&klp_mutex);

	return sysfs_emit(buf, "%d\n", order);
}

static struct kobj_attribute enabled_kobj_attr = __ATTR_RW(enabled);
static struct kobj_attribute transition_kobj_attr = __ATTR_RO(transition);
static struct kobj_attribute force_kobj_attr = __ATTR_WO(force);
static struct kobj_attribute replace_kobj_attr = __ATTR_RO(replace);
static struct kobj_attribute stack_order_kobj_attr = __ATTR_RO(stack_order);
static struct attribute *klp_patch_attrs[] = {
	&enabled_kobj_attr.attr,
	&transition_kobj_attr.attr,
	&force_kobj_attr.attr,
	&replace_kobj_attr.attr,
	&stack_order_kobj_attr.attr,
	NULL
};
ATTRIBUTE_GROUPS(klp_patch);

static ssize_t patched_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	struct klp_object *obj = container_of(kobj, struct klp_object, kobj);

	return sysfs_emit(buf, "%d\n", READ_ONCE(obj->patched));
}

static struct kobj_attribute patched_kobj_attr = __ATTR_RO(patched);
static struct attribute *klp_object_attrs[] = {
	&patched_kobj_attr.attr,
	NULL,
};
ATTRIBUTE_GROUPS(klp_object);

/* Is this entry the one its function's callers reach right now? */
static ssize_t active_show(struct kobject *kobj, struct kobj_attribute *attr,
			   char *buf)
{
	struct klp_func *func = container_of(kobj, struct klp_func, kobj);
	struct klp_site *site;
	bool top = false;

	/*
	 * This file goes when its function is freed, under klp_mutex, and
	 * removing it waits for its readers: waiting here for the mutex
	 * could wait forever (see the rule at klp_mutex in core.h).  Retry
	 * instead; between two tries the reader holds nothing the removal
	 * waits for, and once the file is gone the retry fails with ENODEV.
	 */
	if (!mutex_trylock(&klp_mutex))
		return restart_syscall();
	site = func->patched ? klp_site_find(func->old_func) : NULL;
	if (site)
		top = klp_site_top(site) == func;
	mutex_unlock(&klp_mutex);

	return sysfs_emit(buf, "%d\n", top);
}

static ssize_t func_transition_show(struct kobject *kobj,
				    struct kobj_attribute *attr, char *buf)
{
	struct klp_func *func = container_of(kobj, struct klp_func, kobj);

	return sysfs_emit(buf, "%d\n", READ_ONCE(func->transition));
}

static struct kobj_attribute active_kobj_attr = __ATTR_RO(active);
static struct kobj_attribute func_transition_kobj_attr =
	__ATTR(transition, 0444, func_transition_show, NULL);
static struct attribute *klp_func_attrs[] = {
	&active_kobj_attr.attr,
	&func_transition_kobj_attr.attr,
	NULL,
};
ATTRIBUTE_GROUPS(klp_func);

/* The patch kobject goes last; its release lets the module go. */
static void klp_kobj_release_patch(struct kobject *kobj)
{
	complete(&klp_kobj_patch(kobj)->finish);
}

static void klp_kobj_release_object(struct kobject *kobj)
{
	struct klp_object *obj = container_of(kobj, struct klp_object, kobj);

	if (obj->dynamic) {
		kfree(obj->name);
		kfree(obj);
	}
}

static void klp_kobj_release_func(struct kobject *kobj)
{
	struct klp_func *func = container_of(kobj, struct klp_func, kobj);

	if (func->nop) {
		kfree(func->old_name);
		kfree(func);
	}
}

/* The three levels of the tree, indexing klp_ktypes[]. */
enum klp_level {
	KLP_LEVEL_PATCH,
	KLP_LEVEL_OBJECT,
	KLP_LEVEL_FUNC,
};

/* Each level has its attribute groups klp_<level>_groups and a release. */
#define KLP_KTYPE(level) {					\
	.sysfs_ops	= &kobj_sysfs_ops,			\
	.default_groups	= klp_##level##_groups,			\
	.release	= klp_kobj_release_##level,		\
}

static const struct kobj_type klp_ktypes[] = {
	[KLP_LEVEL_PATCH]	= KLP_KTYPE(patch),
	[KLP_LEVEL_OBJECT]	= KLP_KTYPE(object),
	[KLP_LEVEL_FUNC]	= KLP_KTYPE(func),
};

/* ======================= checking what the author registered =========== */

static int klp_check_func(struct klp_patch *patch, struct klp_object *obj,
			  struct klp_func *func)
{
	const char *pname = patch->mod->name;
	struct klp_func *other;

	if (!func->old_name) {
		pr_err("'%s': a function of object '%s' has no old_name\n",
		       pname, klp_obj_name(obj));
		return -EINVAL;
	}
	if (strnlen(func->old_name, KSYM_NAME_LEN) >= KSYM_NAME_LEN) {
		pr_err("'%s': function name '%.32s...' is too long\n",
		       pname, func->old_name);
		return -EINVAL;
	}
	if (!func->new_func) {
		pr_err("'%s': function '%s' of object '%s' has no new_func\n",
		       pname, func->old_name, klp_obj_name(obj));
		return -EINVAL;
	}
	if (func->old_sympos > INT_MAX) {
		pr_err("'%s': function '%s' has an impossible old_sympos %lu\n",
		       pname, func->old_name, func->old_sympos);
		return -EINVAL;
	}
	klp_for_each_func_static(obj, other) {
		if (other == func)
			break;
		if (klp_same_func(other, func)) {
			pr_err("'%s': function '%s' of object '%s' is listed twice\n",
			       pname, func->old_name, klp_obj_name(obj));
			return -EINVAL;
		}
	}
	return 0;
}

static int klp_check_object(struct klp_patch *patch, struct klp_object *obj)
{
	const char *pname = patch->mod->name;
	struct klp_callbacks *cb = &obj->callbacks;
	struct klp_func *func;
	int ret, nr = 0;

	if (!obj->funcs) {
		pr_err("'%s': object '%s' has no funcs array\n", pname,
		       klp_obj_name(obj));
		return -EINVAL;
	}
	if (klp_is_module(obj) &&
	    strnlen(obj->name, MODULE_NAME_LEN) >= MODULE_NAME_LEN) {
		pr_err("'%s': object name '%.32s...' is too long\n", pname,
		       obj->name);
		return -EINVAL;
	}

	klp_for_each_func_static(obj, func) {
		ret = klp_check_func(patch, obj, func);
		if (ret)
			return ret;
		nr++;
	}

	/*
	 * An object that changes nothing is harmless, and generated patches
	 * use one as a marker; 6.12 accepts it, so say so and go on.
	 */
	if (!nr && !cb->pre_patch && !cb->post_patch && !cb->pre_unpatch &&
	    !cb->post_unpatch)
		pr_warn("'%s': object '%s' has neither functions nor callbacks; it changes nothing\n",
			pname, klp_obj_name(obj));
	return 0;
}

/* Reject a malformed patch before taking any lock or reference. */
static int klp_check_patch(struct klp_patch *patch)
{
	struct klp_object *obj;
	const char *pname;
	int ret, nr = 0;

	if (!patch || !patch->mod || !patch->objs)
		return -EINVAL;
	pname = patch->mod->name;

	/* Set by modpost for modules built with MODULE_INFO(livepatch, "Y"). */
	if (!is_livepatch_module(patch->mod)) {
		pr_err("module %s is not marked as a livepatch module\n", pname);
		return -EINVAL;
	}

	klp_for_each_object_static(patch, obj) {
		ret = klp_check_object(patch, obj);
		if (ret)
			return ret;
		nr++;
	}

	/*
	 * An atomic replace without objects reverts every earlier patch;
	 * any other patch without objects changes nothing, which is
	 * harmless (6.12 accepts it too).
	 */
	if (!nr && !patch->replace)
		pr_warn("'%s': patch has no objects; it changes nothing\n", pname);
	return 0;
}

/* ======================= building the patch =========================== */

static void klp_free_patch_work_fn(struct work_struct *work);

/*
 * Put @func on @obj's list, unpatched and unresolved, as a kobject that is
 * not in sysfs yet: from here on kobject_put() frees what it owns.
 */
static void klp_link_func(struct klp_object *obj, struct klp_func *func)
{
	func->old_func = NULL;
	func->patched = false;
	func->transition = false;
	INIT_LIST_HEAD(&func->stack_node);
	kobject_init(&func->kobj, &klp_ktypes[KLP_LEVEL_FUNC]);
	list_add_tail(&func->node, &obj->func_list);
}

/* The same for an object, which is not bound to its module yet. */
static void klp_link_object(struct klp_patch *patch, struct klp_object *obj)
{
	obj->mod = NULL;
	obj->patched = false;
	INIT_LIST_HEAD(&obj->func_list);
	kobject_init(&obj->kobj, &klp_ktypes[KLP_LEVEL_OBJECT]);
	list_add_tail(&obj->node, &patch->obj_list);
}

/*
 * Everything that cannot fail: reset what the core owns and link the
 * author's static arrays into lists, so that from here on the normal
 * freeing path can undo any later step.
 */
static void klp_init_patch_early(struct klp_patch *patch)
{
	struct klp_object *obj;
	struct klp_func *func;

	patch->enabled = false;
	patch->forced = false;
	INIT_WORK(&patch->free_work, klp_free_patch_work_fn);
	init_completion(&patch->finish);
	kobject_init(&patch->kobj, &klp_ktypes[KLP_LEVEL_PATCH]);
	INIT_LIST_HEAD(&patch->obj_list);
	INIT_LIST_HEAD(&patch->list);

	klp_for_each_object_static(patch, obj) {
		klp_link_object(patch, obj);
		klp_for_each_func_static(obj, func)
			klp_link_func(obj, func);
	}
}

static struct klp_object *klp_find_object(struct klp_patch *patch,
					  struct klp_object *like)
{
	struct klp_object *obj;

	klp_for_each_object(patch, obj)
		if (klp_same_object(obj, like))
			return obj;
	return NULL;
}

static bool klp_has_func(struct klp_object *obj, struct klp_func *like)
{
	struct klp_func *func;

	klp_for_each_func(obj, func)
		if (klp_same_func(func, like))
			return true;
	return false;
}

/*
 * The two allocators below link what they allocate first: a failure to
 * copy the name then leaves it to the normal freeing of @patch, through
 * the kobject release, like everything else klp_add_nops() made.
 */
static struct klp_object *klp_alloc_object_dynamic(struct klp_patch *patch,
						   const char *name)
{
	struct klp_object *obj = kzalloc(sizeof(*obj), GFP_KERNEL);

	if (!obj)
		return NULL;
	obj->dynamic = true;
	klp_link_object(patch, obj);

	/* vmlinux keeps a NULL name. */
	obj->name = name ? kstrdup(name, GFP_KERNEL) : NULL;
	return name && !obj->name ? NULL : obj;
}

static struct klp_func *klp_alloc_func_nop(struct klp_object *obj,
					   struct klp_func *like)
{
	struct klp_func *func = kzalloc(sizeof(*func), GFP_KERNEL);

	if (!func)
		return NULL;
	/* new_func is set to the original function once it is resolved. */
	func->nop = true;
	func->old_sympos = like->old_sympos;
	klp_link_func(obj, func);

	func->old_name = kstrdup(like->old_name, GFP_KERNEL);
	return func->old_name ? func : NULL;
}

/*
 * Atomic replace: every function an earlier patch changes and @patch
 * does not gets a nop entry, so that once @patch is fully applied the
 * original code runs there.  Whatever is allocated here is on @patch's
 * lists, so the normal freeing undoes a failure half-way.
 */
static int klp_add_nops(struct klp_patch *patch)
{
	struct klp_object *old_obj, *obj;
	struct klp_func *old_func;
	struct klp_patch *old;

	klp_for_each_patch(old) {
		klp_for_each_object(old, old_obj) {
			obj = klp_find_object(patch, old_obj);
			if (!obj)
				obj = klp_alloc_object_dynamic(patch,
							       old_obj->name);
			if (!obj)
				return -ENOMEM;

			klp_for_each_func(old_obj, old_func) {
				if (klp_has_func(obj, old_func))
					continue;
				if (!klp_alloc_func_nop(obj, old_func))
					return -ENOMEM;
			}
		}
	}
	return 0;
}

static int klp_lookup_size(struct klp_patch *patch, struct klp_func *func,
			   void *addr, unsigned long *size)
{
	if (kallsyms_lookup_size_offset((unsigned long)addr, size, NULL))
		return 0;
	pr_err("'%s': cannot find the size of %s function of '%s'\n",
	       patch->mod->name, addr == func->new_func ? "the new" : "the old",
	       func->old_name);
	return -ENOENT;
}

/* Find the old function of @func and the sizes of both versions. */
static int klp_resolve_func(struct klp_patch *patch, struct klp_object *obj,
			    struct klp_func *func)
{
	unsigned long addr;
	int ret;

	ret = klp_find_object_symbol(obj->name, func->old_name,
				     func->old_sympos, &addr);
	if (ret)
		return ret;

	func->old_func = (void *)addr;
	if (func->nop)
		func->new_func = func->old_func;
	ret = klp_lookup_size(patch, func, func->old_func, &func->old_size);
	return ret ?: klp_lookup_size(patch, func, func->new_func,
				      &func->new_size);
}

/*
 * Resolve what needs the object in memory: first its klp relocations,
 * which undo themselves on failure, then each function's addresses.
 */
static int klp_init_object_loaded(struct klp_patch *patch,
				  struct klp_object *obj)
{
	bool module = klp_is_module(obj);
	struct klp_func *func;
	int ret;

	klp_assert_locked();
	ret = module ? klp_apply_object_relocs(patch, obj) : 0;
	if (ret)
		return ret;

	klp_for_each_func(obj, func) {
		ret = klp_resolve_func(patch, obj, func);
		if (ret)
			break;
	}
	if (ret && module)
		klp_clear_object_relocs(patch, obj);
	return ret;
}

/* The object's module went away: forget everything that pointed into it. */
static void klp_free_object_loaded(struct klp_patch *patch,
				   struct klp_object *obj)
{
	struct klp_func *func;

	klp_clear_object_relocs(patch, obj);
	obj->mod = NULL;
	klp_for_each_func(obj, func) {
		func->old_func = NULL;
		if (func->nop)
			func->new_func = NULL;
	}
}

/*
 * The module a module object patches, if it is loaded, else NULL.  No
 * reference is taken: klp_module_going() unpatches the object before the
 * module goes.  klp_alive tells whether klp_module_coming() has run and
 * klp_module_going() has not; both run under klp_mutex, as the caller
 * does, so exactly one of the caller and klp_module_coming() binds the
 * object.  klp_alive is read before leaving the section in which
 * find_module()'s result is valid.
 */
static struct module *klp_loaded_module(struct klp_object *obj)
{
	struct module *mod;

	if (!klp_is_module(obj))
		return NULL;

	rcu_read_lock_sched();
	mod = find_module(obj->name);
	if (mod && !mod->klp_alive)
		mod = NULL;
	rcu_read_unlock_sched();
	return mod;
}

/*
 * Give @obj and its functions their sysfs directories, bind it to its
 * module and resolve it if that is loaded.
 */
static int klp_setup_object(struct klp_patch *patch, struct klp_object *obj)
{
	struct klp_func *func;
	int ret;

	obj->mod = klp_loaded_module(obj);
	ret = kobject_add(&obj->kobj, &patch->kobj, "%s", klp_obj_name(obj));
	if (ret)
		return ret;

	klp_for_each_func(obj, func) {
		ret = kobject_add(&func->kobj, &obj->kobj, "%s,%lu",
				  func->old_name, klp_sympos(func));
		if (ret)
			return ret;
	}
	return klp_is_object_loaded(obj) ? klp_init_object_loaded(patch, obj) : 0;
}

/*
 * Build @patch's sysfs tree, add the nops of an atomic replace and resolve
 * every loaded object.  @patch is not on klp_patches yet, so the nops are
 * made for exactly the patches registered before it.
 */
static int klp_init_patch(struct klp_patch *patch)
{
	struct klp_object *obj;
	int ret;

	klp_assert_locked();
	ret = kobject_add(&patch->kobj, klp_root_kobj, "%s", patch->mod->name);
	if (ret)
		return ret;

	/* Before the objects are set up: the nops may add objects. */
	ret = patch->replace ? klp_add_nops(patch) : 0;
	klp_for_each_object(patch, obj) {
		if (ret)
			break;
		ret = klp_setup_object(patch, obj);
	}
	return ret;
}

/* ======================= freeing ====================================== */

/*
 * Unlink a function or object and drop the reference kobject_init() gave
 * it; the release frees what was allocated for it.
 */
static void klp_drop_kobj(struct list_head *node, struct kobject *kobj)
{
	list_del(node);
	kobject_put(kobj);
}

/*
 * Drop every object and function of @patch, or with @nops_only only what
 * klp_add_nops() allocated: the nop functions, and the dynamic objects
 * that hold nothing but nops.
 */
static void klp_free_objects(struct klp_patch *patch, bool nops_only)
{
	struct klp_object *obj, *tmp_obj;
	struct klp_func *func, *tmp_func;

	klp_for_each_object_safe(patch, obj, tmp_obj) {
		klp_for_each_func_safe(obj, func, tmp_func)
			if (func->nop || !nops_only)
				klp_drop_kobj(&func->node, &func->kobj);
		if (obj->dynamic || !nops_only)
			klp_drop_kobj(&obj->node, &obj->kobj);
	}
}

/*
 * Freeing is split around klp_mutex: the first half unlinks the patch and
 * drops the object and function kobjects under the mutex; the second half
 * drops the patch kobject and waits for its release, which may wait for a
 * sysfs writer that itself waits for klp_mutex, so it runs without it.
 */
static void klp_free_patch_start(struct klp_patch *patch)
{
	klp_assert_locked();
	/* Also fine when @patch never made it onto klp_patches. */
	list_del_init(&patch->list);
	klp_free_objects(patch, false);
}

static void klp_free_patch_finish(struct klp_patch *patch)
{
	/* Code of a forced patch may still be on some stack: keep it. */
	bool keep_module = patch->forced;
	struct module *mod = patch->mod;

	/*
	 * The functions @patch left unpatched are unhooked before its
	 * directory and module reference go: whoever waits for those can
	 * count on it.
	 */
	klp_reap_all();
	kobject_put(&patch->kobj);
	wait_for_completion(&patch->finish);
	if (!keep_module)
		module_put(mod);
}

static void klp_free_patch_work_fn(struct work_struct *work)
{
	klp_free_patch_finish(container_of(work, struct klp_patch, free_work));
}

/*
 * Free a patch that is no longer applied.  The second half runs from a
 * work item, since the caller may be a sysfs attribute of @patch itself.
 */
static void klp_free_patch_async(struct klp_patch *patch)
{
	klp_free_patch_start(patch);
	schedule_work(&patch->free_work);
}

/**
 * klp_retire_replaced() - drop what a completed atomic replace made unused
 * @new_patch:	the replacing patch, newest on klp_patches
 *
 * Every task now runs @new_patch's code, or the original code through
 * its nop entries.  The patches before it come off the func_stacks, and
 * then the nops, which only send calls where they would go anyway.  A
 * handler may still hold one of these entries, after a forced transition
 * for a long time: the old patches' entries stay until those patches
 * are freed (forced modules stay loaded), and the nops until
 * klp_free_nops(), once the transition waited for the handlers.
 *
 * Context: klp_mutex held; may sleep.
 */
void klp_retire_replaced(struct klp_patch *new_patch)
{
	struct klp_patch *old = new_patch;

	klp_assert_locked();
	list_for_each_entry_continue_reverse(old, &klp_patches, list) {
		old->enabled = false;
		klp_unpatch_objects(old);
	}

	klp_unpatch_objects_dynamic(new_patch);
}

/**
 * klp_free_nops() - free the objects and functions made for nop entries
 * @patch:	an atomic-replace patch after klp_retire_replaced()
 *
 * Context: klp_mutex held; no handler may still hold a nop entry of
 * @patch (klp_synchronize_transition() since they were unpatched).
 */
void klp_free_nops(struct klp_patch *patch)
{
	klp_assert_locked();
	klp_free_objects(patch, true);
}

/**
 * klp_release_unused() - free the patches a completed transition left over
 * @patch:	the patch whose transition completed
 *
 * After an unpatching transition that is @patch itself; after an atomic
 * replace, the patches it replaced (already off the stacks, see
 * klp_retire_replaced()).  Their freeing finishes asynchronously.
 *
 * Context: klp_mutex held.
 */
void klp_release_unused(struct klp_patch *patch)
{
	struct klp_patch *old;

	klp_assert_locked();
	if (!patch->enabled) {
		klp_free_patch_async(patch);
		return;
	}
	if (!patch->replace)
		return;

	/* Each free unlinks its patch, so the oldest left is always first. */
	for (;;) {
		old = list_first_entry(&klp_patches, struct klp_patch, list);
		if (old == patch)
			break;
		klp_free_patch_async(old);
	}
}

/* ======================= enable and disable =========================== */

static int __klp_disable_patch(struct klp_patch *patch)
{
	struct klp_object *obj;
	int err;

	klp_assert_locked();
	if (WARN_ON_ONCE(!patch->enabled))
		return -EINVAL;
	if (klp_transition_patch)
		return -EBUSY;
	err = klp_leave_direct(patch);
	if (err)
		return err;

	trace_klp_patch_disable(patch->mod->name);
	klp_init_transition(patch, KLP_TRANSITION_UNPATCHED);
	klp_for_each_object(patch, obj)
		if (obj->patched)
			klp_run_pre_unpatch(obj);

	klp_start_transition();
	patch->enabled = false;
	klp_try_complete_transition();
	return 0;
}

/*
 * Run the pre_patch callback of @obj.  A refusal is reported here, for
 * both enabling a patch and loading a module.
 */
static int klp_pre_patch_object(struct klp_object *obj)
{
	int err = klp_run_pre_patch(obj);

	if (err)
		pr_warn("pre-patch callback failed for object '%s'\n",
			klp_obj_name(obj));
	return err;
}

/* Put every loaded object of @patch on the func_stacks. */
static int klp_patch_loaded_objects(struct klp_patch *patch)
{
	struct klp_object *obj;
	int err;

	klp_for_each_object(patch, obj) {
		if (!klp_is_object_loaded(obj))
			continue;
		err = klp_pre_patch_object(obj);
		if (err)
			return err;
		err = klp_patch_object(obj);
		if (err) {
			pr_warn("failed to patch object '%s'\n",
				klp_obj_name(obj));
			return err;
		}
	}
	return 0;
}

static int __klp_enable_patch(struct klp_patch *patch)
{
	const char *pname = patch->mod->name;
	int err;

	klp_assert_locked();
	if (klp_transition_patch)
		return -EBUSY;
	if (WARN_ON_ONCE(patch->enabled))
		return -EINVAL;

	pr_notice("enabling patch '%s'\n", pname);
	trace_klp_patch_enable(pname);
	klp_init_transition(patch, KLP_TRANSITION_PATCHED);

	/* A failure is undone like a transition that ends at once. */
	err = klp_patch_loaded_objects(patch);
	if (err) {
		pr_warn("failed to enable patch '%s'\n", pname);
		klp_cancel_transition();
		return err;
	}

	klp_start_transition();
	patch->enabled = true;
	klp_try_complete_transition();
	return 0;
}

/*
 * May @patch join the registered patches?  Not twice, and not when it
 * cannot coexist with the system states the installed patches keep.
 */
static int klp_may_register(struct klp_patch *patch)
{
	const char *pname = patch->mod->name;
	struct klp_patch *p;

	klp_assert_locked();
	klp_for_each_patch(p) {
		if (p != patch)
			continue;
		pr_err("'%s': patch is already registered\n", pname);
		return -EINVAL;
	}

	if (klp_is_patch_compatible(patch))
		return 0;
	pr_err("Livepatch patch (%s) is not compatible with the already installed livepatches.\n",
	       pname);
	return -EINVAL;
}

/**
 * klp_enable_patch() - register a live patch and start applying it
 * @patch:	the patch, normally static data of the calling module
 *
 * Checks @patch, creates its sysfs directory, resolves the functions of
 * vmlinux and of loaded modules, and starts the patching transition;
 * objects for modules that are not loaded are patched when they load.
 * The transition may still be running on return; its progress shows in
 * /sys/kernel/livepatch/<module>/transition.  While registered, the patch
 * holds a reference on its module.  On failure nothing stays registered
 * or patched and the reference is dropped.
 *
 * Context: process context, normally the patch module's init; takes
 * klp_mutex and may sleep.
 * Return: 0 on success; -EINVAL for a malformed patch, an unknown or
 * ambiguous symbol, a patch already registered, or one incompatible with
 * the system states of the installed patches; -EBUSY while another
 * transition runs or when ftrace refuses; -ENODEV when the module is
 * going away or a pre_patch callback returned it; -ENOMEM.
 */
int klp_enable_patch(struct klp_patch *patch)
{
	int ret;

	ret = klp_check_patch(patch);
	if (ret)
		return ret;

	if (!klp_root_kobj)
		return -ENODEV;

	if (!klp_have_reliable_stack())
		pr_warn("'%s': no reliable stack traces here; the transition may never complete\n",
			patch->mod->name);

	mutex_lock(&klp_mutex);
	ret = klp_may_register(patch);
	if (!ret && !try_module_get(patch->mod))
		ret = -ENODEV;
	if (ret) {
		mutex_unlock(&klp_mutex);
		return ret;
	}

	/* From here on a failure is undone by freeing the patch. */
	klp_init_patch_early(patch);
	ret = klp_init_patch(patch);
	if (!ret) {
		list_add_tail(&patch->list, &klp_patches);
		ret = __klp_enable_patch(patch);
	}
	if (ret)
		klp_free_patch_start(patch);
	mutex_unlock(&klp_mutex);

	if (ret)
		klp_free_patch_finish(patch);
	return ret;
}
EXPORT_SYMBOL_GPL(klp_enable_patch);

/* ======================= modules coming and going ===================== */

static struct klp_object *klp_module_object(struct klp_patch *patch,
					    struct module *mod)
{
	struct klp_object *obj;

	klp_for_each_object(patch, obj)
		if (klp_is_module(obj) && !strcmp(obj->name, mod->name))
			return obj;
	return NULL;
}

/*
 * @mod is leaving: no patch binds to it any more, and what
 * klp_module_coming() did for it is undone in the patches before @limit
 * (all of them for NULL).
 */
static void klp_module_gone(struct module *mod, struct klp_patch *limit)
{
	struct klp_object *obj;
	struct klp_patch *patch;

	klp_assert_locked();
	mod->klp_alive = false;
	klp_for_each_patch(patch) {
		if (patch == limit)
			break;
		obj = klp_module_object(patch, mod);
		if (!obj || obj->mod != mod)
			continue;

		/* A transition's own pre_unpatch waits for it to complete. */
		if (obj->patched && patch != klp_transition_patch)
			klp_run_pre_unpatch(obj);
		pr_notice("reverting patch '%s' on unloading module '%s'\n",
			  patch->mod->name, mod->name);
		klp_unpatch_object(obj);
		klp_run_post_unpatch(obj);
		klp_free_object_loaded(patch, obj);
	}
}

static int klp_patch_module(struct klp_patch *patch, struct klp_object *obj,
			    struct module *mod)
{
	int ret;

	obj->mod = mod;
	ret = klp_init_object_loaded(patch, obj);
	if (ret) {
		pr_warn("'%s': failed to resolve object '%s' (%d)\n",
			patch->mod->name, mod->name, ret);
		goto err_unbind;
	}

	pr_notice("applying patch '%s' to loading module '%s'\n",
		  patch->mod->name, mod->name);

	ret = klp_pre_patch_object(obj);
	if (ret)
		goto err_free_loaded;

	ret = klp_patch_object(obj);
	if (ret) {
		pr_warn("failed to apply patch '%s' to module '%s' (%d)\n",
			patch->mod->name, mod->name, ret);
		klp_run_post_unpatch(obj);
		goto err_free_loaded;
	}

	/* In a transition, post_patch runs when it completes. */
	if (patch != klp_transition_patch)
		klp_run_post_patch(obj);
	return 0;

err_free_loaded:
	klp_free_object_loaded(patch, obj);
err_unbind:
	obj->mod = NULL;
	return ret;
}

/* klp_module_coming() under klp_mutex. */
static int klp_module_coming_locked(struct module *mod)
{
	struct klp_object *obj;
	struct klp_patch *patch;
	int ret;

	guard(mutex)(&klp_mutex);
	/* From now on, patches registered later bind to @mod themselves. */
	mod->klp_alive = true;

	klp_for_each_patch(patch) {
		obj = klp_module_object(patch, mod);
		ret = obj ? klp_patch_module(patch, obj, mod) : 0;
		if (!ret)
			continue;

		pr_warn("patch '%s' failed for module '%s', refusing to load module '%s'\n",
			patch->mod->name, mod->name, mod->name);
		/* The patches before this one are undone as in GOING. */
		klp_module_gone(mod, patch);
		klp_transition_objects_changed();
		return ret;
	}
	/* The stack check of a running transition covers @mod from now on. */
	klp_transition_objects_changed();
	return 0;
}

/**
 * klp_module_coming() - patch a module that is loading
 * @mod:	the module, in MODULE_STATE_COMING, before its init runs
 *
 * Every registered patch with an object for @mod resolves it, runs its
 * pre_patch callback and patches it.  If any of them fails, the ones
 * before it are undone and the load is refused.
 *
 * Context: process context, called by the module loader without
 * module_mutex; takes klp_mutex.
 * Return: 0, or the error that refuses the module.
 */
int klp_module_coming(struct module *mod)
{
	int ret;

	if (WARN_ON_ONCE(mod->state != MODULE_STATE_COMING))
		return -EINVAL;

	if (!strcmp(mod->name, "vmlinux")) {
		pr_err("a module named vmlinux cannot be live patched\n");
		return -EINVAL;
	}

	ret = klp_module_coming_locked(mod);
	/*
	 * Refused, the module is freed without klp_module_going(): what the
	 * patches had hooked in it is unhooked first, outside klp_mutex.
	 */
	if (ret)
		klp_reap_all();
	return ret;
}

/**
 * klp_module_going() - unpatch a module that is going away
 * @mod:	the module, after its exit ran or after a failed load
 *
 * Context: process context, called by the module loader; takes klp_mutex.
 */
void klp_module_going(struct module *mod)
{
	if (WARN_ON_ONCE(mod->state != MODULE_STATE_GOING &&
			 mod->state != MODULE_STATE_COMING))
		return;

	scoped_guard(mutex, &klp_mutex) {
		klp_module_gone(mod, NULL);
		klp_transition_objects_changed();
	}
	/*
	 * The functions of @mod are unhooked before the loader frees it,
	 * outside klp_mutex as that waits for grace periods.
	 */
	klp_reap_all();
}

/* Create /sys/kernel/livepatch; without it klp_enable_patch() refuses. */
static int __init klp_init(void)
{
	klp_root_kobj = kobject_create_and_add("livepatch", kernel_kobj);
	return klp_root_kobj ? 0 : -ENOMEM;
}
module_init(klp_init);
