/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * x86 side of live patching: how the ftrace handler redirects a call.
 * Everything else in the core is architecture neutral.
 */
#ifndef _ASM_X86_LIVEPATCH_H
#define _ASM_X86_LIVEPATCH_H

#include <linux/ftrace.h>

#ifndef CONFIG_HAVE_DYNAMIC_FTRACE_WITH_ARGS
#error "live patching on x86 needs HAVE_DYNAMIC_FTRACE_WITH_ARGS"
#endif

/**
 * klp_arch_set_pc() - make the traced call resume in the new function
 * @fregs:	registers saved by the ftrace trampoline
 * @pc:		address of the replacement function
 *
 * The trampoline restores its saved registers and returns to the saved
 * instruction pointer, so overwriting it turns the call of the old
 * function into a call of the new one with the same arguments and the
 * same return address.
 *
 * Context: the ftrace handler, preemption disabled; must stay notrace.
 */
static __always_inline void klp_arch_set_pc(struct ftrace_regs *fregs,
					    unsigned long pc)
{
	ftrace_regs_set_instruction_pointer(fregs, pc);
}
#define klp_arch_set_pc klp_arch_set_pc

#endif /* _ASM_X86_LIVEPATCH_H */
