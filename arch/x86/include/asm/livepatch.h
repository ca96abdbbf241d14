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

/*
 * Bytes of a direct-call stub: room for call-depth accounting, 8 of MOV
 * and 5 of JMP to the return thunk; the tail after the code is int3.
 */
#define KLP_ARCH_STUB_SIZE	64

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
 * With call-depth tracking (retbleed=stuff), ftrace calls a direct target
 * without the call thunk that counts a call, so the stub counts it
 * itself, or its RET would leave the count one short.
 *
 * MOV stores a sign-extended 32-bit immediate, which reaches every
 * address of kernel and module text (the top 2 GiB).  The stub is
 * entered by CALL or RET only, never by an indirect branch, so it needs
 * no ENDBR.  It cannot be unwound: a task interrupted on it has an
 * unreliable stack and is simply not switched yet.
 *
 * Return: 0, -ERANGE when @target is outside the top 2 GiB, or -E2BIG
 * when the accounting did not leave room for the rest.
 */
static inline int klp_arch_direct_stub(u8 *buf, unsigned long at,
				       unsigned long target)
{
	static const u8 mov_to_rsp[] = { 0x48, 0xc7, 0x04, 0x24 };
	s32 imm = (s32)target;
	u8 *p = buf;

	if ((unsigned long)(long)imm != target)
		return -ERANGE;
	memset(buf, INT3_INSN_OPCODE, KLP_ARCH_STUB_SIZE);
	/* A template of about ten bytes, when the CPU needs it. */
	x86_call_depth_emit_accounting(&p, NULL, (void *)at);
	if (p - buf > KLP_ARCH_STUB_SIZE - 16)
		return -E2BIG;
	memcpy(p, mov_to_rsp, sizeof(mov_to_rsp));	/* movq $imm, (%rsp) */
	p += sizeof(mov_to_rsp);
	memcpy(p, &imm, sizeof(imm));
	p += sizeof(imm);
	if (cpu_wants_rethunk_at((void *)(at + (p - buf))))
		__text_gen_insn(p, JMP32_INSN_OPCODE, (void *)(at + (p - buf)),
				x86_return_thunk, JMP32_INSN_SIZE);
	else
		*p = RET_INSN_OPCODE;
	return 0;
}
#define klp_arch_direct_stub klp_arch_direct_stub

#endif /* _ASM_X86_LIVEPATCH_H */
