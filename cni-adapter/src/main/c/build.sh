#!/bin/sh
# Builds the weft CNI forwarder: build.sh CC OUTPUT. Static (the host needs nothing but this file), warnings
# as errors, hardened (stack protector, fortified libc calls: level 2 even where the compiler defaults to 3,
# as Ubuntu 24.04's gcc does), stripped.
set -eu
cc=$1
out=$2
src=$(dirname "$0")
mkdir -p "$(dirname "$out")"
exec "$cc" -std=c11 -O2 -Wall -Wextra -Wconversion -Wshadow -Werror -fstack-protector-strong -U_FORTIFY_SOURCE \
  -D_FORTIFY_SOURCE=2 -static -s -o "$out" "$src/main.c" "$src/forward.c"
