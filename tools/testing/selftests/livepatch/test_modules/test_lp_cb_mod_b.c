// SPDX-License-Identifier: GPL-2.0-only
/*
 * The second target module of test-callbacks.sh: test_lp_cb_mod_a's code
 * under another module name, so that one livepatch can have two module
 * objects that come and go independently.
 */
#include "test_lp_cb_mod_a.c"
