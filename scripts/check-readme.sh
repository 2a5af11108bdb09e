#!/usr/bin/env bash
# Runs the commands of the READMEs' code blocks and checks what they do.
#
# Every command line of the `sh` code blocks of README.md and
# crates/voxys-cli/README.md (continuation lines joined, trailing `# ...`
# comments dropped), and every `text` block that starts with `$ command`
# (the rest of the block is that command's output), must be in the table
# below: run, with the exit code and a fragment of its output (stdout and
# stderr together) it must give, or skipped with the reason. A README
# command the table does not know fails the check, and so does a table entry
# no README has any more: the READMEs and this check cannot drift apart.
#
# How they run:
# - `voxys` is the binary `cargo build -p voxys-cli` makes (in
#   CARGO_TARGET_DIR, as .ci/run sets it), first on PATH; `cargo run ...`
#   is cargo, run on this workspace from any folder (--manifest-path).
# - Each code block runs in a folder of its own, its commands in README
#   order; a block's `voxys` commands go to a fresh mock (`voxys mock --port
#   0 --tls`, its data the defaults: seed 42, accounts 1 and 2 of 120 leads),
#   with VOXYS_BASE_URL, VOXYS_API_TOKEN and VOXYS_ACCOUNT_ID=1 read from its
#   banner and VOXYS_CA_CERT its CA, over HTTPS as against the service. The
#   README's ids are those of that data.
# - No terminal (setsid, stdin from /dev/null): what asks on a terminal
#   refuses there, so those commands run with `--yes` (the README says
#   "asks; --yes"); the table says so for each.
# - A server (`voxys mock`, the mock's binary) runs in the background on a
#   free port (`--port 0` appended) until its banner shows, then is stopped.
# - Pipelines run with pipefail: each side of a pipe must succeed.
#
# Usage: bash scripts/check-readme.sh [-v]   (-v prints each command's output)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
verbose=""
[ "${1:-}" = "-v" ] && verbose=1

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/voxys-connect/target}"
export CARGO_TERM_COLOR=never

# --- The table ---------------------------------------------------------------
#
# run  'COMMAND' EXIT 'FRAGMENT' [options]   run it; FRAGMENT '' means: no output
# skip 'COMMAND' 'REASON'                    not run, and why
# Options:
#   --as 'COMMAND'     run this safe form instead (with --why)
#   --why 'REASON'     why the safe form
#   --setup 'SHELL'    run first, in the block's folder (must succeed)
#   --file PATH        check FRAGMENT in this file, not in the output
#   --env mock|none    VOXYS_* set for the block's mock (default for `voxys`
#                      commands), or unset (default for the others)
#   --needs TOOL       skipped (and said so) where TOOL is not installed
#   --server           a server: started in the background, FRAGMENT awaited
#                      in its banner, stopped at the end of its block
#   --output           (a `$ command` text block) stdout must equal the block
declare -A KIND EXIT FRAG AS WHY SETUP FILE ENVMODE NEEDS SEEN
ORDER=()

entry() {
  local kind=$1 cmd=$2
  shift 2
  if [ -n "${KIND[$cmd]+x}" ]; then
    echo "check-readme: the table lists '$cmd' twice" >&2
    exit 2
  fi
  KIND[$cmd]=$kind
  ORDER+=("$cmd")
  if [ "$kind" = skip ]; then
    WHY[$cmd]=$1
    return
  fi
  EXIT[$cmd]=$1
  FRAG[$cmd]=$2
  shift 2
  while [ $# -gt 0 ]; do
    case $1 in
      --as) AS[$cmd]=$2; shift 2 ;;
      --why) WHY[$cmd]=$2; shift 2 ;;
      --setup) SETUP[$cmd]=$2; shift 2 ;;
      --file) FILE[$cmd]=$2; shift 2 ;;
      --env) ENVMODE[$cmd]=$2; shift 2 ;;
      --needs) NEEDS[$cmd]=$2; shift 2 ;;
      --server) KIND[$cmd]=server; shift ;;
      --output) KIND[$cmd]=output; shift ;;
      *) echo "check-readme: bad option $1 for '$cmd'" >&2; exit 2 ;;
    esac
  done
  if [ -n "${AS[$cmd]+x}" ] && [ -z "${WHY[$cmd]+x}" ]; then
    echo "check-readme: '$cmd' has --as without --why" >&2
    exit 2
  fi
}
run() { entry run "$@"; }
skip() { entry skip "$@"; }

