// SPDX-License-Identifier: GPL-2.0-only
/*
 * Livepatch selftest: a klp relocation against a vmlinux symbol in the relocation
 * section of test_lp_reloc_target.
 * See test_lp_reloc_bad.h and test_lp_reloc.mk.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include "test_lp_reloc_bad.h"

MODULE_DESCRIPTION("Livepatch selftest: klp relocation against vmlinux in a module's section");
