# SPDX-License-Identifier: GPL-2.0-only
#
# Entry points of the livepatch harness; the work is done by harness/*.sh.
# KERNEL=ours (default) builds our core; KERNEL=pristine upstream 6.12's.

KERNEL ?= ours
H := harness
# What "make test" also runs on the debug kernel (lockdep, KASAN,
# kmemleak), besides upstream's conformance suite: the scripts that reach
# every part of the core, within CI's time. "make debug-test" runs all.
# DEBUG_SUBSET= (empty) skips the debug kernel.
# About 20 min under TCG, plus about 8 min of conformance; all scripts take
# about 36 min with conformance (make debug-test, 2026-12-07).
DEBUG_SUBSET ?= test-basic.sh test-bad-patch.sh test-sysfs-input.sh \
	test-consistency.sh test-direct.sh test-unhook.sh test-replace.sh test-shadow.sh \
	test-state.sh test-midload.sh test-sysfs-lock.sh test-nudge.sh test-pending.sh \
	test-stub-trace.sh test-stress.sh

.PHONY: help deps build initramfs run test conformance shell bench patches check \
	debug-test stress clean distclean

help:
	@echo "make run          build ours and boot the livepatch demo (job 'run')"
	@echo "make test         build ours, run our selftests and the conformance suite;"
	@echo "                  then DEBUG_SUBSET and conformance on the debug kernel"
	@echo "make conformance  upstream's selftests against KERNEL=ours|pristine"
	@echo "make debug-test   'make test' on the debug kernel (lockdep, KASAN, kmemleak)"
	@echo "make stress       the full stress run: test-stress.sh with 1,000 cycles, no time cap"
	@echo "make build | shell | bench | patches | check | clean | distclean | deps"

deps:
	@$(H)/deps.sh

build: deps
	@$(H)/build.sh $(KERNEL) normal

initramfs: build
	@$(H)/mkinitramfs.sh $(KERNEL) normal

run: initramfs
	@$(H)/vm.sh $(KERNEL) run

test: deps
	@$(H)/test.sh --flavour $(KERNEL) --debug-subset "$(strip $(DEBUG_SUBSET))"

conformance: deps
	@$(H)/test.sh --flavour $(KERNEL) --suite conformance

debug-test: deps
	@$(H)/test.sh --flavour $(KERNEL) --variant debug

# Unknown name=value kernel parameters reach /init, and so the scripts,
# as environment variables.
stress: initramfs
	@KLP_VM_TIMEOUT=3600 \
	KLP_APPEND="LP_STRESS_CYCLES=1000 LP_STRESS_SECONDS=0" \
	$(H)/vm.sh $(KERNEL) test only=test-stress.sh timeout=3300

shell: initramfs
	@$(H)/vm.sh $(KERNEL) shell

bench: deps
	@if [ -x $(H)/bench/run.sh ]; then $(H)/bench/run.sh; \
	else echo "bench: no harness/bench/run.sh yet"; fi

patches:
	@if [ -x $(H)/patches.sh ]; then $(H)/patches.sh; \
	else echo "patches: no harness/patches.sh yet"; fi

check:
	@if [ -x $(H)/check.sh ]; then $(H)/check.sh; \
	else echo "check: no harness/check.sh yet"; fi

clean:
	rm -rf build/obj-* build/stage-* build/initramfs-* build/ksft build/logs \
		build/src-ours build/view-ours

distclean:
	rm -rf build
