// SPDX-License-Identifier: GPL-2.0-only
/*
 * Livepatch selftest: a klp relocation against test_lp_reloc_secret_show() of
 * test_lp_reloc_target at position 9, where there is only one.
 * See test_lp_reloc_bad.h and test_lp_reloc.mk.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include "test_lp_reloc_bad.h"

MODULE_DESCRIPTION("Livepatch selftest: klp relocation with a symbol position that does not exist");
