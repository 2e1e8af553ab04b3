# Shared shell functions of the load scripts (http-load.sh, grpc-load.sh); sourced, not run.
# Process accounting reads /proc directly so it needs nothing beyond procps' ps and awk.
# Callers own CUR_PID (the server they started and have not stopped yet; stop_tree clears it).

tree_pids() { # the pid and its descendants
  ps -e -o pid=,ppid= | awk -v root="$1" '{par[$1]=$2} END {
    seen[root]=1; print root; more=1
    while (more) { more=0; for (c in par) if (!(c in seen) && (par[c] in seen)) { seen[c]=1; print c; more=1 } } }'
}
cpu_ticks() { # "utime stime" summed over the tree (fields 14/15 of /proc/PID/stat; comm may hold spaces)
  local u=0 s=0 p a b
  for p in $(tree_pids "$1"); do
    read -r a b < <(awk '{sub(/^.*\) /, ""); print $12, $13}' /proc/$p/stat 2>/dev/null) || continue
    u=$((u + ${a:-0})); s=$((s + ${b:-0}))
  done
  echo "$u $s"
}
hwm_kib() { local t=0 p v; for p in $(tree_pids "$1"); do
  v=$(awk '/^VmHWM:/{print $2}' /proc/$p/status 2>/dev/null); t=$((t + ${v:-0})); done; echo $t; }
stop_tree() { # TERM by PID, wait up to 10 s, then KILL what is left
  local pids p i alive
  pids=$(tree_pids "$1")
  for p in $pids; do kill -TERM "$p" 2>/dev/null; done
  for i in $(seq 100); do
    alive=0; for p in $pids; do kill -0 "$p" 2>/dev/null && alive=1; done
    [[ $alive == 0 ]] && break
    sleep 0.1
  done
  for p in $pids; do kill -0 "$p" 2>/dev/null && { echo "  (SIGKILL $p)"; kill -KILL "$p" 2>/dev/null; }; done
  wait "$1" 2>/dev/null
  [[ $1 == "${CUR_PID:-}" ]] && CUR_PID=
  return 0
}

port_free() { if command -v ss >/dev/null; then [[ -z $(ss -Htln "sport = :$1") ]]; else ! (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null; fi; }
pick_port() { local p=$1; while ! port_free "$p"; do p=$((p + 1)); done; echo "$p"; }

# wrk/h2load durations ("812.00us", "1.20ms", "2.5s", "1.0m") -> milliseconds
to_ms() { awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n = n; else if (v ~ /m$/) n *= 60000; else if (v ~ /s$/) n *= 1000; printf "%.2f", n }'; }

median() { printf '%s\n' "$@" | awk 'NF' | sort -g | awk '{a[NR] = $1} END { if (NR == 0) print ""; else if (NR % 2) print a[(NR + 1) / 2]; else printf "%.2f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# Two consecutive warm-up chunks within tol %? (prev cur tol)
stable() { awk -v a="$1" -v b="$2" -v tol="$3" \
  'BEGIN { if (a <= 0) exit 1; d = (b > a) ? b - a : a - b; m = (b > a) ? b : a; exit !(100 * d / m <= tol) }'; }
