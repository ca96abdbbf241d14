/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * x86 side of live patching: how the ftrace handler redirects a call,
 * and the stub a patched function's fentry site calls directly once no
 * transition needs the handler.  Everything else in the core is
 * architecture neutral.
 */
#ifndef _ASM_X86_LIVEPATCH_H
#define _ASM_X86_LIVEPATCH_H

#include <linux/errno.h>
#include <linux/ftrace.h>
#include <linux/string.h>
#include <linux/types.h>

#include <asm/alternative.h>
#include <asm/nospec-branch.h>
#include <asm/text-patching.h>

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

/* Bytes of a direct-call stub; the tail after the code is int3. */
#define KLP_ARCH_STUB_SIZE	16

/**
 * klp_arch_direct_stub() - code that turns a call of the old function
 *			    into a call of the new one
 * @buf:	KLP_ARCH_STUB_SIZE bytes to fill
 * @at:		address the stub will run at
 * @target:	the new function
 *
 * The fentry site of the old function calls the stub (directly, or by
 * the return of ftrace_regs_caller when other ftrace users share the
 * site), so the top of the stack holds a return address into the old
 * function, and the caller's own return address lies below it.  The
 * stub overwrites the first with @target and returns: the new function
 * runs with the arguments still in their registers and returns straight
 * to the caller.  Returning, rather than dropping the slot and jumping,
 * also pops the return-stack-buffer entry of the fentry call, so later
 * returns up the call chain stay predicted.
 *
 * MOV stores a sign-extended 32-bit immediate, which reaches every
 * address of kernel and module text (the top 2 GiB).  The stub is
 * entered by CALL or RET only, never by an indirect branch, so it needs
 * no ENDBR.  It cannot be unwound: a task interrupted on it has an
 * unreliable stack and is simply not switched yet.
 *
 * Return: 0, or -ERANGE when @target is outside the top 2 GiB.
 */
static inline int klp_arch_direct_stub(u8 *buf, unsigned long at,
				       unsigned long target)
{
	static const u8 mov_to_rsp[] = { 0x48, 0xc7, 0x04, 0x24 };
	s32 imm = (s32)target;
	u8 *ret = buf + sizeof(mov_to_rsp) + sizeof(imm);

	if ((unsigned long)(long)imm != target)
		return -ERANGE;
	memset(buf, INT3_INSN_OPCODE, KLP_ARCH_STUB_SIZE);
	memcpy(buf, mov_to_rsp, sizeof(mov_to_rsp));	/* movq $imm, (%rsp) */
	memcpy(buf + sizeof(mov_to_rsp), &imm, sizeof(imm));
	if (cpu_wants_rethunk_at((void *)(at + (ret - buf))))
		__text_gen_insn(ret, JMP32_INSN_OPCODE,
				(void *)(at + (ret - buf)), x86_return_thunk,
				JMP32_INSN_SIZE);
	else
		*ret = RET_INSN_OPCODE;
	return 0;
}
#define klp_arch_direct_stub klp_arch_direct_stub

#endif /* _ASM_X86_LIVEPATCH_H */
