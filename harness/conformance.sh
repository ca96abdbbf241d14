#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# conformance.sh [ours|pristine] [normal|debug]: upstream 6.12's livepatch
# selftests, unchanged, against the chosen core ("make conformance").

exec "$(dirname "$0")/test.sh" --flavour "${1:-ours}" --variant "${2:-normal}" --suite conformance
