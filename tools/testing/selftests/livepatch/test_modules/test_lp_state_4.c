// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_lp_state_1's code under another module name, so that test-state.sh
 * can have several of these patches registered at once.
 */
#include "test_lp_state_1.c"
