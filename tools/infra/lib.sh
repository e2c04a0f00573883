# shellcheck shell=bash
# Shared helpers for tools/infra/*.sh. Source it, do not run it.

RECMESH_CACHE="${RECMESH_CACHE:-${HOME:-/tmp}/.cache/recmesh}"
RECMESH_RUN="${RECMESH_RUN:-/tmp/recmesh-run}"
export RECMESH_CACHE RECMESH_RUN

infra_log() { printf '[%s] %s\n' "${INFRA_NAME:-infra}" "$*" >&2; }
infra_die() { printf '[%s] ERROR: %s\n' "${INFRA_NAME:-infra}" "$*" >&2; exit 1; }

# Run a command as root (directly when we are root, else via sudo).
as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo -n "$@"
  else
    infra_die "need root (or sudo) to run: $*"
  fi
}

_APT_UPDATED=0
apt_update_once() {
  [ "$_APT_UPDATED" -eq 1 ] && return 0
  infra_log "apt-get update"
  mkdir -p "$RECMESH_RUN"
  if ! as_root apt-get -o DPkg::Lock::Timeout=300 update -qq >>"$RECMESH_RUN/apt.log" 2>&1; then
    tail -n 20 "$RECMESH_RUN/apt.log" >&2
    infra_die "apt-get update failed (log: $RECMESH_RUN/apt.log)"
  fi
  _APT_UPDATED=1
}

# apt_install PKG...  (non-interactive, no recommends; updates the package
# lists first when they are missing, and once more if the install fails
# because they are stale).
apt_install() {
  command -v apt-get >/dev/null 2>&1 || infra_die "apt-get not found; install manually: $*"
  # refresh the package lists first when they are missing or older than a day
  if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null \
     || [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' -mmin -1440 2>/dev/null | head -n1)" ]; then
    apt_update_once
  fi
  mkdir -p "$RECMESH_RUN"
  local log="$RECMESH_RUN/apt.log"
  infra_log "apt-get install $* (log: $log)"
  local cmd=(env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300
             install -y -q --no-install-recommends "$@")
  if ! as_root "${cmd[@]}" >>"$log" 2>&1; then
    if [ "$_APT_UPDATED" -eq 1 ]; then
      tail -n 20 "$log" >&2; infra_die "apt-get install $* failed (log: $log)"
    fi
    apt_update_once
    if ! as_root "${cmd[@]}" >>"$log" 2>&1; then
      tail -n 20 "$log" >&2; infra_die "apt-get install $* failed (log: $log)"
    fi
  fi
}

# pid_alive PID -> 0 if a process with that pid exists (and is not a zombie).
pid_alive() {
  local pid="${1:-}"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  local state
  state="$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || true)"
  [ "$state" != "Z" ]
}

# pid_cmdline_has PID STRING -> 0 if the process' command line contains STRING.
pid_cmdline_has() {
  [ -r "/proc/$1/cmdline" ] || return 1
  tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -qF -- "$2"
}

# port_open HOST PORT -> 0 if something accepts TCP connections there.
port_open() {
  (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

# stop_pid PID NAME [TIMEOUT_S]: SIGTERM, wait, then SIGKILL.
stop_pid() {
  local pid="$1" name="$2" timeout="${3:-30}" i
  pid_alive "$pid" || return 0
  infra_log "stopping $name (pid $pid, SIGTERM)"
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < timeout * 10; i++)); do
    pid_alive "$pid" || return 0
    sleep 0.1
  done
  infra_log "$name did not stop within ${timeout}s, sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    pid_alive "$pid" || return 0
    sleep 0.1
  done
  infra_die "could not kill $name (pid $pid)"
}

# find_pids_with STRING: pids of processes whose command line contains STRING
# (used as a fallback when a pid file is lost; STRING is always a path that is
# specific to our own run directory).
find_pids_with() {
  local d pid
  for d in /proc/[0-9]*; do
    pid="${d#/proc/}"
    [ "$pid" = "$$" ] && continue
    [ "$pid" = "$BASHPID" ] && continue
    if [ -r "$d/cmdline" ] && tr '\0' ' ' <"$d/cmdline" 2>/dev/null | grep -qF -- "$1"; then
      # skip shells that merely have the string in their arguments (e.g. grep)
      case "$(cat "$d/comm" 2>/dev/null)" in
        java|mariadbd|mysqld) echo "$pid" ;;
      esac
    fi
  done
}
