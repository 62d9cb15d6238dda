#!/usr/bin/env bash
# Installs the Debian packages hegui's demo and tests need, when run as root; otherwise prints what to install.
# Kept in one place so that `make demo`, `make test` and .ci/run agree on the list.
set -euo pipefail

# command-or-file to check  ->  Debian package that provides it
declare -A NEED=(
  [python3]=python3
  [/usr/lib/python3.11/ensurepip/__init__.py]=python3-venv
  [exiftool]=libimage-exiftool-perl
  [/usr/share/perl5/Archive/Zip.pm]=libarchive-zip-perl
  [ffmpeg]=ffmpeg
  [ffprobe]=ffmpeg
  [make]=make
  # CJK font for reports (WeasyPrint) and visible labels
  [/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc]=fonts-noto-cjk
  # Pango for WeasyPrint PDF reports, and HarfBuzz subsetting (without it WeasyPrint embeds fonts very slowly)
  [lib:libpango-1.0.so.0]=libpango-1.0-0
  [lib:libharfbuzz-subset.so.0]=libharfbuzz-subset0
  # visible labels: spoken audio prompt, and the browser the chat-notice tests drive
  [espeak-ng]=espeak-ng
  [chromium]=chromium
  # OpenSSL 3 libcrypto: the fast SM2 verifier of hegui.label.integrity (ctypes; snowland-smx otherwise)
  [lib:libcrypto.so.3]=libssl3
)

missing=()
for probe in "${!NEED[@]}"; do
  pkg=${NEED[$probe]}
  if [[ $probe == lib:* ]]; then
    ldconfig -p 2>/dev/null | grep -qF "${probe#lib:}" && continue
  elif [[ $probe == /* ]]; then
    [[ -e $probe ]] && continue
    # python3-venv: accept any interpreter that can already create a venv
    if [[ $pkg == python3-venv ]] && python3 -c 'import venv, ensurepip' 2>/dev/null; then continue; fi
  else
    command -v "$probe" >/dev/null 2>&1 && continue
  fi
  [[ " ${missing[*]} " == *" $pkg "* ]] || missing+=("$pkg")
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

if [[ $(id -u) -eq 0 ]]; then
  echo "hegui: installing Debian packages: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "hegui: missing system packages. Install them with:" >&2
  echo "  sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
