#!/bin/sh
# Installs the Weft CNI plugin on a node (the init container of weft.yaml runs it; so can a person on
# a host, with ROOT "/"). The plugin is one static executable that needs nothing else on the host, so
# it writes, on the host:
#   /opt/cni/bin/weft                  the plugin, what the container runtime executes (mode 0755)
#   /etc/cni/net.d/10-weft.conflist    the network config, written last: once it is there, the node's
#                                      runtime sends pod ADDs to a plugin that is in place.
# Each file is written under a temporary name in its final directory, then renamed over the old one:
# the runtime sees the old file or the new one, never a partial copy, and a plugin still running
# keeps the file it has open. A file whose bytes did not change is not touched, so running it again
# changes nothing.
# Upgrading from a release whose plugin ran on a Java runtime of its own: that payload directory
# (/opt/weft with jre/, bin/weft and lib/weft-cni-adapter.jar) is removed once the new plugin is in place.
#
# Usage: install-cni.sh [--uninstall] [ROOT]
#   ROOT         where the host's root filesystem is mounted: default $WEFT_HOST_ROOT, else /host
#   --uninstall  remove what an install wrote (the config first, so no new pod uses the plugin), and an
#                older release's payload directory
# Environment (paths as the host sees them, without ROOT):
#   WEFT_PAYLOAD       the plugin executable to install     (default /usr/lib/weft/bin/weft, in the image)
#   WEFT_CNI_CONFLIST  network config to install            (default /usr/share/weft/10-weft.conflist)
#   WEFT_CNI_BIN_DIR   the runtime's CNI binary directory   (default /opt/cni/bin)
#   WEFT_CNI_CONF_DIR  the runtime's CNI config directory   (default /etc/cni/net.d)
#   WEFT_HOME_DIR      where an older release put the plugin's Java payload, removed if found there
#                      (default /opt/weft)
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
payload=${WEFT_PAYLOAD:-/usr/lib/weft/bin/weft}
conflist=${WEFT_CNI_CONFLIST:-/usr/share/weft/10-weft.conflist}
bin_dir=${WEFT_CNI_BIN_DIR:-/opt/cni/bin}
conf_dir=${WEFT_CNI_CONF_DIR:-/etc/cni/net.d}
conf_name=10-weft.conflist
old_home=${WEFT_HOME_DIR:-/opt/weft}
old_home=${old_home%/}

# The old payload directory is removed wholesale: refuse anything but a dedicated one.
case $old_home in
  /*/*) ;;
  *) fail 2 "WEFT_HOME_DIR must be a dedicated directory such as /opt/weft, not '$old_home'" ;;
esac

tmp=
trap 'if [ -n "$tmp" ]; then rm -f "$tmp"; fi' EXIT

# put MODE DEST: stdin becomes DEST with MODE, through a temporary name in DEST's directory (so that the
# final mv is a rename within one filesystem); an unchanged DEST only gets its mode.
put() {
  tmp=$(dirname "$2")/.$(basename "$2").weft-install.$$
  rm -f "$tmp"
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

# Temporary files of an install that was killed half-way.
sweep() {
  rm -f "$root$bin_dir"/.weft.weft-install.* "$root$conf_dir"/.$conf_name.weft-install.*
}

# remove_old_payload: the directory an older release filled with the plugin's Java runtime, launcher and
# jar, when it holds that and nothing else (a systemd node's agent tree, say, has bin/weft-agent: kept).
remove_old_payload() {
  dir=$root$old_home
  [ -d "$dir" ] && [ ! -h "$dir" ] || return 0
  [ -f "$dir/lib/weft-cni-adapter.jar" ] && [ -e "$dir/jre/bin/java" ] || return 0
  for entry in "$dir"/* "$dir"/.[!.]* "$dir"/..?* "$dir"/bin/* "$dir"/bin/.[!.]* "$dir"/bin/..?*; do
    [ -e "$entry" ] || [ -h "$entry" ] || continue
    case $entry in
      "$dir/jre" | "$dir/bin" | "$dir/lib" | "$dir/bin/weft" | "$dir/bin/.weft.weft-install."*) ;;
      *)
        echo "install-cni: warning: $dir looks like an older Weft's plugin payload but also holds $entry; left in place, remove it by hand" >&2
        return 0
        ;;
    esac
  done
  # A failure here is reported, not fatal: the plugin and its config are in place already.
  if rm -rf "$dir/jre" "$dir/bin" "$dir/lib" && rmdir "$dir" 2>/dev/null; then
    echo "install-cni: removed $dir, an older Weft plugin's Java payload (no longer needed)"
  else
    echo "install-cni: warning: could not remove all of $dir, an older Weft plugin's Java payload (a mount point?); remove it by hand" >&2
  fi
}

if $uninstall; then
  rm -f "$root$conf_dir/$conf_name" "$root$bin_dir/weft"
  sweep
  echo "install-cni: removed $root$conf_dir/$conf_name and $root$bin_dir/weft"
  remove_old_payload
  exit 0
fi

[ -f "$payload" ] && [ -s "$payload" ] || fail 2 "plugin executable $payload is missing or empty"
[ -s "$conflist" ] || fail 2 "network config $conflist is missing or empty"
mkdir -p "$root$bin_dir" "$root$conf_dir"
sweep

put 0755 "$root$bin_dir/weft" < "$payload"
put 0644 "$root$conf_dir/$conf_name" < "$conflist"
# Only once the plugin is replaced (an older release's /opt/cni/bin/weft ran from there), and after the
# config: the node's pod network does not wait for this.
remove_old_payload

# Runtimes use the config that sorts first; say so if another network would win over Weft.
for other in "$root$conf_dir"/*.conf "$root$conf_dir"/*.conflist "$root$conf_dir"/*.json; do
  [ -e "$other" ] || continue
  name=$(basename "$other")
  if [ "$name" != "$conf_name" ] && [ "$(printf '%s\n%s\n' "$name" "$conf_name" | LC_ALL=C sort | head -n 1)" = "$name" ]; then
    echo "install-cni: warning: $other sorts before $conf_name, so the container runtime uses it instead of Weft; remove it" >&2
  fi
done
echo "install-cni: Weft CNI plugin installed in ${root:-/} ($bin_dir/weft, $conf_dir/$conf_name)"
