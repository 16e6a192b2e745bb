#!/bin/sh
# Refresh the vendored browser libraries in static/vendor/ from the npm registry (npm pack: the registry's
# tarballs, checked against their published integrity). Only the dist files the pages use are kept, with
# their licences; static/vendor/README.md lists the versions and the files' SHA-256.
#
#   scripts/vendor.sh                      # the pinned versions below
#   LEAFLET=1.9.4 MARKERCLUSTER=1.5.3 scripts/vendor.sh
#
# The pages load these files from the app itself: no CDN, no request to any other host.
set -eu

LEAFLET=${LEAFLET:-1.9.4}
MARKERCLUSTER=${MARKERCLUSTER:-1.5.3}

root=$(cd "$(dirname "$0")/.." && pwd)
dest="$root/static/vendor"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cd "$work"
npm pack --silent "leaflet@$LEAFLET" "leaflet.markercluster@$MARKERCLUSTER" >/dev/null
mkdir leaflet markercluster
tar xzf "leaflet-$LEAFLET.tgz" -C leaflet
tar xzf "leaflet.markercluster-$MARKERCLUSTER.tgz" -C markercluster

rm -rf "$dest/leaflet" "$dest/leaflet.markercluster"
mkdir -p "$dest/leaflet/images" "$dest/leaflet.markercluster"
cp leaflet/package/dist/leaflet.js leaflet/package/dist/leaflet.css "$dest/leaflet/"
cp leaflet/package/dist/images/*.png "$dest/leaflet/images/"
cp leaflet/package/LICENSE "$dest/leaflet/LICENSE"
cp markercluster/package/dist/leaflet.markercluster.js markercluster/package/dist/MarkerCluster.css \
   markercluster/package/dist/MarkerCluster.Default.css "$dest/leaflet.markercluster/"
cp markercluster/package/MIT-LICENCE.txt "$dest/leaflet.markercluster/LICENSE"
# The minified files end with a sourceMappingURL to maps we do not ship: drop it (no 404 in the console).
for f in "$dest/leaflet/leaflet.js" "$dest/leaflet.markercluster/leaflet.markercluster.js"; do
  sed -i '/^\/\/# sourceMappingURL=/d' "$f"
done

cd "$dest"
{
  echo "# Vendored browser libraries"
  echo
  echo "Refreshed by \`scripts/vendor.sh\` from the npm registry; do not edit these files by hand."
  echo "Only the dist files the map page uses are kept (the trailing sourceMappingURL comment removed,"
  echo "since the maps are not shipped), each package with its licence."
  echo
  echo "| package | version | licence |"
  echo "|---|---|---|"
  echo "| leaflet | $LEAFLET | BSD-2-Clause (leaflet/LICENSE) |"
  echo "| leaflet.markercluster | $MARKERCLUSTER | MIT (leaflet.markercluster/LICENSE) |"
  echo
  echo "SHA-256 of the files:"
  echo
  echo '```'
  find leaflet leaflet.markercluster -type f | LC_ALL=C sort | xargs sha256sum
  echo '```'
} > README.md
echo "static/vendor: leaflet $LEAFLET, leaflet.markercluster $MARKERCLUSTER"
