#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The session of Documentation/livepatch/differences.rst: the transition
# of livepatch-sample.ko is over right after insmod, and the sysfs files
# upstream 6.12 lacks are there.  Run as root on the
# patched kernel; see lib.sh for the exit status.
# shellcheck disable=SC2016 # commands are shown and run as the page has them
set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

# Upstream notices the end of a transition at a check once a second.
FAST_MS=900

begin differences livepatch-sample

run 'insmod /lib/modules/$(uname -r)/kernel/samples/livepatch/livepatch-sample.ko'
track livepatch_sample
case $(date +%N) in
*[!0-9]*)	# no nanoseconds from this date(1): just wait
	wait_settled livepatch_sample ;;
*)
	start=$(date +%s%N)
	wait_settled livepatch_sample
	took=$((($(date +%s%N) - start) / 1000000))
	[ "$took" -lt "$FAST_MS" ] ||
		fail "the transition ended ${took} ms after insmod returned," \
			"not within ${FAST_MS} ms"
	ok "transition over ${took} ms after insmod returned" ;;
esac
run 'P=/sys/kernel/livepatch/livepatch_sample'
expect 'cat $P/transition' 0
expect 'cat $P/stack_order' 1
expect 'cat $P/vmlinux/cmdline_proc_show,1/active' 1
run 'echo 0 > $P/enabled'
wait_released livepatch_sample
run 'rmmod livepatch_sample'
untrack livepatch_sample
finish
