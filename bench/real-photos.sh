#!/usr/bin/env bash
# Fetches the real photographs `fieldbench photos` measures: full-size JPEGs (baseline and
# progressive, 9 to 18 MP) from Debian's wallpaper packages, downloaded as packages and
# unpacked here; never committed. Usage: bench/real-photos.sh [DIR] (default
# target/real-photos). Needs apt-get (Debian's package index, `apt-get update` once).
set -euo pipefail

dir="${1:-target/real-photos}"
mkdir -p "$dir"
work="$(mktemp -d)"
# apt-get downloads as its own user, which must be able to write here.
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT

# package | path inside it | name here (base- or prog- says the JPEG process, then MP)
photos=(
  "plasma-workspace-wallpapers|usr/share/wallpapers/Honeywave/contents/images/5120x2880.jpg|base-14.7mp-honeywave.jpg"
  "plasma-workspace-wallpapers|usr/share/wallpapers/Shell/contents/images/5120x2880.jpg|base-14.7mp-shell.jpg"
  "plasma-workspace-wallpapers|usr/share/wallpapers/SafeLanding/contents/images/5120x2880.jpg|base-14.7mp-safelanding.jpg"
  "plasma-workspace-wallpapers|usr/share/wallpapers/Flow/contents/images_dark/5120x2880.jpg|base-14.7mp-flow-dark.jpg"
  "plasma-workspace-wallpapers|usr/share/wallpapers/Flow/contents/images/5120x2880.jpg|prog-14.7mp-flow.jpg"
  "plasma-workspace-wallpapers|usr/share/wallpapers/Volna/contents/images/5120x2880.jpg|prog-14.7mp-volna.jpg"
  "mate-backgrounds|usr/share/backgrounds/mate/abstract/Elephants_5640x3172.jpg|prog-17.9mp-elephants-sony.jpg"
  "ukui-wallpapers|usr/share/backgrounds/string.jpg|base-8.7mp-string-icc-restarts.jpg"
  "ukui-wallpapers|usr/share/backgrounds/rhythm.jpg|prog-9.2mp-rhythm.jpg"
)

for entry in "${photos[@]}"; do
  IFS='|' read -r package path name <<<"$entry"
  [ -s "$dir/$name" ] && continue
  if [ ! -d "$work/$package" ]; then
    (cd "$work" && apt-get download "$package" >/dev/null)
    dpkg-deb -x "$work/${package}"_*.deb "$work/$package"
  fi
  cp "$work/$package/$path" "$dir/$name"
done
ls "$dir"
