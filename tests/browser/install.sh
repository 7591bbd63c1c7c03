#!/bin/sh
# Install the browser test's one npm dependency (playwright-core, no bundled browsers) when
# node_modules is missing. Called from `make test`; the test itself uses /usr/bin/chromium.
set -eu
cd "$(dirname "$0")"
if [ ! -d node_modules/playwright-core ]; then
    command -v npm >/dev/null 2>&1 || { echo "install.sh: npm is not installed (apt-get install nodejs npm)" >&2; exit 1; }
    # PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: playwright-core never downloads, but be explicit.
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund
fi
