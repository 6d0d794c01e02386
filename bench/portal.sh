#!/usr/bin/env bash
# The portal's speed and weight (PORTAL 7.6, docs/BENCHMARKS.md): the city year on a fresh
# SQLite file, a release server, an enterprise account for the enterprise with the most
# hazards, then 20 s at 32 clients of each page given, signed in through the portal's form,
# and each page's weight with its CSS and script, uncompressed and gzip.
#   bench/portal.sh BINARY LOAD_EXAMPLE PAGE...     (e.g. /e/ /e/apply/hazchem_business_no_storage)
set -euo pipefail
bin=$1 load=$2
shift 2
dir=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$dir"' EXIT
cd "$dir"
base=http://127.0.0.1:18081
export DATABASE_URL="sqlite://$dir/anjian.db" ANJIAN_BIND=127.0.0.1:18081 \
    ANJIAN_LOGIN_RATE=100000/min RUST_LOG=warn
"$bin" seed city-year --scale 1 --seed 2021 >"$dir/seed.log" 2>&1
admin=$(sed -n 's/.*with password: //p' "$dir/seed.log")
"$bin" serve 2>"$dir/serve.log" &
pid=$!
for _ in $(seq 1 100); do
    curl -fs "$base/readyz" >/dev/null && break
    sleep 0.2
done
token=$(curl -fs "$base/api/v1/auth/login" -H 'content-type: application/json' \
    -d "{\"username\":\"admin\",\"password\":\"$admin\"}" | sed 's/.*"access_token":"\([^"]*\)".*/\1/')
enterprise=$(curl -fs "$base/api/v1/hazards?limit=200" -H "authorization: Bearer $token" |
    grep -o '"enterprise_id":[0-9]*' | sort | uniq -c | sort -rn | awk -F: 'NR == 1 { print $2 }')
export ANJIAN_PASSWORD="Bench-portal-2026-x"
curl -fs "$base/api/v1/users" -H "authorization: Bearer $token" -H 'content-type: application/json' \
    -d "{\"username\":\"bench.ent\",\"password\":\"$ANJIAN_PASSWORD\",\"role\":\"enterprise\",\"enterprise_id\":$enterprise,\"display_name\":\"bench\"}" >/dev/null
echo "enterprise $enterprise signs in as bench.ent"
# A session for the weights, through the same form.
curl -fs -c "$dir/jar" -b "$dir/jar" "$base/login" -o "$dir/login.html"
csrf=$(sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' "$dir/login.html" | awk 'NR == 1')
curl -fs -c "$dir/jar" -b "$dir/jar" -H "origin: $base" "$base/login" -o /dev/null \
    --data-urlencode "csrf=$csrf" --data-urlencode "username=bench.ent" \
    --data-urlencode "password=$ANJIAN_PASSWORD" --data-urlencode "next="
weight() { # PATH [gzip]
    if [ "${2:-}" = gzip ]; then
        curl -fs -b "$dir/jar" -H 'accept-encoding: gzip' -o /dev/null -w '%{size_download}' "$base$1"
    else
        curl -fs -b "$dir/jar" -o /dev/null -w '%{size_download}' "$base$1"
    fi
}
for page in "$@"; do
    echo "== $page"
    "$load" --base-url "$base" --username bench.ent --scenario page --page "$page" \
        --concurrency 32 --warmup-secs 3 --duration-secs 20 --pid "$pid"
    html=$(curl -fs -b "$dir/jar" "$base$page")
    assets=$(printf '%s' "$html" | grep -o '/assets/[^"]*' | sort -u)
    plain=$(weight "$page") packed=$(weight "$page" gzip)
    for a in $assets; do
        plain=$((plain + $(weight "$a"))) packed=$((packed + $(weight "$a" gzip)))
    done
    echo "weight with $(echo "$assets" | wc -w) assets: ${plain} B, gzip ${packed} B"
done
grep -E ' ERROR ' "$dir/serve.log" || true
