# Sourced by scripts/test.sh and bench/run.sh: makes the machine ready for the tests and the
# benchmark. Idempotent and fast on reruns; on a fresh Debian machine (as root) it installs
# what they need first: node_modules (npm ci), PostgreSQL 15, moto[server] in
# .test-env/venv, httpx and pytest in .test-env/py, Debian's chromium (for the browser test,
# driven by playwright-core, which never downloads a browser), and a test CA plus a server
# certificate for 127.0.0.1/localhost in .test-env/tls. It exports NODE_EXTRA_CA_CERTS and NODE_OPTIONS for every process after it.
# Postgres and moto themselves are started by testenv/ (jest's global setup, the benchmark).
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
ENV_DIR="$ROOT/.test-env"
MOTO_PIN='moto[server]==5.2.5'
PG_BIN="${ALTER_TEST_PG_BIN:-/usr/lib/postgresql/15/bin}"

log() { printf '[test-env] %s\n' "$*" >&2; }

apt_install() {
  if [ "$(id -u)" != 0 ]; then log "missing: $*; install it (as root: apt-get install $*)"; exit 1; fi
  log "apt-get install $*"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

mkdir -p "$ENV_DIR"

# node_modules: npm ci only when missing or older than the lockfile.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log 'npm ci'
  npm ci --no-audit --no-fund
fi

command -v openssl >/dev/null || apt_install openssl
[ -x "$PG_BIN/initdb" ] || apt_install postgresql-15
# The connect flow's browser test launches /usr/bin/chromium (playwright-core downloads no browser).
[ -x /usr/bin/chromium ] || apt_install chromium

# moto in a venv, reinstalled when the pin changes.
if [ "$(cat "$ENV_DIR/venv/.installed" 2>/dev/null)" != "$MOTO_PIN" ]; then
  command -v python3 >/dev/null || apt_install python3
  rm -rf "$ENV_DIR/venv"
  if ! python3 -m venv "$ENV_DIR/venv" 2>/dev/null; then
    rm -rf "$ENV_DIR/venv"
    apt_install python3-venv
    python3 -m venv "$ENV_DIR/venv"
  fi
  log "pip install $MOTO_PIN"
  "$ENV_DIR/venv/bin/pip" install -q --disable-pip-version-check "$MOTO_PIN"
  echo "$MOTO_PIN" >"$ENV_DIR/venv/.installed"
fi

# The Python SDK's test dependencies, in their own venv, reinstalled when the pins change.
PY_PINS='httpx==0.28.1 pytest==8.4.2'
if [ "$(cat "$ENV_DIR/py/.installed" 2>/dev/null)" != "$PY_PINS" ]; then
  rm -rf "$ENV_DIR/py"
  python3 -m venv "$ENV_DIR/py" 2>/dev/null || { rm -rf "$ENV_DIR/py"; apt_install python3-venv; python3 -m venv "$ENV_DIR/py"; }
  log "pip install $PY_PINS"
  # shellcheck disable=SC2086 # the pins are words
  "$ENV_DIR/py/bin/pip" install -q --disable-pip-version-check $PY_PINS
  echo "$PY_PINS" >"$ENV_DIR/py/.installed"
fi

# Test CA + server certificate, made in a scratch directory and moved in whole.
TLS="$ENV_DIR/tls"
if [ ! -f "$TLS/ca.pem" ] || [ ! -f "$TLS/server.pem" ] || [ ! -f "$TLS/server-key.pem" ]; then
  log "generating test TLS material in $TLS"
  tmp="$(mktemp -d "$ENV_DIR/tls.XXXXXX")"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
    -subj '/CN=Alter Vault test CA' -keyout "$tmp/ca-key.pem" -out "$tmp/ca.pem" \
    -addext 'basicConstraints=critical,CA:TRUE' -addext 'keyUsage=critical,keyCertSign,cRLSign' 2>/dev/null
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -subj '/CN=localhost' -keyout "$tmp/server-key.pem" -out "$tmp/server.csr" 2>/dev/null
  printf '%s\n' 'subjectAltName=IP:127.0.0.1,DNS:localhost' 'basicConstraints=critical,CA:FALSE' \
    'keyUsage=critical,digitalSignature' 'extendedKeyUsage=serverAuth' >"$tmp/server.ext"
  openssl x509 -req -in "$tmp/server.csr" -CA "$tmp/ca.pem" -CAkey "$tmp/ca-key.pem" -CAcreateserial \
    -days 825 -extfile "$tmp/server.ext" -out "$tmp/server.pem" 2>/dev/null
  rm -f "$tmp/server.csr" "$tmp/server.ext" "$tmp/ca.srl"
  chmod 600 "$tmp"/*-key.pem
  chmod 755 "$tmp"
  rm -rf "$TLS"
  mv "$tmp" "$TLS"
fi

# Every jest process (and the workers it forks) trusts the test CA from its start. A CA file the
# machine already set (a registry proxy's, say) stays trusted: the variable takes one file only.
if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -f "$NODE_EXTRA_CA_CERTS" ] && [ "$NODE_EXTRA_CA_CERTS" != "$TLS/ca.pem" ] && [ "$NODE_EXTRA_CA_CERTS" != "$TLS/trust.pem" ]; then
  cat "$NODE_EXTRA_CA_CERTS" "$TLS/ca.pem" >"$TLS/trust.pem"
  export NODE_EXTRA_CA_CERTS="$TLS/trust.pem"
else
  export NODE_EXTRA_CA_CERTS="$TLS/ca.pem"
fi
# PGlite loads its wasm through a dynamic import(), which jest's vm sandbox only allows with this flag.
export NODE_OPTIONS="${NODE_OPTIONS:+$NODE_OPTIONS }--experimental-vm-modules"
# The AWS SDK's notice that it will drop Node 20 (in 2027) would otherwise repeat in every test file.
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
