#!/usr/bin/env sh
# Copies the pinned Chart.js build (and its licence) into the Python package, after changing the
# version in package.json (`npm install chart.js@X --save-exact`). The page needs no build step.
set -eu
cd "$(dirname "$0")"
npm ci --no-audit --no-fund --loglevel=error >/dev/null
cp node_modules/chart.js/dist/chart.umd.min.js ../api/static/vendor/chart.umd.min.js
cp node_modules/chart.js/LICENSE.md ../api/static/vendor/chart.js.LICENSE.md
