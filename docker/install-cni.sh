#!/bin/sh
# Installs the Weft CNI plugin on a node (the init container of weft.yaml runs it; so can a person on
# a host, with ROOT "/"). It lays out, on the host:
#   /opt/weft/jre/...                  the plugin's Java runtime (java.base only; hosts have no Java)
#   /opt/weft/bin/weft, /opt/weft/lib/ the plugin launcher and jars
#   /opt/cni/bin/weft                  what the container runtime executes: runs /opt/weft/bin/weft
#                                      with WEFT_JAVA=/opt/weft/jre/bin/java
#   /etc/cni/net.d/10-weft.conflist    the network config, written last: once it is there, the node's
#                                      runtime sends pod ADDs to a plugin that is complete.
# Each file is written under a temporary name in its final directory, then renamed over the old one:
# the runtime sees the old file or the new one, never a partial copy, and a plugin still running
# keeps the files it has open. Files whose bytes did not change are not touched, so running it again
# changes nothing.
#
# Usage: install-cni.sh [--uninstall] [ROOT]
#   ROOT         where the host's root filesystem is mounted: default $WEFT_HOST_ROOT, else /host
#   --uninstall  remove what an install wrote (the config first, so no new pod uses the plugin)
# Environment (paths as the host sees them, without ROOT):
#   WEFT_PAYLOAD       what to install: jre/, bin/, lib/   (default /usr/share/weft/host, in the image)
#   WEFT_CNI_CONFLIST  network config to install            (default /usr/share/weft/10-weft.conflist)
#   WEFT_HOME_DIR      where the payload goes               (default /opt/weft)
#   WEFT_CNI_BIN_DIR   the runtime's CNI binary directory   (default /opt/cni/bin)
#   WEFT_CNI_CONF_DIR  the runtime's CNI config directory   (default /etc/cni/net.d)
# Exit status: 0 done, 2 bad usage or input, 1 anything else.
set -eu

fail() {
  echo "install-cni: $2" >&2
  exit "$1"
}

uninstall=false
if [ "${1:-}" = "--uninstall" ]; then
  uninstall=true
  shift
