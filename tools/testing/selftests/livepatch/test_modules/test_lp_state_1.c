// SPDX-License-Identifier: GPL-2.0-only
/*
 * Livepatch of test-state.sh that hands a system state on to the patches
 * after it.  State TEST_LP_STATE_ID stands for a change a patch makes
 * beyond code: here a block of data that must exist exactly once while
 * any patch declaring the state is in force, whichever patch set it up.
 *
 * The vmlinux object's pre_patch takes the data over from the newest
 * earlier patch declaring the state (klp_get_prev_state()), upgrading it
 * to this patch's version, or sets it up when there is none.  Its
 * post_unpatch gives the data back to that earlier patch if one stays,
 * i.e. when this patch is reverted, and frees it only when this patch is
 * the last one declaring the state.  A patch that took the data over
 * leaves its predecessor's state->data NULL, so nothing can free it
 * twice; a replaced patch's callbacks do not run anyway.
 *
 * /proc/cmdline shows the patch in force and the data it sees; the busy
 * function of test_lp_target is replaced by one that sleeps at the same
 * gate, so a test can hold up a transition.  Parameters: "version" of the
 * state (0: the patch declares no state), "replace".  test_lp_state_2, _3
 * and _4 build this file under other names.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/compiler.h>
#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "test_lp.h"

#define TEST_LP_STATE_ID	0x5e7

static unsigned int version = 1;
module_param(version, uint, 0444);
MODULE_PARM_DESC(version, "version of the state the patch declares, 0 for none (default 1)");

static bool replace = true;
module_param(replace, bool, 0444);
MODULE_PARM_DESC(replace, "register as an atomic-replace patch (default yes)");

/* What the state stands for; handed from patch to patch. */
struct test_lp_state_data {
	char creator[MODULE_NAME_LEN];	/* the patch that set it up */
	unsigned int version;		/* layout, upgraded on takeover */
	unsigned int handovers;		/* takeovers so far */
};

static struct klp_patch test_lp_state_patch;

/* This patch's entry for the state; NULL when it declares none. */
static struct klp_state *test_lp_state_own(void)
{
	return klp_get_state(&test_lp_state_patch, TEST_LP_STATE_ID);
}

static int test_lp_state_pre_patch(struct klp_object *obj)
{
	struct klp_state *state = test_lp_state_own(), *prev;
	struct test_lp_state_data *data;

	if (!state) {
		pr_info("pre_patch: no state\n");
		return 0;
	}

	prev = klp_get_prev_state(TEST_LP_STATE_ID);
	if (prev && prev->data) {
		data = prev->data;
		WRITE_ONCE(prev->data, NULL);
		data->handovers++;
		pr_info("pre_patch: taking over the state data of %s, v%u, handover %u\n",
			data->creator, data->version, data->handovers);
		if (data->version < state->version) {
			pr_info("pre_patch: upgrading the state data to v%u\n",
				state->version);
			data->version = state->version;
		}
	} else {
		data = kzalloc(sizeof(*data), GFP_KERNEL);
		if (!data)
			return -ENOMEM;
		strscpy(data->creator, KBUILD_MODNAME);
		data->version = state->version;
		pr_info("pre_patch: setting up the state data, v%u\n", data->version);
	}
	WRITE_ONCE(state->data, data);
	return 0;
}

static void test_lp_state_post_unpatch(struct klp_object *obj)
{
	struct klp_state *state = test_lp_state_own(), *prev;
	struct test_lp_state_data *data;

	if (!state) {
		pr_info("post_unpatch: no state\n");
		return;
	}
	data = state->data;
	WRITE_ONCE(state->data, NULL);
	if (!data) {
		pr_info("post_unpatch: no state data\n");
		return;
	}

	prev = klp_get_prev_state(TEST_LP_STATE_ID);
	if (prev) {
		if (data->version > prev->version) {
			pr_info("post_unpatch: downgrading the state data to v%u\n",
				prev->version);
			data->version = prev->version;
		}
		pr_info("post_unpatch: handing the state data back, v%u\n",
			data->version);
		WRITE_ONCE(prev->data, data);
		return;
	}
	pr_info("post_unpatch: freeing the state data of %s, v%u, after %u handovers\n",
		data->creator, data->version, data->handovers);
	kfree(data);
}

/*
 * Replaces cmdline_proc_show().  The data cannot go away under it: only
 * the post_unpatch of the patch owning it frees it, once no task runs
 * this function any more.
 */
static struct klp_func test_lp_state_vmlinux_funcs[2];

static int test_lp_state_cmdline_show(struct seq_file *m, void *v)
{
	struct klp_state *state = test_lp_state_own(), *prev;
	struct test_lp_state_data *data = state ? READ_ONCE(state->data) : NULL;

	if (!state)
		seq_puts(m, KBUILD_MODNAME ": no state");
	else if (!data)
		seq_printf(m, KBUILD_MODNAME ": state v%u, no data", state->version);
	else
		seq_printf(m, KBUILD_MODNAME ": state v%u, data v%u of %s, %u handovers",
			   state->version, data->version, data->creator,
			   data->handovers);
	/*
	 * During this patch's own transition, ask for the previous state
	 * from the patch's code, outside any callback, as 6.12 allows.
	 */
	if (state && READ_ONCE(test_lp_state_vmlinux_funcs[0].transition)) {
		prev = klp_get_prev_state(TEST_LP_STATE_ID);
		if (prev)
			seq_printf(m, ", previous v%u", prev->version);
		else
			seq_puts(m, ", no previous");
	}
	seq_putc(m, '\n');
	return 0;
}

static int test_lp_state_busy_show(struct seq_file *m, void *v)
{
	struct test_lp_gate *gate = m->private;

	if (test_lp_gate_pass(gate))
		return -EINTR;
	seq_puts(m, KBUILD_MODNAME ": patched\n");
	return 0;
}

static struct klp_func test_lp_state_vmlinux_funcs[2] = {
	{ .old_name = "cmdline_proc_show", .new_func = test_lp_state_cmdline_show },
	{ }
};

static struct klp_func test_lp_state_target_funcs[] = {
	{ .old_name = "test_lp_busy_show", .new_func = test_lp_state_busy_show },
	{ }
};

static struct klp_object test_lp_state_objs[] = {
	{
		/* name == NULL: vmlinux */
		.funcs = test_lp_state_vmlinux_funcs,
		.callbacks = {
			.pre_patch = test_lp_state_pre_patch,
			.post_unpatch = test_lp_state_post_unpatch,
		},
	},
	{
		.name = "test_lp_target",
		.funcs = test_lp_state_target_funcs,
	},
	{ }
};

static struct klp_state test_lp_state_states[] = {
	{ .id = TEST_LP_STATE_ID },
	{ }
};

static struct klp_patch test_lp_state_patch = {
	.mod = THIS_MODULE,
	.objs = test_lp_state_objs,
};

static int __init test_lp_state_init(void)
{
	if (version) {
		test_lp_state_states[0].version = version;
		test_lp_state_patch.states = test_lp_state_states;
	}
	test_lp_state_patch.replace = replace;
	return klp_enable_patch(&test_lp_state_patch);
}

static void __exit test_lp_state_exit(void)
{
}

module_init(test_lp_state_init);
module_exit(test_lp_state_exit);
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
MODULE_DESCRIPTION("Livepatch selftest: a system state handed on between patches");