yes_why='asks on a terminal and refuses without one (exit 2); --yes answers yes, as the README comment says'

# README.md: Try it
run 'cargo run --example quickstart' 0 'Streamed'
skip 'cargo test --workspace' 'the test step of .ci/run runs it, just before this check'
run 'cargo run -p voxys-connect --example crm_tour' 0 'company 1022 is gone'
run 'cargo run -p voxys-connect --example sales_pipeline' 0 'stage_changed'
run 'cargo run -p voxys-connect --example list_leads' 0 'page 1 of' --env mock
run 'cargo run -p voxys-connect --example export_leads > leads.ndjson' 0 '"custom_name"' \
  --env mock --file leads.ndjson
run 'cargo run -p voxys-connect --example import_leads_csv -- leads.csv' 0 '2 leads created, 0 lines failed' --env mock \
  --setup 'printf "custom_name,lead_value,lead_currency,company_id\nAcme renewal,15000.50,USD,10\nGlobex upsell,2500,EUR,\n" > leads.csv'
run 'cargo run -p voxys-connect --example dedupe_companies' 0 'companies merged away' --env mock
# README.md: Changing leads and companies
run 'cargo run -p voxys-connect --example update_leads' 0 'became card'
# (crm_tour again: listed above)
# README.md: HTTPS
run 'cargo run -p voxys-connect-mock -- --tls --token dev --write-ca /tmp/mock-ca.pem &' 0 'url:' --server \
  --as 'cargo run -p voxys-connect-mock -- --tls --token dev --write-ca mock-ca.pem --port 0' \
  --why 'a free port, not 8787 (another mock may hold it), and the CA in the block folder, not /tmp'
run 'VOXYS_BASE_URL=https://127.0.0.1:8787 VOXYS_API_TOKEN=dev VOXYS_ACCOUNT_ID=1 VOXYS_CA_CERT=/tmp/mock-ca.pem cargo run -p voxys-connect --example list_leads' 0 'page 1 of' \
  --as 'VOXYS_BASE_URL=$SERVER_URL VOXYS_API_TOKEN=dev VOXYS_ACCOUNT_ID=1 VOXYS_CA_CERT=mock-ca.pem cargo run -p voxys-connect --example list_leads' \
  --why 'the port and the CA file of the mock just started (above)'
# README.md: The command-line tool
run 'cargo run -p voxys-cli -- leads list --demo --all --format csv' 0 'id,'
skip 'cargo install --path crates/voxys-cli' 'installs into ~/.cargo/bin; this check runs the same binary, built by cargo build -p voxys-cli'
skip 'export VOXYS_API_TOKEN=... VOXYS_ACCOUNT_ID=1' 'the user sets their own token; this check sets VOXYS_* for its mock'
run 'voxys leads list --status open --sort lead_value --order desc --per-page 50' 0 '"status":"open"'
run 'voxys leads list --all --concurrency 4 --output leads.csv' 0 'custom_name' --file leads.csv
run 'voxys leads list --all --format ndjson | jq .custom_name' 0 '"Wayne Enterprises - Expansion Q1"' --needs jq
run 'voxys leads get 42' 0 '"id":42'
run 'voxys leads stats' 0 '"total":120'
run 'voxys companies list --all --sort name' 0 '"name":"Acme Corp"'
run 'voxys companies search acme' 0 '"domain":"acme.com"'
# The mock's data has no look-alikes: an empty list, exit 0.
run 'voxys companies duplicates 10' 0 ''
run 'voxys companies timeline 10' 0 'company_created'
run 'voxys mock --leads 500' 0 '500 leads each' --server \
  --as 'voxys mock --leads 500 --port 0' --why 'a free port, not 8787 (another mock may hold it)'
