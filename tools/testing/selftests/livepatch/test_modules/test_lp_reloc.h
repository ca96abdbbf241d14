/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Placeholders for what the test_lp_reloc* livepatches use but the module
 * loader cannot resolve: static symbols of test_lp_reloc_target and a
 * function vmlinux does not export.  The test_lp_reloc.symvers that
 * Makefile writes tells modpost they exist; nothing defines them.  After
 * the link, klp-rela.py turns each reference to one into a klp
 * relocation against the real symbol (test_lp_reloc.mk says which
 * placeholder stands for what), so a module that missed that step fails
 * to load with "Unknown symbol".
 */
#ifndef _TEST_LP_RELOC_H
#define _TEST_LP_RELOC_H

struct seq_file;

/* test_lp_reloc_target's test_lp_reloc_secret_show() and its variable */
int test_lp_reloc_ext_secret_show(struct seq_file *m, void *v);
extern int test_lp_reloc_ext_secret;
/* vmlinux's cmdline_proc_show(), behind /proc/cmdline */
int test_lp_reloc_ext_cmdline_show(struct seq_file *m, void *v);
/* whatever the defect of a test_lp_reloc_bad_* module makes of it */
int test_lp_reloc_ext_bad(struct seq_file *m, void *v);

#endif /* _TEST_LP_RELOC_H */
