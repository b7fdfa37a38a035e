#!/usr/bin/env bash
# Run the test suite on PostgreSQL. The run creates its own database and drops it afterwards.
# Under CI=true an unreachable PostgreSQL is a failure, not a skip.
set -euo pipefail
cd "$(dirname "$0")/.."
url="${JIXIAO_TEST_PG:-postgres://postgres@127.0.0.1:5432/postgres}"
if ! .venv/bin/python - "$url" <<'PY'
import sys
import psycopg
try:
    psycopg.connect(sys.argv[1].replace("postgres://", "postgresql://", 1), connect_timeout=3).close()
except Exception as exc:  # noqa: BLE001
    print(f"PostgreSQL not reachable at {sys.argv[1]}: {exc}", file=sys.stderr)
    sys.exit(1)
PY
then
  if [ "${CI:-}" = "true" ]; then
    echo "[test-postgres] FAILED: PostgreSQL is required under CI." >&2
    exit 1
  fi
  echo "[test-postgres] SKIPPED: PostgreSQL not reachable (set JIXIAO_TEST_PG)." >&2
  exit 0
fi
export DATABASE_URL="$url"
export JIXIAO_TEST_DB_NAME="test_jixiao_$$"
echo "[test-postgres] running the suite on PostgreSQL (database $JIXIAO_TEST_DB_NAME)"
exec .venv/bin/pytest -q -m "not browser" -p no:playwright --ignore=tests/browser --create-db
