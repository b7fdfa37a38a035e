#!/usr/bin/env bash
# Serve the demo: the background task worker and the web server, started and stopped together.
# Usage: scripts/serve_demo.sh [HOST] [PORT]   (make demo calls it after building the data)
# Ctrl-C stops both. If either stops on its own, the other is stopped and the exit is non-zero.
set -uo pipefail
cd "$(dirname "$0")/.."

HOST="${1:-127.0.0.1}"
PORT="${2:-8000}"
JIXIAO=.venv/bin/jixiao
PY=.venv/bin/python

# A local trial: the development secret key is allowed and cookies work over plain http.
export JIXIAO_DEMO=1
unset DEBUG

say() { printf '[demo] %s\n' "$*"; }

if [ ! -x "$JIXIAO" ]; then
  .venv/bin/pip install -q --no-deps -e . || { say "cannot install the jixiao command"; exit 1; }
fi

# Collect static files when they are missing or older than the sources (WhiteNoise serves them).
stamp=var/static/.collected
if [ ! -f "$stamp" ] || [ -n "$(find jixiao/static jixiao/*/static requirements.txt -newer "$stamp" -print -quit 2>/dev/null)" ]; then
  say "收集静态文件 / collecting static files"
  "$PY" manage.py collectstatic --noinput -v 0 || exit 1
  touch "$stamp"
fi

worker_pid=""
server_pid=""
stopping=0

stop_all() {
  for pid in $server_pid $worker_pid; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  # Give both a moment to finish their current request or task, then insist.
  for _ in $(seq 1 50); do
    alive=0
    for pid in $server_pid $worker_pid; do
      kill -0 "$pid" 2>/dev/null && alive=1
    done
    [ "$alive" = 0 ] && return 0
    sleep 0.2
  done
  for pid in $server_pid $worker_pid; do
    kill -KILL "$pid" 2>/dev/null || true
  done
}

on_signal() {
  stopping=1
  echo
  say "正在停止 / stopping"
  stop_all
  wait 2>/dev/null
  say "已停止 / stopped"
  exit 0
}
trap on_signal INT TERM

"$JIXIAO" worker &
worker_pid=$!
"$JIXIAO" serve --host "$HOST" --port "$PORT" &
server_pid=$!

# Wait until the server answers (or dies) before printing the address.
for _ in $(seq 1 100); do
  kill -0 "$server_pid" 2>/dev/null || break
  if "$PY" - "$HOST" "$PORT" <<'PY' 2>/dev/null; then break; fi
import socket, sys
host = "127.0.0.1" if sys.argv[1] in ("0.0.0.0", "::") else sys.argv[1]
socket.create_connection((host, int(sys.argv[2])), timeout=0.5).close()
PY
  sleep 0.2
done

if kill -0 "$server_pid" 2>/dev/null && kill -0 "$worker_pid" 2>/dev/null; then
  shown_host="$HOST"
  [ "$HOST" = "0.0.0.0" ] && shown_host="127.0.0.1"
  echo
  say "绩效演示已启动 / Jixiao demo is running: http://${shown_host}:${PORT}/"
  "$PY" - <<'PY'
import os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
import django
django.setup()
from jixiao.org.demo import DEMO_PASSWORD, existing_accounts
accounts = existing_accounts()
if accounts:
    print(f"[demo] 演示账号 / demo accounts (密码 password: {DEMO_PASSWORD})")
    for username, label, person in accounts:
        print(f"         {username:<10} {label}  {person}")
PY
  say "按 Ctrl-C 停止 / press Ctrl-C to stop"
fi

# Whichever stops first decides: the other is stopped and the exit status is non-zero.
wait -n "$worker_pid" "$server_pid"
status=$?
[ "$stopping" = 1 ] && exit 0
if kill -0 "$server_pid" 2>/dev/null; then
  say "任务进程已退出 / the task worker stopped (status $status); stopping the server"
else
  say "网页服务已退出 / the web server stopped (status $status); stopping the worker"
fi
stop_all
wait 2>/dev/null
exit $(( status == 0 ? 1 : status ))
