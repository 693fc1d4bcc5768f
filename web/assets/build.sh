#!/usr/bin/env bash
# Builds Frontdoor's static assets from govuk-frontend (npm) into web/static/,
# which is committed and embedded by the Go binary (served under /assets/).
# Node and npm are needed only here, never at run time.
#
#   web/assets/build.sh
#
# Outputs:
#   web/static/frontdoor.css              govuk-frontend + app-* styles, no GDS Transport, no crown
#   web/static/govuk-frontend.min.js      govuk-frontend's ES module bundle
#   web/static/images/                    our own favicon and touch icon (govuk-frontend's carry the crown)
#   web/static/LICENSE-govuk-frontend.txt
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
static="$(cd "$here/.." && pwd)/static"
cd "$here"

if [[ -f package-lock.json ]]; then
  npm ci --no-audit --no-fund --ignore-scripts
else
  npm install --no-audit --no-fund --ignore-scripts
fi

govuk="node_modules/govuk-frontend/dist/govuk"
[[ -f "$govuk/govuk-frontend.min.js" ]] || { echo "build.sh: $govuk/govuk-frontend.min.js not found" >&2; exit 1; }

# Build into a temporary folder and check it before copying it in, so a failed build
# never leaves web/static half-written.
tmp="$(mktemp -d "$here/.build.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/images"

npx --no-install sass --no-source-map --style=compressed --load-path=node_modules \
  frontdoor.scss "$tmp/frontdoor.css"

# The ES module bundle, less its source map comment (the map is not shipped).
sed -e 's|//# sourceMappingURL=.*$||' "$govuk/govuk-frontend.min.js" > "$tmp/govuk-frontend.min.js"

# govuk-frontend's favicon, icons, opengraph image and crest all carry the
# crown, so none of them is copied: ours live in web/assets/images/.
cp images/favicon.ico images/favicon.svg images/icon-180.png "$tmp/images/"

# The npm package ships no LICENSE file; prefer one if a later version does.
lic=""
for f in node_modules/govuk-frontend/LICENSE node_modules/govuk-frontend/LICENSE.txt node_modules/govuk-frontend/LICENSE.md; do
  if [[ -f "$f" ]]; then lic="$f"; break; fi
done
cp "${lic:-LICENSE-govuk-frontend.txt}" "$tmp/LICENSE-govuk-frontend.txt"

# Checks: no GOV.UK typeface, no crown or crest, a plausible size.
if grep -qiE 'GDS Transport|@font-face|\.woff' "$tmp/frontdoor.css"; then
  echo "build.sh: frontdoor.css still refers to the GOV.UK typeface" >&2; exit 1
fi
# (The unused class name .govuk-footer__crown may stay; no image may.)
if grep -qiE 'url\([^)]*(crest|crown|govuk-icon|opengraph)' "$tmp/frontdoor.css"; then
  echo "build.sh: frontdoor.css still refers to the crown or crest" >&2; exit 1
fi
size=$(wc -c < "$tmp/frontdoor.css")
if (( size < 50000 )); then
  echo "build.sh: frontdoor.css is only $size bytes" >&2; exit 1
fi

mkdir -p "$static"
rm -rf "$static/images"
cp -R "$tmp/." "$static/"
echo "build.sh: wrote $static ($(du -sh "$static" | cut -f1)); frontdoor.css is $size bytes"
