#!/usr/bin/env bash
# Gets GTSRB into datasets/GTSRB/: the official training images, test images and test ground truth.
# Source: $GTSRB_MIRROR (a folder holding the same archive names, e.g. ../shared/datasets) when set,
# else the official archive. Idempotent: archives already present and extracted are not fetched again.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dest="$here/GTSRB"; cache="$here/archives"
url=${GTSRB_URL:-https://sid.erda.dk/public/archives/daaeac0d7ce1152aea9b61d9f1e19370}
mkdir -p "$dest" "$cache"
missing=()
for a in GTSRB_Final_Training_Images.zip GTSRB_Final_Test_Images.zip GTSRB_Final_Test_GT.zip; do
  if [ ! -s "$cache/$a" ]; then
    if [ -n "${GTSRB_MIRROR:-}" ] && [ -s "$GTSRB_MIRROR/$a" ]; then
      cp "$GTSRB_MIRROR/$a" "$cache/$a.part" && mv "$cache/$a.part" "$cache/$a"
    elif [ -z "${GTSRB_MIRROR:-}" ]; then
      curl -fsSL "$url/$a" -o "$cache/$a.part" && mv "$cache/$a.part" "$cache/$a" || rm -f "$cache/$a.part"
    fi
  fi
  if [ ! -s "$cache/$a" ]; then missing+=("$a"); continue; fi
  unzip -tq "$cache/$a" >/dev/null || { echo "error: $cache/$a is corrupt; delete it and rerun" >&2; exit 1; }
  case $a in
    *Training*) [ -d "$dest/Final_Training" ] || { unzip -q "$cache/$a" -d "$here/tmp.$$" && mv "$here/tmp.$$/GTSRB/Final_Training" "$dest/"; } ;;
    *Test_Images*) [ -d "$dest/Final_Test" ] || { unzip -q "$cache/$a" -d "$here/tmp.$$" && mv "$here/tmp.$$/GTSRB/Final_Test" "$dest/"; } ;;
    *Test_GT*) [ -f "$dest/Final_Test/GT-final_test.csv" ] || { [ -d "$dest/Final_Test" ] && unzip -qo "$cache/$a" -d "$dest/Final_Test"; } ;;
  esac
  rm -rf "$here/tmp.$$"
done
echo "GTSRB in $dest: $(ls "$dest" 2>/dev/null | tr '\n' ' ')"
if [ ${#missing[@]} -gt 0 ]; then
  echo "could not get: ${missing[*]} (source: ${GTSRB_MIRROR:-$url}); training still works, test-set figures need them" >&2
fi
[ -d "$dest/Final_Training" ] || { echo "error: no training images" >&2; exit 1; }
