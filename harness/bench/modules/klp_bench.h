/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared by the bench target module (klp_bench.c) and the livepatches
 * that replace its functions (klp_bench_lp*.c): the bodies, so that the
 * old and the new code cost the same and only the redirection differs.
 */
#ifndef _KLP_BENCH_H
#define _KLP_BENCH_H

#include <linux/compiler.h>
#include <linux/kthread.h>
#include <linux/sched.h>

/* Functions patched by klp_bench_lp64.ko: klp_bench_fXY, X and Y in 0..7. */
#define KLP_BENCH_NR_MANY	64

/* Functions of klp_bench_wide.ko, all patched by klp_bench_lp200.ko. */
#define KLP_BENCH_NR_WIDE	200

/*
 * The work of the timed function: one add behind an empty volatile asm,
 * which keeps the compiler from folding or hoisting the call.
 */
static __always_inline int klp_bench_body(int x)
{
	asm volatile("" : "+r" (x));
	return x + 1;
}

/* Sleep until kthread_stop(); a fake signal only wakes it up again. */
static __always_inline void klp_bench_sleep_until_stopped(void)
{
	while (!kthread_should_stop()) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (!kthread_should_stop())
			schedule();
		__set_current_state(TASK_RUNNING);
	}
}

/* Expand M(XY) for the 64 two-digit suffixes with X and Y in 0..7. */
#define KLP_BENCH_8(M, d)	M(d##0) M(d##1) M(d##2) M(d##3) \
				M(d##4) M(d##5) M(d##6) M(d##7)
#define KLP_BENCH_64(M)		KLP_BENCH_8(M, 0) KLP_BENCH_8(M, 1) \
				KLP_BENCH_8(M, 2) KLP_BENCH_8(M, 3) \
				KLP_BENCH_8(M, 4) KLP_BENCH_8(M, 5) \
				KLP_BENCH_8(M, 6) KLP_BENCH_8(M, 7)

/* The same with a leading digit P: M(P00) to M(P77). */
#define KLP_BENCH_64P(M, p)	KLP_BENCH_8(M, p##0) KLP_BENCH_8(M, p##1) \
				KLP_BENCH_8(M, p##2) KLP_BENCH_8(M, p##3) \
				KLP_BENCH_8(M, p##4) KLP_BENCH_8(M, p##5) \
				KLP_BENCH_8(M, p##6) KLP_BENCH_8(M, p##7)

/* M(XYZ) for KLP_BENCH_NR_WIDE suffixes: 000 to 277, then 300 to 307. */
#define KLP_BENCH_200(M)	KLP_BENCH_64P(M, 0) KLP_BENCH_64P(M, 1) \
				KLP_BENCH_64P(M, 2) KLP_BENCH_8(M, 30)

#endif /* _KLP_BENCH_H */