run 'voxys completions zsh > ~/.zfunc/_voxys' 0 '#compdef voxys' --file home/.zfunc/_voxys \
  --as 'export HOME=$PWD/home; mkdir -p ~/.zfunc; voxys completions zsh > ~/.zfunc/_voxys' \
  --why 'HOME is a folder of the block, so that the real ~/.zfunc is left alone'
run 'voxys leads list --status lost --format ndjson | voxys leads bulk delete --yes' 0 'affected'
run 'voxys leads bulk assign --agent 5 --ids-from stale-leads.txt' 0 '3 requested, 3 affected' \
  --setup 'printf "1\n2\n3\n" > stale-leads.txt'
run 'voxys leads set-status 42 won --notes "invoice paid"' 0 '"notes":"invoice paid"'
run 'voxys leads convert 42 --funnel 1 --stage 12' 0 '"funnel_stage_id":12'
run 'voxys pipelines cards 1 --status open' 0 '"funnel_id":1'
run 'voxys leads create --name "Acme renewal" --value 15000.50 --currency USD --company 10' 0 '"custom_name":"Acme renewal"'
run 'voxys leads update 42 --clear-agent --clear-company' 0 '"assigned_agent":null,"company":null'
run 'voxys leads notes add 42 "Called, left a voicemail"' 0 '"content":"Called, left a voicemail"'
run 'voxys leads notes list 42' 0 '"content":"Called, left a voicemail"'
run 'voxys leads delete 42' 0 'lead 42: deleted' \
  --as 'voxys leads delete 42 --yes' --why "$yes_why"
run 'voxys companies create "Acme Corp" --domain acme.com' 0 '"name":"Acme Corp"'
run 'voxys companies update 10 --clear-description' 0 '"description":null'
run 'voxys companies merge 12 --into 10' 0 '"id":10' \
  --as 'voxys companies merge 12 --into 10 --yes' --why "$yes_why"
run 'voxys companies contacts add 10 5' 0 '"id":5'
run 'voxys companies contacts remove 10 5' 0 'removed' \
  --as 'voxys companies contacts remove 10 5 --yes' --why "$yes_why"
run 'voxys leads list --all --format ndjson --account 1 | voxys leads create --from - --account 2 --omit agent,company' 0 \
  'created. Journal: voxys-leads-create.journal'
run 'voxys pipelines list' 0 '"name":"Sales"'
run 'voxys pipelines show 1' 0 'Sales (funnel 1)'
run "voxys pipelines create Renewals --color '#4CAF50'" 0 '"id":13'
run 'voxys pipelines update 13 --name "Renewals 2027" --clear-color' 0 '"name":"Renewals 2027"'
run 'voxys pipelines stats 1' 0 '"total_cards"'
run 'voxys pipelines analytics 1 --since 2026-01-01 --until 2026-03-31' 0 '"since":"2026-01-01"'
run 'voxys pipelines stages reorder 1 15 14 13 12 11' 0 '"position":5'
run 'voxys pipelines cards list 1 --status open' 0 '"funnel_id":1'
run 'voxys pipelines cards create 1 --lead 42 --stage 12' 0 '"funnel_stage_id":12'
run 'voxys pipelines cards move 1 7 15 --position 1' 0 '"funnel_stage_id":15'
run 'voxys pipelines cards history 1 7' 0 'stage_changed'
run 'voxys pipelines delete 13' 0 'deleted' \
  --as 'voxys pipelines delete 13 --yes' --why "$yes_why"
