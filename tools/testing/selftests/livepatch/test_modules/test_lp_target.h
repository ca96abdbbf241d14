/* SPDX-License-Identifier: GPL-2.0-only */
/* Shared between the two source files of the test_lp_target module only. */
#ifndef _TEST_LP_TARGET_H
#define _TEST_LP_TARGET_H

struct proc_dir_entry;

struct proc_dir_entry *test_lp_dup_b_create(struct proc_dir_entry *dir);

#endif /* _TEST_LP_TARGET_H */
