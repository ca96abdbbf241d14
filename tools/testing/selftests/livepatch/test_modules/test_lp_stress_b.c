// SPDX-License-Identifier: GPL-2.0-only
/*
 * The second atomic-replace patch of test-stress.sh: the same functions
 * as test_lp_stress_a, answering with its own module name.
 */
#include "test_lp_stress_a.c"
