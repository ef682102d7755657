#!/usr/bin/env bash
# An emulated cluster on this machine (needs root): N hosts, each a network namespace on one bridge with its own
# address, its own hostname and its own private folder, plus the Open MPI rsh agent that enters a host.
#
#   launch/emulated-cluster.sh up N              make host1..hostN (replacing an earlier emulated cluster)
#   launch/emulated-cluster.sh down              remove the namespaces and the bridge (the host folders stay)
#   launch/emulated-cluster.sh status            the hosts, their links and the hostfile
#   launch/emulated-cluster.sh mpirun ARGS...    launch/cluster.sh over the hosts, e.g.
#                                                  mpirun -n 4 train --data DIR/private/GTSRB --cache-dir ...
#   launch/emulated-cluster.sh exec HOST CMD...  run a command on a host (its network, hostname and folder)
#   launch/emulated-cluster.sh cut HOST | heal HOST          take a host's link down / bring it back
#   launch/emulated-cluster.sh shape HOST RATE | unshape HOST  rate-limit a host's link (tc tbf), e.g. 1gbit
#
# Host i has address NET.i on NET.0/24 (the bridge holds NET.254), hostname host<i>, and sees its own folder
# DIR/host<i> at DIR/private: the same path on every host, with different contents, as on machines that share
# no disk. Everything else (the binary, the system) is the machine's.
# Environment: GTSRB_CLUSTER_NAME (default gdc; prefixes the namespaces and links), GTSRB_CLUSTER_DIR (default
# /tmp/gtsrb-cluster-NAME), GTSRB_CLUSTER_NET (default 10.213.7).
set -euo pipefail
name=${GTSRB_CLUSTER_NAME:-gdc}
dir=${GTSRB_CLUSTER_DIR:-/tmp/gtsrb-cluster-$name}
net=${GTSRB_CLUSTER_NET:-10.213.7}
here=$(cd "$(dirname "$0")" && pwd)
bridge="$name-br"

die() {
  echo "emulated-cluster: $*" >&2
  exit 1
}

# The host number of HOST (host2, 2 or NET.2).
index() {
  local h=${1#host}
  h=${h##*.}
  [[ "$h" =~ ^[0-9]+$ ]] && [ -f "$dir/hosts" ] && grep -qx "$h" "$dir/hosts" \
    || die "no emulated host '$1' (see: $0 status)"
  echo "$h"
}

down() {
  if [ -f "$dir/hosts" ]; then
    while read -r i; do
      ip netns pids "$name-host$i" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
      ip netns del "$name-host$i" 2>/dev/null || true
      ip link del "$name-h$i" 2>/dev/null || true
    done < "$dir/hosts"
    rm -f "$dir/hosts"
  fi
  ip link del "$bridge" 2>/dev/null || true
}

up() {
  local n=$1
  [[ "$n" =~ ^[0-9]+$ ]] && [ "$n" -ge 1 ] && [ "$n" -le 200 ] || die "up N: N must be 1..200, not '$n'"
  [ "$(id -u)" = 0 ] || die "needs root (network namespaces, bind mounts)"
  ip netns add "$name-probe" 2>/dev/null || die "cannot create network namespaces here (ip netns add refused)"
  ip netns del "$name-probe"
  down
  mkdir -p "$dir/private"
  ip link add "$bridge" type bridge
  ip addr add "$net.254/24" dev "$bridge"
  ip link set "$bridge" up
  : > "$dir/hostfile"
  for i in $(seq 1 "$n"); do
    ip netns add "$name-host$i"
    ip link add "$name-h$i" type veth peer name eth0 netns "$name-host$i"
    ip link set "$name-h$i" master "$bridge" up
    ip -n "$name-host$i" addr add "$net.$i/24" dev eth0
    ip -n "$name-host$i" link set eth0 up
    ip -n "$name-host$i" link set lo up
    mkdir -p "$dir/host$i"
    echo "$i" >> "$dir/hosts"
    echo "$net.$i slots=$(nproc)" >> "$dir/hostfile"
  done
  # Open MPI's rsh agent: called as AGENT HOST WORDS..., it runs the words (shell syntax) on that host.
  cat > "$dir/rsh-agent" <<EOF
#!/usr/bin/env bash
exec "$here/emulated-cluster.sh" exec "\$@"
EOF
  chmod +x "$dir/rsh-agent"
  status
}

# Whether host I reaches the bridge again (within 20 s): a TCP connection to a closed port there is refused
# at once when the path is up.
reachable() {
  for _ in $(seq 1 40); do
    local rc=0
    ip netns exec "$name-host$1" timeout 1 bash -c "exec 3<>/dev/tcp/$net.254/9" 2>/dev/null || rc=$?
    [ "$rc" = 1 ] && return 0
    sleep 0.5
  done
  return 1
}

status() {
  [ -f "$dir/hosts" ] || {
    echo "no emulated cluster '$name' (start one with: $0 up N)"
    return
  }
  while read -r i; do
    local state
    state=$(cat "/sys/class/net/$name-h$i/operstate" 2>/dev/null || echo missing)
    echo "host$i  $net.$i  link $state  folder $dir/host$i (seen as $dir/private there)"
  done < "$dir/hosts"
  echo "hostfile: $dir/hostfile; run: $0 mpirun -n RANKS train ..."
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
  up) up "${1:?usage: $0 up N}" ;;
  down) down; echo "emulated cluster '$name' removed (host folders kept in $dir)" ;;
  status) status ;;
  exec)
    i=$(index "${1:?usage: $0 exec HOST COMMAND...}")
    shift
    exec ip netns exec "$name-host$i" unshare --mount --uts --propagation private bash -c \
      "hostname host$i && mount --bind '$dir/host$i' '$dir/private' && $*"
    ;;
  cut)
    i=$(index "${1:?usage: $0 cut HOST}")
    ip link set "$name-h$i" down
    ;;
  heal)
    i=$(index "${1:?usage: $0 heal HOST}")
    ip link set "$name-h$i" up
    reachable "$i" || die "host$i still cannot reach the bridge 20 s after its link came back"
    ;;
  shape)
    i=$(index "${1:?usage: $0 shape HOST RATE}")
    ip netns exec "$name-host$i" tc qdisc replace dev eth0 root tbf rate "${2:?usage: $0 shape HOST RATE}" \
      burst 256kb latency 50ms
    ;;
  unshape)
    i=$(index "${1:?usage: $0 unshape HOST}")
    ip netns exec "$name-host$i" tc qdisc del dev eth0 root 2>/dev/null || true
    ;;
  mpirun)
    [ -f "$dir/hosts" ] || die "no emulated cluster '$name' (start one with: $0 up N)"
    exec "$here/cluster.sh" --hostfile "$dir/hostfile" --iface "$net.0/24" --agent "$dir/rsh-agent" \
      --bind-to none "$@"
    ;;
  *) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; [ -z "$cmd" ] || exit 2 ;;
esac
