#!/usr/bin/env bash
# Installs the Debian packages the test suite needs: Chromium (browser tests), OpenBLAS (native
# matMul kernels), espeak-ng (a spoken WAV for the fake microphone), PostgreSQL server binaries
# (throwaway clusters), PyTorch (the Hugging Face export is checked against it). Safe to run twice; needs root (or sudo) and Debian's package mirrors.
set -euo pipefail
pkgs=()
command -v chromium >/dev/null 2>&1 || pkgs+=(chromium)
ls /usr/lib/x86_64-linux-gnu/libopenblas.so.0 /usr/lib/*/libopenblas.so.0 >/dev/null 2>&1 || pkgs+=(libopenblas0-pthread)
command -v espeak-ng >/dev/null 2>&1 || pkgs+=(espeak-ng)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || pkgs+=(postgresql)
/usr/bin/python3 -c "import torch" >/dev/null 2>&1 || pkgs+=(python3-torch)
if [ ${#pkgs[@]} -eq 0 ]; then echo "system packages: all present"; exit 0; fi
sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "system packages: installing ${pkgs[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
echo "system packages: installed ${pkgs[*]}"
