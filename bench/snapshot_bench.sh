#!/usr/bin/env bash
# What MySQL snapshots cost, on the dev data (a benchmark, never a test):
#   1. wall time and rows of a snapshot of the full dev data set;
#   2. ingestion throughput with snapshots every 5 s against none, alternating runs.
# See bench/snapshot_bench.cc for what is measured and how.
#
#   bench/snapshot_bench.sh [DATA] [-- extra flags: --seconds S --runs N --interval S]
#
# DATA defaults to ../shared/data/foursquare_nyc_ipcm.tsv.xz (read in place). Uses the
# project's MariaDB (scripts/mariadb start) and a scratch database locus_bench, dropped and
# recreated on each run. Builds build/locus_snapshot_bench (not part of the default build).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

data=$root/../shared/data/foursquare_nyc_ipcm.tsv.xz
if [[ $# -gt 0 && $1 != -- ]]; then
  data=$1
  shift
fi
[[ ${1:-} == -- ]] && shift
[[ -f $data ]] || { echo "snapshot_bench: no such file: $data" >&2; exit 2; }

cmake -S . -B build -G Ninja >/dev/null
ninja -C build locus_snapshot_bench >/dev/null

scripts/mariadb start
db=${LOCUS_MYSQL_DATABASE:-locus}_bench
mariadb --no-defaults -S var/mysql/mysqld.sock -u "${LOCUS_MYSQL_USER:-locus}" \
  -p"${LOCUS_MYSQL_PASSWORD:-locus}" \
  -e "DROP DATABASE IF EXISTS \`$db\`; CREATE DATABASE \`$db\` CHARACTER SET utf8mb4"

echo "snapshot_bench: data $data, database $db, $(nproc) CPUs"
build/locus_snapshot_bench "$data" --database "$db" --seconds 20 --runs 3 --interval 5 "$@"