run 'voxys tasks create "Call back" --about lead:42 --priority high --due 2026-06-15T10:00:00Z' 0 '"title":"Call back"'
run 'voxys tasks list --status pending --about lead:42 --all' 0 '"title":"Call back"'
run 'voxys tasks calendar 2026-06-01 2026-06-30' 0 '"due_at":"2026-06-15T10:00:00Z"'
run 'voxys tasks snooze 2 1d' 0 '"status":"snoozed"'
run 'voxys tasks complete 2' 0 '"status":"completed"'
run 'voxys conversations crm get 17390' 0 '"id":42'
run 'voxys conversations crm link-lead 17390 42' 0 '"id":42'
run 'voxys conversations crm convert 17390 --funnel 1 --stage 12' 0 '"funnel_stage_id":12'
run 'voxys conversations crm unlink-card 17390' 0 'unlinked' \
  --as 'voxys conversations crm unlink-card 17390 --yes' --why "$yes_why"
# README.md: The mock server
run 'cargo run -p voxys-connect-mock -- --leads 500 --token dev-token --fault 503:2' 0 'dev-token' --server \
  --as 'cargo run -p voxys-connect-mock -- --leads 500 --token dev-token --fault 503:2 --port 0' \
  --why 'a free port, not 8787 (another mock may hold it)'
run 'cargo run -p voxys-connect-mock -- --tls --write-ca ca.pem' 0 'url:      https://' --server \
  --as 'cargo run -p voxys-connect-mock -- --tls --write-ca ca.pem --port 0' \
  --why 'a free port, not 8787 (another mock may hold it)'
run 'cargo run -p voxys-connect-mock -- --throttle 50/1s' 0 'url:' --server \
  --as 'cargo run -p voxys-connect-mock -- --throttle 50/1s --port 0' \
  --why 'a free port, not 8787 (another mock may hold it)'
run 'cargo run -p voxys-connect-mock -- --help' 0 '--throttle'
# README.md: the OpenAPI document, regenerating, contract tests
skip 'bash openapi/lint.sh' 'the OpenAPI lint step of .ci/run runs it'
skip 'cargo xtask generate' 'rewrites the generated client; the generate --check step of .ci/run checks it is current'
skip 'cargo xtask generate --check' 'the generate --check step of .ci/run runs it'
skip 'VOXYS_API_TOKEN=... cargo xtask record --base-url https://connect.voxys.ai --account 1' \
  'needs a live account and token; the test step runs the recorder against the mock'
skip 'cargo test -p voxys-connect-contract' 'part of the test step of .ci/run'
# crates/voxys-cli/README.md
run 'cargo run -p voxys-cli -- companies list --demo --all' 0 '"name":"Acme Corp"'
run 'cargo run -p voxys-cli -- pipelines show 1 --demo' 0 'Sales (funnel 1)'
run 'cargo run -p voxys-cli -- tasks list --demo --status pending' 0 '"status":"pending"'
run 'voxys --help' 0 'Usage: voxys'
run '$ voxys pipelines show 1 --demo | head -11' 0 '' --output
run 'voxys leads create --from leads.csv' 0 '2 created' \
  --setup 'printf "custom_name,lead_value,lead_currency\nAcme renewal,15000.50,USD\nGlobex upsell,2500,EUR\n" > leads.csv'

# --- Extracting the READMEs' commands ------------------------------------------

extract() {
  awk '
    /^```/ {
      if (inb) { inb = 0; next }
      lang = substr($0, 4); inb = 1; block++; first = 1; next
    }
    !inb { next }
    lang == "text" && first && /^\$ / {
      printf "%s:%d\t%s:%d\t%s\n", FILENAME, FNR, FILENAME, block, $0
      first = 0; next
    }
    { first = 0 }
    lang != "sh" { next }
    {
      line = $0
      if (cont != "") { line = cont " " line } else { start = FNR }
      if (line ~ /\\$/) { sub(/\\$/, "", line); cont = line; next }
      cont = ""
      sub(/[ \t]+#[ \t].*$/, "", line)
      gsub(/[ \t]+/, " ", line); sub(/^ /, "", line); sub(/ $/, "", line)
      if (line == "" || line ~ /^#/) next
      printf "%s:%d\t%s:%d\t%s\n", FILENAME, start, FILENAME, block, line
    }
  ' "$@"
}

# The lines of a `$ command` text block after the command, up to its end.
expected_output() { # FILE LINE
  awk -v start="$2" 'NR > start && /^```/ { exit } NR > start { print }' "$1"
}

