# ops/lib.sh - shared by ops/run, ops/test and ops/bench: dependencies, build, private PostgreSQL.
# Sourced, not run. Everything a fresh Debian 12 machine lacks is installed here.

FAIRGATE_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export FAIRGATE_ROOT

# Debian packages the build, the tests and the gateway need.
FAIRGATE_PACKAGES="build-essential cmake pkg-config git ca-certificates curl
  libevent-dev libpq-dev libjansson-dev libssl-dev libcurl4-openssl-dev libcmocka-dev
  postgresql postgresql-contrib clang libclang-rt-14-dev openssl valgrind python3"

say() { printf '==> %s\n' "$*" >&2; }

# Installs whatever of the packages (plus extra ones given) is missing.
ensure_packages() {
  local missing=()
  for p in $FAIRGATE_PACKAGES "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# build DIR [cmake args...]: configures and builds into DIR.
build() {
  local dir=$1; shift
  cmake -S "$FAIRGATE_ROOT" -B "$dir" "$@" >/dev/null
  cmake --build "$dir" -j"$(nproc)"
}