fi
[ $# -le 1 ] || fail 2 "usage: install-cni.sh [--uninstall] [ROOT]"
root=${1:-${WEFT_HOST_ROOT:-/host}}
root=${root%/}
payload=${WEFT_PAYLOAD:-/usr/share/weft/host}
conflist=${WEFT_CNI_CONFLIST:-/usr/share/weft/10-weft.conflist}
home=${WEFT_HOME_DIR:-/opt/weft}
bin_dir=${WEFT_CNI_BIN_DIR:-/opt/cni/bin}
conf_dir=${WEFT_CNI_CONF_DIR:-/etc/cni/net.d}
conf_name=10-weft.conflist

# The payload directory is replaced wholesale (stale files removed): refuse anything but a dedicated one.
case $home in
  /*/*) ;;
  *) fail 2 "WEFT_HOME_DIR must be a dedicated directory such as /opt/weft, not '$home'" ;;
esac

tmp=
trap 'if [ -n "$tmp" ]; then rm -f "$tmp"; fi' EXIT

# temp_for DEST: a name in DEST's directory, so the final mv is a rename within one filesystem.
temp_for() {
  tmp=$(dirname "$1")/.$(basename "$1").weft-install.$$
  rm -f "$tmp"
}

# put_file SRC DEST: copy keeping mode and times (a class-data-sharing archive checks the jar's time).
put_file() {
  if [ -f "$2" ] && [ ! -h "$2" ] && cmp -s "$1" "$2"; then
    return 0
  fi
  temp_for "$2"
  cp -p "$1" "$tmp"
  mv -f "$tmp" "$2"
  tmp=
  echo "install-cni: wrote $2"
}

# put_link SRC DEST: the same symbolic link (jlink makes some for legal notices of non-base modules).
put_link() {
  target=$(readlink "$1")
  if [ -h "$2" ] && [ "$(readlink "$2")" = "$target" ]; then
    return 0
  fi
  temp_for "$2"
  ln -s "$target" "$tmp"
  mv -f "$tmp" "$2"
  tmp=
  echo "install-cni: wrote $2"
}

# put_content MODE DEST: stdin becomes DEST with MODE.
put_content() {
  temp_for "$2"
  cat > "$tmp"
  chmod "$1" "$tmp"
  if [ -f "$2" ] && [ ! -h "$2" ] && cmp -s "$tmp" "$2"; then
    rm -f "$tmp"
    tmp=
    chmod "$1" "$2"
    return 0
  fi
  mv -f "$tmp" "$2"
  tmp=
  echo "install-cni: wrote $2"
}

# mirror SRC_DIR DEST_DIR: make DEST_DIR hold exactly SRC_DIR's files (new ones first, stale ones last).
mirror() {
  [ -d "$1" ] || fail 2 "payload directory $1 is missing"
  (cd "$1" && find . -type d) | while IFS= read -r d; do
    mkdir -p "$2/${d#./}"
  done
  (cd "$1" && find . \( -type f -o -type l \)) | while IFS= read -r f; do
    f=${f#./}
    if [ -h "$1/$f" ]; then
      put_link "$1/$f" "$2/$f"
    else
      put_file "$1/$f" "$2/$f"
    fi
  done
  (cd "$2" && find . \( -type f -o -type l \)) | while IFS= read -r f; do
    f=${f#./}
    if [ ! -e "$1/$f" ] && [ ! -h "$1/$f" ]; then
      rm -f "$2/$f"
      echo "install-cni: removed stale $2/$f"
    fi
  done
  (cd "$2" && find . -depth -type d) | while IFS= read -r d; do
    d=${d#./}
    if [ ! -d "$1/$d" ]; then
      rmdir "$2/$d"
    fi
  done
}

if $uninstall; then
  rm -f "$root$conf_dir/$conf_name" "$root$bin_dir/weft"
  # The payload directory may be a mount point (a hostPath in a pod): empty it, then try to remove it.
  for entry in "$root$home"/* "$root$home"/.[!.]* "$root$home"/..?*; do
    if [ -e "$entry" ] || [ -h "$entry" ]; then
      rm -rf "$entry"
    fi
  done
  rmdir "$root$home" 2>/dev/null || true
  echo "install-cni: removed $root$conf_dir/$conf_name, $root$bin_dir/weft and $root$home"
  exit 0
fi

[ -s "$conflist" ] || fail 2 "network config $conflist is missing or empty"
mkdir -p "$root$home" "$root$bin_dir" "$root$conf_dir"
# Temporary files of an install that was killed half-way (those under $home go as stale files below).
rm -f "$root$bin_dir"/.weft.weft-install.* "$root$conf_dir"/.$conf_name.weft-install.*

# Runtime and jars before the launcher that uses them, the launcher before the runtime's entry point.
mirror "$payload/jre" "$root$home/jre"
mirror "$payload/lib" "$root$home/lib"
mirror "$payload/bin" "$root$home/bin"

put_content 0755 "$root$bin_dir/weft" <<EOF
#!/bin/sh
# Weft CNI plugin, written by install-cni.sh: the plugin in $home with its own Java runtime.
WEFT_JAVA=$home/jre/bin/java
export WEFT_JAVA
exec $home/bin/weft "\$@"
EOF

put_content 0644 "$root$conf_dir/$conf_name" < "$conflist"

# Runtimes use the config that sorts first; say so if another network would win over Weft.
for other in "$root$conf_dir"/*.conf "$root$conf_dir"/*.conflist "$root$conf_dir"/*.json; do
  [ -e "$other" ] || continue
  name=$(basename "$other")
  if [ "$name" != "$conf_name" ] && [ "$(printf '%s\n%s\n' "$name" "$conf_name" | LC_ALL=C sort | head -n 1)" = "$name" ]; then
    echo "install-cni: warning: $other sorts before $conf_name, so the container runtime uses it instead of Weft; remove it" >&2
  fi
done
echo "install-cni: Weft CNI plugin installed in ${root:-/} ($home, $bin_dir/weft, $conf_dir/$conf_name)"
