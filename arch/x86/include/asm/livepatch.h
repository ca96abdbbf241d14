/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * x86 side of live patching: how the ftrace handler redirects a call,
 * and the stub a patched function's fentry site calls directly once no
 * transition needs the handler.  Everything else in the core is
 * architecture neutral.
 */
#ifndef _ASM_X86_LIVEPATCH_H
#define _ASM_X86_LIVEPATCH_H

#include <linux/compiler.h>
#include <linux/errno.h>
#include <linux/ftrace.h>
#include <linux/memory.h>
#include <linux/mutex.h>
#include <linux/stringify.h>
#include <linux/string.h>
#include <linux/types.h>

#include <linux/objtool.h>

#include <asm/alternative.h>
#include <asm/linkage.h>
#include <asm/nospec-branch.h>
#include <asm/orc_types.h>
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
 * Direct-call stubs.
 *
 * The fentry site of an old function calls a stub directly (or by the
 * return of ftrace_regs_caller when other ftrace users share the site),
 * so the top of the stack holds a return address into the old function
 * and the caller's own return address lies below it.  The stub
 * overwrites the first with the new function and returns: the new
 * function runs with the arguments still in their registers and returns
 * straight to the caller.  Returning, rather than dropping the slot and
 * jumping, also pops the return-stack-buffer entry of the fentry call,
 * so later returns up the call chain stay predicted.
 *
 * The stubs are KLP_ARCH_SLOTS fixed slots in kernel text, so that stack
 * traces through them have ORC data like any other code: before the
 * MOV, the unwinder sees a function entered by a call (into the old
 * function, then its caller); at the return, a frame whose caller's
 * return address lies one slot further down.  A trace taken by an NMI,
 * perf or KASAN in a stub therefore goes on through the caller, and a
 * sleeping task's reliable stack check treats a stub as kernel text.
 * Only the 32-bit immediate of the MOV differs between slots in use;
 * klp_arch_slot_set() writes it with text_poke() while nothing can reach
 * the slot, then makes every CPU serialise, since a slot used before may
 * still be in some CPU's decoded instructions.  MOV stores a
 * sign-extended immediate, which reaches every address of kernel and
 * module text (the top 2 GiB).
 *
 * With call-depth tracking (retbleed=stuff), ftrace calls a direct
 * target without the call thunk that counts a call, so each slot counts
 * it itself, as ftrace_stub_direct_tramp does, or its RET would leave
 * the count one short.  A slot is entered by CALL or RET only, never by
 * an indirect branch, so it needs no ENDBR.
 */
#define KLP_ARCH_SLOT_SIZE	64
#define KLP_ARCH_SLOTS		256

/* "movq $imm32, (%rsp)": the immediate follows these four bytes. */
#define KLP_ARCH_SLOT_MOV	"\x48\xc7\x04\x24"

extern u8 klp_arch_slots[];
extern u8 klp_arch_slot_mov[];

#define __KLP_ARCH_SLOT(mov_label)					\
	ANNOTATE_NOENDBR						\
	UNWIND_HINT(UNWIND_HINT_TYPE_FUNC, ORC_REG_SP, 8, 0)		\
	CALL_DEPTH_ACCOUNT "\n\t"					\
	mov_label							\
	"movq $0, (%rsp)\n\t"						\
	UNWIND_HINT(UNWIND_HINT_TYPE_CALL, ORC_REG_SP, 16, 0)		\
	ASM_RET								\
	".balign " __stringify(KLP_ARCH_SLOT_SIZE) ", 0xcc\n\t"

/**
 * KLP_ARCH_DIRECT_SLOTS() - emit the slots; used once, at file scope
 *
 * The first slot labels its MOV, so that klp_arch_slot_set() knows
 * where the immediate of every slot is.
 */
#define KLP_ARCH_DIRECT_SLOTS()						\
	asm(".pushsection .text, \"ax\", @progbits\n\t"			\
	    ".balign " __stringify(KLP_ARCH_SLOT_SIZE) ", 0xcc\n\t"	\
	    ".globl klp_arch_slots\n\t"					\
	    "klp_arch_slots:\n\t"					\
	    __KLP_ARCH_SLOT(".globl klp_arch_slot_mov\n\t"		\
			    ANNOTATE_NOENDBR				\
			    "klp_arch_slot_mov:\n\t")			\
	    ".rept " __stringify(KLP_ARCH_SLOTS) " - 1\n\t"		\
	    __KLP_ARCH_SLOT("")						\
	    ".endr\n\t"							\
	    ".popsection\n\t")

/**
 * klp_arch_slot() - address of a direct-call stub
 * @i:		slot number, below KLP_ARCH_SLOTS
 *
 * Return: the address ftrace is to call.
 */
static inline void *klp_arch_slot(unsigned int i)
{
	return klp_arch_slots + i * KLP_ARCH_SLOT_SIZE;
}

#define klp_arch_slot klp_arch_slot

/**
 * klp_arch_slot_check() - the slots look as this header describes them
 *
 * Return: 0, or -EINVAL when the MOV is not where expected, in which case
 * no slot may be used.
 */
static inline int klp_arch_slot_check(void)
{
	const u8 *mov = klp_arch_slot_mov;
	long off = mov - klp_arch_slots;

	/*
	 * Read the text through a register: a RIP-relative compare with an
	 * immediate operand would point its relocation four bytes before
	 * the label, which objtool takes for a reference to code without
	 * ENDBR.
	 */
	OPTIMIZER_HIDE_VAR(mov);
	if (off < 0 || off + 4 + sizeof(s32) + 1 > KLP_ARCH_SLOT_SIZE ||
	    memcmp(mov, KLP_ARCH_SLOT_MOV, 4))
		return -EINVAL;
	return 0;
}

/**
 * klp_arch_slot_set() - point a direct-call stub at a new function
 * @slot:	a slot from klp_arch_slot() that nothing can reach now
 * @target:	the new function
 *
 * Context: may sleep (text_mutex).
 * Return: 0, or -ERANGE when @target is outside the top 2 GiB.
 */
static inline int klp_arch_slot_set(void *slot, unsigned long target)
{
	long off = klp_arch_slot_mov - klp_arch_slots + 4;
	s32 imm = (s32)target;

	if ((unsigned long)(long)imm != target)
		return -ERANGE;
	/* Aligned and 4 bytes long, as text_poke() wants. */
	mutex_lock(&text_mutex);
	text_poke(slot + off, &imm, sizeof(imm));
	mutex_unlock(&text_mutex);
	text_poke_sync();
	return 0;
}

#endif /* _ASM_X86_LIVEPATCH_H */
