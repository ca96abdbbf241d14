# SPDX-License-Identifier: GPL-2.0-only
#
# Job "shell": an interactive bash on the serial console. Leave with exit
# (or Ctrl-D); the VM then powers off. Ctrl-A X quits qemu at any time.

cat <<'MSG'
klp-vm shell. Our suite: /selftests/livepatch, upstream's: /conformance/livepatch,
jobs: /harness/jobs, modules: /lib/modules/$(uname -r). exit or Ctrl-D powers off.
MSG
cd /root || true
setsid cttyhack bash -l
