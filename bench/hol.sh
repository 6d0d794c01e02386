#!/usr/bin/env bash
# Writes beside an import (docs/BENCHMARKS.md): a fresh database, a release server, 20 s of
# single-row writes alone, then 30 s of the same beside 16 MiB enterprise imports.
#   bench/hol.sh BINARY LOAD_EXAMPLE DATABASE_URL LABEL
# DATABASE_URL `sqlite` makes a fresh file in a temporary folder; a postgres:// URL is emptied
# first (its public schema dropped), so give it a database of its own.
set -euo pipefail
bin=$1 load=$2 url=$3 label=$4
dir=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$dir"' EXIT
cd "$dir"
if [ "$url" = sqlite ]; then
    url="sqlite://$dir/anjian.db"
else
    psql -q "$url" -c 'DROP SCHEMA public CASCADE; CREATE SCHEMA public;'
fi
export DATABASE_URL=$url ANJIAN_BIND=127.0.0.1:18080 ANJIAN_LOGIN_RATE=100000/min \
    ANJIAN_MAX_BODY_BYTES=16777216 RUST_LOG=warn
"$bin" serve 2>"$dir/serve.log" &
pid=$!
for _ in $(seq 1 100); do
    curl -fs http://127.0.0.1:18080/readyz >/dev/null && break
    sleep 0.2
done
ANJIAN_PASSWORD=$(sed -n 's/.*with password: //p' "$dir/serve.log")
export ANJIAN_PASSWORD
common=(--base-url http://127.0.0.1:18080 --scenario create-enterprise --concurrency 8
        --warmup-secs 3 --pid "$pid")
echo "== $label: alone"
"$load" "${common[@]}" --duration-secs 20
echo "== $label: beside 16 MiB imports"
"$load" "${common[@]}" --duration-secs 30 --import-mib 16
grep -E ' ERROR ' "$dir/serve.log" || true
