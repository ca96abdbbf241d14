// SPDX-License-Identifier: GPL-2.0-only
/* Livepatch benchmark: stacked patch number 2 on klp_bench_target(). */
#define KLP_BENCH_LP_NR 2
#include "klp_bench_lp.c"
