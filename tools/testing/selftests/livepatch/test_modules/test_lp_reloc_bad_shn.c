// SPDX-License-Identifier: GPL-2.0-only
/*
 * Livepatch selftest: a symbol named like a livepatch symbol in a klp relocation section,
 * but left SHN_UNDEF rather than SHN_LIVEPATCH.
 * See test_lp_reloc_bad.h and test_lp_reloc.mk.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include "test_lp_reloc_bad.h"

MODULE_DESCRIPTION("Livepatch selftest: klp relocation against a symbol that is not SHN_LIVEPATCH");
