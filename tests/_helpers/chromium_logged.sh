#!/bin/sh
# Chromium for the browser tests (tests/_helpers/browser.ts): runs $MC_CHROMIUM with the arguments
# Playwright gives, appends its stderr to $MC_CHROMIUM_LOG, and ends the log with its exit status,
# so a browser that goes away during a test leaves its own account behind; a clean exit (status 0)
# removes the log. Playwright's pipes (file descriptors 3 and 4) pass through untouched.
echo "wrapper pid $$" >>"$MC_CHROMIUM_LOG"
"$MC_CHROMIUM" "$@" 2>>"$MC_CHROMIUM_LOG"
status=$?
echo "chromium exited with status $status" >>"$MC_CHROMIUM_LOG"
if [ "$status" -eq 0 ]; then rm -f "$MC_CHROMIUM_LOG"; fi
exit "$status"
