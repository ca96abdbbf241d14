// SPDX-License-Identifier: GPL-2.0-only
/*
 * Livepatch selftest: a patch with one defect, chosen at load time with
 * "defect=<name>" (see test_lp_bad_defects[]).  Most defects must make
 * klp_enable_patch(), and so the module load, fail; "none", "sympos2" and
 * "callbacks_only" are valid.  6.12 also accepts "empty_funcs" and
 * "empty_objs", patches that change nothing.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kallsyms.h>
#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/string.h>

static char *defect = "none";
module_param(defect, charp, 0444);
MODULE_PARM_DESC(defect, "the defect to put into the patch, \"none\" for a valid one");

static int test_lp_bad_cmdline_show(struct seq_file *m, void *v)
{
	seq_puts(m, "test_lp_bad: patched cmdline\n");
	return 0;
}

static int test_lp_bad_dup_show(struct seq_file *m, void *v)
{
	seq_puts(m, "test_lp_bad: patched dup\n");
	return 0;
}

static const char *test_lp_bad_objname(struct klp_object *obj)
{
	return obj->name ? obj->name : "vmlinux";
}

static int test_lp_bad_pre_patch(struct klp_object *obj)
{
	pr_info("pre_patch callback for '%s'\n", test_lp_bad_objname(obj));
	return 0;
}

static void test_lp_bad_post_unpatch(struct klp_object *obj)
{
	pr_info("post_unpatch callback for '%s'\n", test_lp_bad_objname(obj));
}

/* One longer than the core accepts; filled with 'x' at init. */
static char test_lp_bad_long_sym[KSYM_NAME_LEN + 1];
static char test_lp_bad_long_obj[MODULE_NAME_LEN + 1];

/* How the single object and function of the patch are set up. */
enum test_lp_bad_shape {
	TEST_LP_ONE_FUNC,	/* objs = { obj, {} }, funcs = { func, {} } */
	TEST_LP_NULL_FUNCS,	/* the object has a name but funcs == NULL */
	TEST_LP_EMPTY_FUNCS,	/* funcs = { {} } */
	TEST_LP_CALLBACKS_ONLY,	/* funcs = { {} }, with callbacks */
	TEST_LP_NULL_OBJS,	/* patch->objs == NULL */
	TEST_LP_EMPTY_OBJS,	/* objs = { {} } */
};

/**
 * struct test_lp_bad_defect - one way to get a patch wrong
 * @name:	value of the "defect" parameter
 * @shape:	how the arrays are laid out
 * @objname:	klp_object::name, NULL for vmlinux
 * @old_name:	klp_func::old_name
 * @new_func:	klp_func::new_func
 * @old_sympos:	klp_func::old_sympos
 */
struct test_lp_bad_defect {
	const char *name;
	enum test_lp_bad_shape shape;
	const char *objname;
	const char *old_name;
	void *new_func;
	unsigned long old_sympos;
};

static const struct test_lp_bad_defect test_lp_bad_defects[] = {
	{ "none", TEST_LP_ONE_FUNC, NULL, "cmdline_proc_show",
	  test_lp_bad_cmdline_show, 0 },
	{ "unknown_symbol", TEST_LP_ONE_FUNC, NULL, "test_lp_no_such_function",
	  test_lp_bad_cmdline_show, 0 },
	{ "ambiguous", TEST_LP_ONE_FUNC, "test_lp_target", "test_lp_dup_show",
	  test_lp_bad_dup_show, 0 },
	{ "sympos2", TEST_LP_ONE_FUNC, "test_lp_target", "test_lp_dup_show",
	  test_lp_bad_dup_show, 2 },
	{ "sympos_beyond", TEST_LP_ONE_FUNC, "test_lp_target", "test_lp_dup_show",
	  test_lp_bad_dup_show, 3 },
	{ "sympos_unique", TEST_LP_ONE_FUNC, "test_lp_target", "test_lp_plain_show",
	  test_lp_bad_dup_show, 2 },
	{ "null_new_func", TEST_LP_ONE_FUNC, NULL, "cmdline_proc_show",
	  NULL, 0 },
	{ "null_old_name", TEST_LP_ONE_FUNC, NULL, NULL,
	  test_lp_bad_cmdline_show, 0 },
	{ "long_name", TEST_LP_ONE_FUNC, NULL, test_lp_bad_long_sym,
	  test_lp_bad_cmdline_show, 0 },
	{ "long_objname", TEST_LP_ONE_FUNC, test_lp_bad_long_obj, "test_lp_plain_show",
	  test_lp_bad_dup_show, 0 },
	{ "null_funcs", TEST_LP_NULL_FUNCS, "test_lp_target" },
	{ "empty_funcs", TEST_LP_EMPTY_FUNCS, NULL },
	{ "callbacks_only", TEST_LP_CALLBACKS_ONLY, NULL },
	{ "null_objs", TEST_LP_NULL_OBJS },
	{ "empty_objs", TEST_LP_EMPTY_OBJS },
};

static struct klp_func test_lp_bad_funcs[2];
static struct klp_object test_lp_bad_objs[2];
static struct klp_patch test_lp_bad_patch = {
	.mod = THIS_MODULE,
	.objs = test_lp_bad_objs,
};

static void test_lp_bad_build(const struct test_lp_bad_defect *d)
{
	struct klp_object *obj = &test_lp_bad_objs[0];
	struct klp_func *func = &test_lp_bad_funcs[0];

	switch (d->shape) {
	case TEST_LP_NULL_OBJS:
		test_lp_bad_patch.objs = NULL;
		return;
	case TEST_LP_EMPTY_OBJS:
		return;
	case TEST_LP_ONE_FUNC:
		func->old_name = d->old_name;
		func->new_func = d->new_func;
		func->old_sympos = d->old_sympos;
		break;
	case TEST_LP_CALLBACKS_ONLY:
		obj->callbacks.pre_patch = test_lp_bad_pre_patch;
		obj->callbacks.post_unpatch = test_lp_bad_post_unpatch;
		break;
	case TEST_LP_NULL_FUNCS:
	case TEST_LP_EMPTY_FUNCS:
		break;
	}
	obj->name = d->objname;
	if (d->shape != TEST_LP_NULL_FUNCS)
		obj->funcs = test_lp_bad_funcs;
}

static const struct test_lp_bad_defect *test_lp_bad_find(const char *name)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(test_lp_bad_defects); i++)
		if (!strcmp(test_lp_bad_defects[i].name, name))
			return &test_lp_bad_defects[i];
	return NULL;
}

static int __init test_lp_bad_init(void)
{
	const struct test_lp_bad_defect *d;
	int ret;

	memset(test_lp_bad_long_sym, 'x', sizeof(test_lp_bad_long_sym) - 1);
	memset(test_lp_bad_long_obj, 'x', sizeof(test_lp_bad_long_obj) - 1);

	d = test_lp_bad_find(defect);
	if (!d) {
		pr_err("unknown defect '%s'\n", defect);
		return -EDOM;
	}

	test_lp_bad_build(d);
	ret = klp_enable_patch(&test_lp_bad_patch);
	if (ret)
		pr_info("defect '%s': klp_enable_patch() failed: %d\n", defect, ret);
	return ret;
}

static void __exit test_lp_bad_exit(void)
{
}

module_init(test_lp_bad_init);
module_exit(test_lp_bad_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
MODULE_DESCRIPTION("Livepatch selftest: patches with one defect each");
