#!/usr/bin/env bash
# What the Datencockpit's browser tests need: Debian's Chromium, Node.js, and from the npm
# registry, pinned in tests/e2e/package-lock.json: playwright-core (it drives the system Chromium
# and downloads no browser of its own), @axe-core/playwright (accessibility) and oidc-provider (an
# independent OpenID provider to sign in at). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "oncegate: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# Again whenever a package of the lockfile is missing (a new one was pinned).
if ! (cd tests/e2e && node -e 'const fs = require("fs"); const p = require("./package.json");
  process.exit(Object.keys(p.dependencies).every((d) => fs.existsSync("node_modules/" + d + "/package.json")) ? 0 : 1)'); then
  (cd tests/e2e && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
fi
