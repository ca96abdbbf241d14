// SPDX-License-Identifier: GPL-2.0-only
/*
 * The same patch as test_lp_cm, built as a module of its own, for
 * test-tasks-rcu.sh: it patches test_lp_cm's functions again while
 * test_lp_cm's patch is still being freed.  test_lp_cm_force cannot serve,
 * as test-consistency.sh leaves it pinned.
 */
#include "test_lp_cm.c"