# --- Running them --------------------------------------------------------------

echo "==> cargo build -p voxys-cli, the mock's binary and the examples"
cargo build -p voxys-cli --locked --quiet
# Built here, before any server is waited on: a `cargo run` below then only
# checks that they are fresh, well within the wait for a server's banner.
cargo build -p voxys-connect-mock --bins --locked --quiet
cargo build -p voxys-connect --examples --locked --quiet
real_cargo=$(command -v cargo)

work=$(mktemp -d "${TMPDIR:-/tmp}/check-readme.XXXXXX")
servers=()
stop_servers() {
  local pid
  for pid in "${servers[@]}"; do
    kill -- "-$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  servers=()
}
cleanup() {
  stop_servers
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/bin"
ln -s "$CARGO_TARGET_DIR/debug/voxys" "$work/bin/voxys"
cat > "$work/bin/cargo" <<EOF
#!/usr/bin/env bash
# cargo on this workspace, from any folder.
sub=\$1; shift
exec "$real_cargo" "\$sub" --quiet --locked --manifest-path "$root/Cargo.toml" "\$@"
EOF
chmod +x "$work/bin/cargo"
export PATH="$work/bin:$PATH"
unset VOXYS_API_TOKEN VOXYS_BASE_URL VOXYS_ACCOUNT_ID VOXYS_CA_CERT

# Starts a server in the background, in FOLDER (its own process group), and
# waits until its banner holds FRAGMENT; SERVER_URL is then its url. OUT is
# its output file.
start_server() { # FOLDER COMMAND FRAGMENT OUT
  local dir=$1
  shift
  (cd "$dir" && exec setsid bash -c "$1" < /dev/null > "$3" 2>&1) &
  servers+=($!)
  local i
  for i in $(seq 1 1200); do
    if grep -qF -- "$2" "$3" 2>/dev/null && grep -q "^  url:" "$3"; then
      SERVER_URL=$(awk '$1 == "url:" { print $2; exit }' "$3")
      export SERVER_URL
      return 0
    fi
    kill -0 "$!" 2>/dev/null || break
    sleep 0.1
  done
  return 1
}

mock_env=""
start_block_mock() {
  start_server "$blockdir" "voxys mock --port 0 --tls --write-ca .mock-ca.pem" "token:" "$blockdir/.mock.out" || {
    echo "check-readme: the block's mock did not start:" >&2
    cat "$blockdir/.mock.out" >&2
    exit 1
  }
  mock_env="VOXYS_BASE_URL=$SERVER_URL VOXYS_API_TOKEN=$(awk '$1 == "token:" { print $2; exit }' "$blockdir/.mock.out") VOXYS_ACCOUNT_ID=1 VOXYS_CA_CERT=$blockdir/.mock-ca.pem"
}

failures=0 ran=0 skipped=0
fail() {
  failures=$((failures + 1))
  printf 'FAIL %s: %s\n' "$where" "$cmd"
  printf '     %s\n' "$@"
}

commands=$(extract README.md crates/voxys-cli/README.md)
block=""
while IFS=$'\t' read -r where this_block cmd; do
  SEEN[$cmd]=1
  if [ "$this_block" != "$block" ]; then
    stop_servers
    block=$this_block
    blockdir="$work/block-$(printf '%s' "$block" | tr -c 'A-Za-z0-9' '_')"
    mkdir -p "$blockdir/home"
    mock_env=""
  fi
  if [ -z "${KIND[$cmd]+x}" ]; then
    fail "not in the table of scripts/check-readme.sh: add it (run or skip, and why)"
    continue
  fi
  kind=${KIND[$cmd]}
  if [ "$kind" = skip ]; then
    skipped=$((skipped + 1))
    [ -n "$verbose" ] && printf 'skip %s: %s (%s)\n' "$where" "$cmd" "${WHY[$cmd]}"
    continue
  fi
  if [ -n "${NEEDS[$cmd]:-}" ] && ! command -v "${NEEDS[$cmd]}" > /dev/null; then
    skipped=$((skipped + 1))
    printf 'skip %s: %s (%s is not installed)\n' "$where" "$cmd" "${NEEDS[$cmd]}"
    continue
  fi
  ran=$((ran + 1))
  torun=${AS[$cmd]:-$cmd}
  [ "$kind" = output ] && torun=${torun#\$ }
  mode=${ENVMODE[$cmd]:-}
  if [ -z "$mode" ]; then
    case $cmd in voxys*) mode=mock ;; *) mode=none ;; esac
  fi
  env_prefix=""
  if [ "$mode" = mock ]; then
    [ -z "$mock_env" ] && start_block_mock
    env_prefix="export $mock_env;"
  fi
  out="$blockdir/.out"
  if [ -n "${SETUP[$cmd]:-}" ]; then
    (cd "$blockdir" && bash -c "${SETUP[$cmd]}" < /dev/null) || { fail "its setup failed: ${SETUP[$cmd]}"; continue; }
  fi
  if [ "$kind" = server ]; then
    if ! start_server "$blockdir" "$env_prefix ${torun% &}" "${FRAG[$cmd]}" "$out"; then
      fail "no '${FRAG[$cmd]}' in its banner" "(ran: ${torun% &})" "output:" "$(head -c 1500 "$out")"
    elif [ -n "$verbose" ]; then
      printf 'ok   %s: %s\n' "$where" "$torun"
      head -n 8 "$out" | sed 's/^/     | /'
    fi
    continue
  fi
  set +e
  (cd "$blockdir" && timeout 300 setsid -w bash -o pipefail -c "$env_prefix $torun" < /dev/null > "$out.stdout" 2> "$out.stderr")
  code=$?
  set -e
  cat "$out.stdout" "$out.stderr" > "$out"
  problems=()
  if [ "$code" != "${EXIT[$cmd]}" ]; then
    problems+=("exit $code, expected ${EXIT[$cmd]}")
  fi
  frag=${FRAG[$cmd]}
  if [ "$kind" = output ]; then
    file=${where%%:*} line=${where##*:}
    if ! diff <(expected_output "$file" "$line") "$out.stdout" > "$out.diff"; then
      problems+=("its output differs from the README's (< README, > now):" "$(cat "$out.diff")")
    fi
  elif [ -n "${FILE[$cmd]:-}" ]; then
    if ! grep -qF -- "$frag" "$blockdir/${FILE[$cmd]}" 2>/dev/null; then
      problems+=("no '$frag' in ${FILE[$cmd]}")
    fi
  elif [ -z "$frag" ]; then
    [ -s "$out" ] && problems+=("expected no output")
  elif ! grep -qF -- "$frag" "$out"; then
    problems+=("no '$frag' in its output")
  fi
  if [ ${#problems[@]} -gt 0 ]; then
    [ "$torun" != "$cmd" ] && problems+=("(ran: $torun)")
    fail "${problems[@]}" "output:" "$(head -c 1500 "$out")"
  elif [ -n "$verbose" ]; then
    printf 'ok   %s: %s\n' "$where" "$torun"
    head -c 600 "$out" | sed 's/^/     | /'
    echo
  fi
done <<< "$commands"
stop_servers

for cmd in "${ORDER[@]}"; do
  if [ -z "${SEEN[$cmd]+x}" ]; then
    failures=$((failures + 1))
    printf 'FAIL table: %s\n     no README has this command any more: remove it from scripts/check-readme.sh\n' "$cmd"
  fi
done

echo "check-readme: $ran run, $skipped skipped, $failures failed"
[ "$failures" -eq 0 ]
