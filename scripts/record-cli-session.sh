#!/usr/bin/env bash
# Records docs/cli-session.txt: starts a real Loupe server (embedded PGlite in a fresh temporary
# folder, 127.0.0.1:$PORT), then runs a whole round of the `loupe` CLI, each command inside a
# pseudo-terminal (script(1)) so progress bars draw as they do for a person. Escape codes are
# stripped and carriage-return redraws become lines. Usage: scripts/record-cli-session.sh > docs/cli-session.txt
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PORT=${PORT:-3118}
URL=http://127.0.0.1:$PORT
WORK=$(mktemp -d /tmp/loupe-session-XXXXXX)
TOKEN=lp_session_admin_token_0123456789abcdef
mkdir -p "$WORK/bin"
printf '#!/bin/sh\nexec node %s/bin/loupe.mjs "$@"\n' "$ROOT" > "$WORK/bin/loupe"
chmod +x "$WORK/bin/loupe"
export PATH="$WORK/bin:$PATH" LOUPE_CONFIG="$WORK/config.json"
unset LOUPE_URL LOUPE_TOKEN

# The server, in its own process group; stopped on exit.
setsid env PORT=$PORT LOUPE_DATA_DIR="$WORK/data" LOUPE_EXPORT_DIR="$WORK/exports" LOUPE_ADMIN_TOKEN=$TOKEN LOG_LEVEL=warn \
  node --import tsx "$ROOT/src/main/server.ts" > "$WORK/server.log" 2>&1 &
SERVER=$!
trap 'kill -TERM -- -$SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 240); do curl -sf "$URL/readyz" > /dev/null && break; sleep 0.5; done
curl -sf "$URL/readyz" > /dev/null || { cat "$WORK/server.log" >&2; exit 1; }
cd "$WORK"

# A redraw (cursor to column 1, or restore the saved position) starts a new line; other escape codes go.
clean() { sed -e 's/\x1b8/\n/g; s/\x1b7//g; s/\x1b\[1G/\n/g' -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' -e 's/\r$//' | tr '\r' '\n' | sed -e '/^[[:space:]]*$/d'; }
# `step <command>`: prints it, runs it once in a pseudo-terminal (script -e returns its exit code),
# prints what it wrote and its exit code.
LAST=""
step() {
  echo "\$ $1"
  set +e
  LAST=$(script -qec "$1" /dev/null 2>&1)
  local code=$?
  set -e
  LAST=$(printf '%s' "$LAST" | clean)
  [ -n "$LAST" ] && printf '%s\n' "$LAST"
  echo "(exit $code)"
  echo
}
id() { printf '%s' "$LAST" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s.slice(s.indexOf("{"))).id))'; }

echo "# A real terminal session of the loupe CLI, recorded by scripts/record-cli-session.sh against a"
echo "# server on $URL (embedded PGlite); each command ran in a pseudo-terminal (script(1)),"
echo "# escape codes stripped, the progress bars' redraws shown one per line as they were written."
echo

step "loupe login --url $URL --token $TOKEN"
step "ls -l config.json | cut -d' ' -f1,5"
step "loupe --json projects create 'Support QA'"
PROJECT=$(id)
step "loupe projects list"
step "loupe --json datasets create $PROJECT messages"
DATASET=$(id)
node -e '
const moods = ["positive", "negative", "neutral"];
const lines = [];
for (let i = 0; i < 3000; i++) lines.push(JSON.stringify({ kind: "text", externalId: `msg-${i}`, payload: { text: `Support message ${i}: ${"the order arrived late and the box was damaged ".repeat(2)}` }, metadata: { mood: moods[i % 3] } }));
require("fs").writeFileSync("reviews.jsonl", lines.join("\n") + "\n");'
step "wc -l reviews.jsonl"
step "loupe items import $DATASET reviews.jsonl"
printf '%s\n' '{"name":"sentiment","labels":[{"name":"positive"},{"name":"negative"},{"name":"neutral"}],"tools":["classification"]}' > recipe.json
step "loupe --json recipes create $PROJECT @recipe.json"
RECIPE=$(id)
ME=$(node "$ROOT/bin/loupe.mjs" --json users me | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).id))')
printf '{"name":"Sentiment of support messages","type":"labeling","datasetId":"%s","recipeId":"%s","assigneeIds":["%s"],"allocation":{"method":"pulling","batchSize":2}}\n' "$DATASET" "$RECIPE" "$ME" > task.json
step "cat task.json"
step "loupe --json tasks create $PROJECT task.json"
TASK=$(id)
step "loupe tasks show $TASK"
step "loupe tasks transition $TASK in_progress"
step "loupe --json tasks pull $TASK"
ITEMS=$(printf '%s' "$LAST" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s.slice(s.indexOf("["))).map(u=>u.itemId).join(" ")))')
FIRST=${ITEMS%% *}
SECOND=${ITEMS##* }
step "loupe annotations set $TASK $FIRST '[{\"tool\":\"classification\",\"label\":\"negative\"}]'"
step "loupe statuses set $TASK $FIRST completed"
step "loupe annotations set $TASK $SECOND '[{\"tool\":\"classification\",\"label\":\"neutral\"}]'"
step "loupe statuses set $TASK $SECOND completed"
step "loupe --json exports create $PROJECT --task $TASK --format jsonl"
EXPORT=$(id)
step "loupe exports download $EXPORT --wait --out annotations.jsonl"
step "loupe exports status $EXPORT"
step "wc -l annotations.jsonl"
step "grep -c '\"negative\"' annotations.jsonl"
step "loupe tasks lock $TASK"
step "loupe statuses remove $TASK $FIRST"
step "loupe tasks unlock $TASK"
step "loupe --url http://127.0.0.1:9 projects list"
step "loupe tasks frobnicate"
step "loupe webhooks create $PROJECT https://example.com/loupe --events task.created,item.status_set,export.completed"
step "loupe notifications count"
step "loupe completion bash | head -3"
step "loupe logout"
