#!/usr/bin/env bash
# Makes the upgrade fixtures: a database of each backend written by a released `keel` binary
# through its public interfaces (admin API, data plane), dumped as SQL text. The upgrade tests
# (StorageUpgradeTests) load a dump into a fresh database and open it with the current code.
#
#   make-upgrade-fixtures.sh KEEL_BINARY POSTGRES_URL NAME
#
# KEEL_BINARY is `keel` built from the commit the fixture stands for; POSTGRES_URL a server the
# script may create the schema `keel_fixture` in; NAME the fixture's name (e.g. `schema-0015`).
# Needs curl, sqlite3 and pg_dump. Writes NAME.sqlite.sql and NAME.postgres.sql next to itself.
set -euo pipefail
keel="$1"; postgres_url="$2"; name="$3"
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'kill "${pid:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
admin="sk-admin-fixture-0123456789"

populate() {  # $1: storage url, $2: extra storage line
  local port=$(( 20000 + RANDOM % 20000 ))
  cat > "$work/keel.yaml" <<YAML
server: { host: 127.0.0.1, port: $port }
storage: { url: "$1" $2 }
admin_key: $admin
providers:
  - { name: sim, kind: simulator }
models:
  - name: keel-sim-chat
    routes: [ { provider: sim, model: keel-sim-chat } ]
YAML
  "$keel" serve --config "$work/keel.yaml" >"$work/serve.log" 2>&1 & pid=$!
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
  local base="http://127.0.0.1:$port"
  api() { curl -fsS -X "$1" "$base/admin/v1$2" -H "authorization: Bearer $admin" -H 'content-type: application/json' ${3:+-d "$3"}; echo; }
  api POST /orgs '{"id":"acme","name":"Acme"}'
  api POST /teams '{"id":"search","org":"acme","name":"Search"}'
  api POST /teams '{"id":"ads","org":"acme","name":"Ads"}'
  api POST /projects '{"id":"ranking","team":"search","name":"Ranking"}'
  api POST /users '{"id":"ada","org":"acme","name":"Ada","email":"ada@example.com","default_team":"search"}'
  key=$(api POST /keys '{"name":"ranker","team":"search","project":"ranking","user":"ada","tags":{"env":"prod"}}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')
  api POST /keys '{"name":"viewer","org":"acme","role":"viewer"}' >/dev/null
  api POST /budgets '{"id":"search-daily","name":"Search daily","scope":"team","scope_id":"search","period":"daily","limit_usd":"25.00","soft_limit_usd":"20.00","time_zone":"Europe/Berlin"}'
  api POST /rate-limits '{"id":"search-rpm","team":"search","rpm":600,"max_concurrent":8}'
  for i in 1 2 3 4 5; do
    outcome=success; [ "$i" = 4 ] && outcome=failure; [ "$i" = 5 ] && outcome=""
    curl -fsS "$base/v1/chat/completions" -H "authorization: Bearer $key" -H 'content-type: application/json' \
      -H "x-keel-agent: planner" -H "x-keel-task: task-$i" ${outcome:+-H "x-keel-task-outcome: $outcome"} \
      -d "{\"model\":\"keel-sim-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"fixture request $i\"}]}" >/dev/null
  done
  curl -fsS "$base/v1/chat/completions" -H "authorization: Bearer $key" -H 'content-type: application/json' \
    -d '{"model":"keel-sim-chat","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"fixture stream"}]}' >/dev/null
  curl -sS "$base/v1/chat/completions" -H "authorization: Bearer $key" -H 'content-type: application/json' \
    -d '{"model":"keel-sim-chat","messages":[{"role":"user","content":"[sim status=503] fixture failure"}]}' >/dev/null
  kill -TERM "$pid"; wait "$pid" || true; pid=
}

populate "sqlite://$work/keel.sqlite" ""
sqlite3 "$work/keel.sqlite" .dump > "$here/$name.sqlite.sql"

psql_url="$postgres_url"
psql -X -q "$psql_url" -c 'DROP SCHEMA IF EXISTS keel_fixture CASCADE'
populate "$postgres_url" ", schema: keel_fixture"
pg_dump --inserts --no-owner --no-privileges --schema=keel_fixture "$psql_url" \
  | grep -v '^SET \|^SELECT pg_catalog.set_config\|^--\|^$\|^\\restrict\|^\\unrestrict' > "$here/$name.postgres.sql"
psql -X -q "$psql_url" -c 'DROP SCHEMA keel_fixture CASCADE'
echo "wrote $here/$name.sqlite.sql and $here/$name.postgres.sql"
