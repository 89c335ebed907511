# Sourced by scripts/demo and scripts/test: installs what they need, idempotently.
# Python venv (.venv) with the testbed, npm dev packages, and (for tests) Debian's Chromium.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

say() { printf '[setup] %s\n' "$*"; }
die() { printf '[setup] error: %s\n' "$*" >&2; exit 1; }

command -v python3 >/dev/null || die "python3 (3.11 or newer) is required"
python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' || die "Python 3.11 or newer is required (found $(python3 --version))"
command -v node >/dev/null || die "Node.js 20 or newer is required (SillyTavern runs on it)"
node -e 'process.exit(Number(process.versions.node.split(".")[0]) < 20 ? 1 : 0)' || die "Node.js 20 or newer is required (found $(node --version))"
command -v npm >/dev/null || die "npm is required"

stamp_ok() { [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]; }

# Python side: a venv with the testbed installed editable; redone only when pyproject changes.
PY_HASH="$(sha256sum pyproject.toml | cut -c1-16)"
if [ ! -x .venv/bin/python ] || ! stamp_ok .bootstrap-stamp-py "$PY_HASH"; then
    say "creating the Python environment in .venv"
    python3 -m venv .venv
    # -qq: pip's own notices (and mirrors' warnings) are not the user's business; errors still show.
    .venv/bin/python -m pip install -qq --upgrade pip
    .venv/bin/python -m pip install -qq -e '.[test]'
    echo "$PY_HASH" > .bootstrap-stamp-py
fi

# npm side: TypeScript for the type check; redone only when package.json changes.
NPM_HASH="$(sha256sum package.json | cut -c1-16)"
if [ ! -d node_modules/typescript ] || ! stamp_ok .bootstrap-stamp-npm "$NPM_HASH"; then
    say "installing npm dev packages"
    npm install --no-audit --no-fund --loglevel=error
    echo "$NPM_HASH" > .bootstrap-stamp-npm
fi

# A Debian package the tests need, by the command it brings: installed with apt-get when we
# are root, else one line that says how.
need_debian() {
    local command="$1" package="$2" hint="$3"
    command -v "$command" >/dev/null && return 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        say "installing Debian's $package (apt-get)"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >/dev/null
        command -v "$command" >/dev/null && return 0
    fi
    die "$hint"
}

need_chromium() {
    [ -n "${INLINE_IMAGES_CHROMIUM:-}" ] && [ -x "${INLINE_IMAGES_CHROMIUM}" ] && return 0
    need_debian chromium chromium "Chromium is missing. Install it with 'sudo apt-get install chromium', or set INLINE_IMAGES_CHROMIUM to a Chromium binary."
}

# epubcheck (with the Java it needs) validates the exported EPUB in the tests.
need_epubcheck() {
    need_debian epubcheck epubcheck "epubcheck is missing. Install it with 'sudo apt-get install epubcheck'."
}
