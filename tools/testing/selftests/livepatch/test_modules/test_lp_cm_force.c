// SPDX-License-Identifier: GPL-2.0-only
/*
 * The same patch as test_lp_cm, built as a module of its own.  Forcing an
 * unpatching transition pins a livepatch module for good, so the test that
 * does it uses this copy and leaves test_lp_cm removable.
 */
#include "test_lp_cm.c"
