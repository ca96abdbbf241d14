// SPDX-License-Identifier: GPL-2.0-only
/*
 * Livepatch selftest: a klp relocation against a vmlinux function that does not exist.
 * See test_lp_reloc_bad.h and test_lp_reloc.mk.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include "test_lp_reloc_bad.h"

MODULE_DESCRIPTION("Livepatch selftest: klp relocation against an unknown symbol");
