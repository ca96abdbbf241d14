# SPDX-License-Identifier: GPL-2.0-only
#
# klp relocations for the test_lp_reloc* modules, made after kbuild has
# linked them: klp-rela.py renames each placeholder of test_lp_reloc.h to
# the .klp.sym symbol it stands for and moves the relocations against it
# to a .klp.rela section.  Included by the command-line half of Makefile,
# whose "modules" recipe ends with $(test_lp_reloc_convert).  modpost
# learns of the placeholders from test_lp_reloc.symvers, which the kbuild
# half of Makefile writes (KBUILD_EXTRA_SYMBOLS).

KLP_RELA := python3 $(LP_MODS_DIR)/klp-rela.py

# The working patch: a static function and a static variable of
# test_lp_reloc_target (one of them by explicit position), and a vmlinux
# function that is not exported.
KLP_RELA_test_lp_reloc := \
	--sym test_lp_reloc_ext_secret_show=test_lp_reloc_target.test_lp_reloc_secret_show,1 \
	--sym test_lp_reloc_ext_secret=test_lp_reloc_target.test_lp_reloc_secret,0 \
	--sym test_lp_reloc_ext_cmdline_show=vmlinux.cmdline_proc_show,0

# One defect each; every one must keep the module from loading.
# The relocation section's name has no object: ".klp.rela..text".
KLP_RELA_test_lp_reloc_bad_sec := \
	--sym test_lp_reloc_ext_bad=vmlinux.cmdline_proc_show,0 \
	--bad-section-name vmlinux=.klp.rela..text
# The symbol is named as a livepatch symbol but is not SHN_LIVEPATCH.
KLP_RELA_test_lp_reloc_bad_shn := \
	--sym test_lp_reloc_ext_bad=vmlinux.cmdline_proc_show,0 \
	--bad-keep-undef test_lp_reloc_ext_bad
# No such symbol in vmlinux.
KLP_RELA_test_lp_reloc_bad_sym := \
	--sym test_lp_reloc_ext_bad=vmlinux.test_lp_reloc_no_such_func,0
# test_lp_reloc_target has one test_lp_reloc_secret_show, not nine.
KLP_RELA_test_lp_reloc_bad_pos := \
	--sym test_lp_reloc_ext_bad=test_lp_reloc_target.test_lp_reloc_secret_show,9
# A vmlinux symbol in the section of a module, applied when that loads.
KLP_RELA_test_lp_reloc_bad_obj := \
	--sym test_lp_reloc_ext_bad=vmlinux.cmdline_proc_show,0 \
	--bad-section-object test_lp_reloc_ext_bad=test_lp_reloc_target

KLP_RELA_MODS := test_lp_reloc test_lp_reloc_bad_sec test_lp_reloc_bad_shn \
	test_lp_reloc_bad_sym test_lp_reloc_bad_pos test_lp_reloc_bad_obj

test_lp_reloc_convert = set -e; $(foreach m,$(KLP_RELA_MODS), \
	$(KLP_RELA) $(KLP_RELA_$(m)) $(LP_MODS_DIR)/$(m).ko;)
