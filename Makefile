# SPDX-License-Identifier: GPL-2.0-only
#
# Entry points of the livepatch harness; the work is done by harness/*.sh.
# KERNEL=ours (default) builds our core; KERNEL=pristine upstream 6.12's.

KERNEL ?= ours
# Which configuration every target that boots a kernel uses: distro
# (Debian's cloud-amd64 config, trimmed for the VM; what users run, the
# default), normal (a tinyconfig kernel, quick to build) or debug.
VARIANT ?= distro
TAG := $(if $(filter normal,$(VARIANT)),$(KERNEL),$(KERNEL)-$(VARIANT))
H := harness
# The scripts "make test-with-debug" runs on the debug kernel (lockdep, KASAN,
# kmemleak), besides upstream's conformance suite: those that reach every
# part of the core's locking.  "make debug-test" runs all.  Not part of
# "make test": a cold debug build and these runs add about 20 min, which
# CI's 90 min do not have beside the distro kernel's cold build (36 min)
# and runs (README.md, "Facts").  "make test-with-debug" adds them.
DEBUG_SCRIPTS := test-basic.sh test-bad-patch.sh test-sysfs-input.sh \
	test-consistency.sh test-direct.sh test-unhook.sh test-shadow.sh \
	test-midload.sh test-sysfs-lock.sh test-nudge.sh test-pending.sh \
	test-stub-trace.sh test-tasks-rcu.sh
DEBUG_SUBSET ?=

.PHONY: help deps build initramfs run test conformance shell bench patches check \
	debug-test test-with-debug normal-test stress distro-full-build clean distclean

help:
	@echo "make run          build ours and boot the livepatch demo (job 'run')"
	@echo "make test         build ours, run our selftests and the conformance suite,"
	@echo "                  then BOOT_SUBSET under each of BOOT_VARIANTS (distro only:"
	@echo "                  preempt=none, preempt=full, lockdown, a Skylake CPU with retbleed=stuff)"
	@echo "make test-with-debug  'make test', then DEBUG_SCRIPTS and conformance on the debug kernel"
	@echo "make conformance  upstream's selftests against KERNEL=ours|pristine"
	@echo "make debug-test   'make test' on the debug kernel (lockdep, KASAN, kmemleak)"
	@echo "make normal-test  'make test' on the tinyconfig kernel, without the debug kernel"
	@echo "make stress       the full stress run: test-stress.sh with 1,000 cycles, no time cap"
	@echo "                  (normal kernel)"
	@echo "make distro-full-build  Debian's whole config, upstream's core and ours: vmlinux"
	@echo "                  and the livepatch modules; fails on a warning ours adds (not in CI)"
	@echo "VARIANT=distro (default) | normal | debug selects the kernel of run, test,"
	@echo "conformance, build, initramfs and shell"
	@echo "make build | shell | bench | patches | check | clean | distclean | deps"

deps:
	@$(H)/deps.sh

build: deps
	@$(H)/build.sh $(KERNEL) $(VARIANT)

initramfs: build
	@$(H)/mkinitramfs.sh $(KERNEL) $(VARIANT)

run: initramfs
	@$(H)/vm.sh $(TAG) run

# The distro kernel's default preemption is voluntary; the other dynamic
# modes and lockdown get a boot each, on the scripts that reach
# cond_resched(), the nudges, Tasks RCU and the controls.  A Skylake CPU
# with retbleed=stuff makes the kernel track call depth, which the
# direct-call stubs must account for (test-stub-trace.sh counts it).
SKYLAKE := name=skylake,qemu-cpu=Skylake-Client-v4,retbleed=stuff,spectre_v2=retpoline,subset=test-direct.sh+test-stub-trace.sh
BOOT_VARIANTS ?= preempt=none preempt=full lockdown=integrity $(SKYLAKE)
BOOT_SUBSET ?= test-basic.sh test-consistency.sh test-nudge.sh test-direct.sh \
	test-observability.sh test-hooks.sh test-tasks-rcu.sh
BOOT_ARGS := $(if $(filter distro,$(VARIANT)),--boot-variants "$(BOOT_VARIANTS)" \
	--boot-subset "$(strip $(BOOT_SUBSET))")

test: deps
	@$(H)/test.sh --flavour $(KERNEL) --variant $(VARIANT) $(BOOT_ARGS) \
		$(if $(filter debug,$(VARIANT)),,--debug-subset "$(strip $(DEBUG_SUBSET))")

conformance: deps
	@$(H)/test.sh --flavour $(KERNEL) --variant $(VARIANT) --suite conformance

debug-test: deps
	@$(H)/test.sh --flavour $(KERNEL) --variant debug

test-with-debug:
	@$(MAKE) --no-print-directory test DEBUG_SUBSET="$(DEBUG_SCRIPTS)"

normal-test: deps
	@$(H)/test.sh --flavour $(KERNEL) --variant normal

# Unknown name=value kernel parameters reach /init, and so the scripts,
# as environment variables.
stress: deps
	@$(H)/build.sh $(KERNEL) normal && $(H)/mkinitramfs.sh $(KERNEL) normal
	@KLP_VM_TIMEOUT=3600 \
	KLP_APPEND="LP_STRESS_CYCLES=1000 LP_STRESS_SECONDS=0" \
	$(H)/vm.sh $(KERNEL) test only=test-stress.sh timeout=3300

distro-full-build: deps
	@$(H)/distro-full-build.sh

shell: initramfs
	@$(H)/vm.sh $(TAG) shell

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
