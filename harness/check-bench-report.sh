#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# check-bench-report.sh [flavour] [variant]
#
# Host-side check of the bench verdict rules (picked up by test.sh; the
# arguments are accepted and ignored): runs harness/bench/selftest-report.sh,
# which feeds report.py made-up VM logs and checks every verdict and exit
# code, so that a rule that stopped failing is noticed without a VM.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
exec "$here/bench/selftest-report.sh"
