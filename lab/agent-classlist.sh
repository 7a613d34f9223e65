#!/bin/bash
# Regenerates agent/src/main/dist/lib/weft-agent.classlist, the classes lib/weft-agent-cds.sh archives
# for the agent's start-up, from two real agents (JDK 17, after `mvn -B -DskipTests package`): one starts
# a mesh, one joins it; meshctl asks every status view and doctor, /metrics /readyz /healthz are read, a pod
# goes through CNI ADD, CHECK, DEL, ADD, STATUS and GC, a route is deleted by hand and repaired; then
# both stop on SIGTERM. Needs root; everything happens in namespaces wcl-a, wcl-b, wcl-p, which it removes.
# Usage: sudo lab/agent-classlist.sh     (~1 minute; commit the file it rewrites)
set -u
root=$(cd "$(dirname "$0")/.." && pwd -P)
W=$root/agent/target/weft
out=$root/agent/src/main/dist/lib/weft-agent.classlist
[ -x "$W/bin/weft-agent" ] || { echo "agent-classlist: build first: mvn -B -DskipTests package" >&2; exit 1; }
remove_namespaces() {
  for ns in wcl-a wcl-b wcl-p; do ip netns pids $ns 2>/dev/null | xargs -r kill -9; ip netns del $ns 2>/dev/null; done
}
remove_namespaces  # a stale run's
D=$(mktemp -d /tmp/weft-classlist.XXXXXX)
trap 'remove_namespaces; rm -rf "$D"' EXIT
mkdir -p $D/a $D/b
echo "== two nodes and a pod in namespaces wcl-a, wcl-b, wcl-p"
for ns in wcl-a wcl-b wcl-p; do ip netns add $ns; ip -n $ns link set lo up; done
ip -n wcl-a link add eth0 type veth peer name eth0 netns wcl-b
ip -n wcl-a addr add 10.77.0.1/24 dev eth0; ip -n wcl-a link set eth0 up
ip -n wcl-b addr add 10.77.0.2/24 dev eth0; ip -n wcl-b link set eth0 up
for ns in wcl-a wcl-b; do ip netns exec $ns sysctl -q -w net.ipv4.ip_forward=1; done
head -c 32 /dev/urandom | base64 > $D/secret; chmod 600 $D/secret
start() { # NETNS NAME IP [FLAG...]
  local ns=$1 n=$2 ip=$3; shift 3
  ip netns exec $ns env WEFT_JAVA_OPTS="-XX:DumpLoadedClassList=$D/$n.classlist" $W/bin/weft-agent --node-name $n \
    --node-ip $ip --state-dir $D/$n/state --api-socket $D/$n/weft.sock --rt-protos-dir none --secret-file $D/secret \
    "$@" > $D/$n/agent.log 2>&1 &
}
wait_socket() { for i in $(seq 60); do [ -S $1 ] && return 0; sleep 0.5; done; echo "agent-classlist: no agent on $1" >&2; exit 1; }
echo "== agents"
start wcl-a a 10.77.0.1; wait_socket $D/a/weft.sock
start wcl-b b 10.77.0.2 --peer 10.77.0.1; wait_socket $D/b/weft.sock
sleep 5
echo "== meshctl, metrics, probes"
for n in a b; do
  for c in "status" "status peers" "status routes" "status ipam" "status -o json" "status peers -o json" \
      "status routes -o json" "doctor"; do
    ip netns exec wcl-$n $W/bin/meshctl --socket $D/$n/weft.sock $c > /dev/null 2>&1
  done
  for p in metrics readyz healthz; do ip netns exec wcl-$n curl -s http://127.0.0.1:6782/$p > /dev/null; done
done
echo "== CNI"
cni() { # COMMAND CONFIG
  echo "$2" | ip netns exec wcl-a env CNI_COMMAND=$1 CNI_CONTAINERID=classlist CNI_NETNS=/var/run/netns/wcl-p \
    CNI_IFNAME=eth0 CNI_PATH=/opt/cni/bin $W/bin/weft
}
conf='{"cniVersion":"1.1.0","name":"weft","type":"weft","apiSocket":"'$D/a/weft.sock'"'
added=$(cni ADD "$conf}")
cni CHECK "$conf,\"prevResult\":$added}" && cni DEL "$conf}" && cni ADD "$conf}" > /dev/null && cni STATUS "$conf}" \
  && cni GC "$conf,\"cni.dev/valid-attachments\":[]}" || { echo "agent-classlist: a CNI call failed" >&2; exit 1; }
echo "== a route deleted by hand, then 30 s of mesh life"
r=$(ip -n wcl-b route show proto 87 | awk '/ via /{print $1; exit}')
[ -n "$r" ] && ip -n wcl-b route del $r proto 87
sleep 30
for n in a b; do ip netns pids wcl-$n | xargs -r kill -TERM; done
sleep 6
{
  head -3 $D/b.classlist
  cat <<'HEADER'
# Classes a weft-agent loads in a real run (lib/weft-agent-cds.sh archives them at build time), made by
# lab/agent-classlist.sh: two agents in network namespaces, one starting a mesh and one joining it, with
# meshctl, /metrics, probes, a pod's CNI ADD/CHECK/DEL/STATUS/GC and a route deleted by hand, then SIGTERM.
# A class missing here still loads (from its jar); a class named here that no longer exists is skipped.
HEADER
  cat $D/b.classlist $D/a.classlist | grep -v '^#' | awk '!seen[$0]++'
} > "$out"
echo "== wrote $out ($(grep -vc '^#' "$out") classes)"
