#!/bin/bash
# notebook-guard: restore this notebook's storage volume from the backup notebook-guard took of the notebook it replaces.
# notebook-guard-lifecycle: @@HEADER@@
# A fixed template (lambdas/notebook_guard/lifecycle/); every value below was quoted when it was rendered. It runs as
# root once, when SageMaker creates the notebook, starts the work in the background (nohup) and ends at once, well
# within SageMaker's 5-minute limit. It talks to S3 only (the VPC's S3 gateway endpoint). The original OnCreate script
# is not run again: it ran when the original was created, and what it left on the volume comes back with the data.
# Progress: @@WORK@@/restore.log on the notebook, and restored.json or restore-failed.json under the prefix.
set -u
NG_BUCKET=@@BUCKET@@
NG_PREFIX=@@PREFIX@@
NG_REGION=@@REGION@@
NG_EXECUTION=@@EXECUTION@@
NG_VOLUME=@@VOLUME@@
NG_WORK=@@WORK@@
NG_FLAG=@@FLAG@@
export NG_BUCKET NG_PREFIX NG_REGION NG_EXECUTION NG_VOLUME NG_WORK NG_FLAG
# Lifecycle scripts get PATH=/sbin:bin:/usr/sbin:/usr/bin; an AWS CLI v2 may live in /usr/local/bin. UTF-8 file names.
export PATH="$PATH:/usr/local/bin" PYTHONUTF8=1
mkdir -p "$NG_WORK"
# While the data comes back, the OnStart script of this configuration skips the original's OnStart (it would run
# against a half-restored volume); the flag lives in /run, so it never outlives this boot.
touch "$NG_FLAG"
# ngdata.py of the notebook-guard package (gzip, base64; SHA-256 of the file: @@NGDATASHA@@)
base64 -d <<'NG_DATA_TOOL' | gzip -dc > "$NG_WORK/ngdata.py"
@@NGDATA@@
NG_DATA_TOOL
cat > "$NG_WORK/restore.sh" <<'NG_RESTORE_JOB'
set -u
S3="s3://$NG_BUCKET/$NG_PREFIX"
TOOL="python3 $NG_WORK/ngdata.py --reason-file $NG_WORK/reason.txt"
NG_CLI_VERSION="$(aws --version 2>&1 | head -n 1)"
export NG_CLI_VERSION
get() { aws --region "$NG_REGION" s3 cp --no-progress "$S3$1" "$2"; }
finish() {
  python3 "$NG_WORK/ngdata.py" marker "$NG_WORK/$1.json" "$1" --result "$NG_WORK/result.json" ${2:+--reason "$2"}
  aws --region "$NG_REGION" s3 cp --no-progress "$NG_WORK/$1.json" "$S3$1.json"
  rm -f "$NG_FLAG"
}
fail() { echo "restore failed: $1"; finish restore-failed "$1"; exit 1; }
command -v python3 >/dev/null 2>&1 || { echo "restore failed: python3 not found"; rm -f "$NG_FLAG"; exit 1; }
# The access (bucket policy, KMS grant) may take a while to apply everywhere: the first read is tried again a while.
attempt=1
until get complete.json "$NG_WORK/complete.json"; do
  [ "$attempt" -ge 10 ] && fail "cannot read the backup's completion marker"
  attempt=$((attempt + 1))
  sleep "${NG_RETRY_SECONDS:-30}"
done
get manifest.jsonl "$NG_WORK/manifest.jsonl" || fail "cannot read the backup's manifest"
expected="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifest_sha256"])' "$NG_WORK/complete.json")"
actual="$(python3 "$NG_WORK/ngdata.py" sha256 "$NG_WORK/manifest.jsonl")"
[ "$expected" = "$actual" ] || fail "the manifest does not match its completion marker (SHA-256)"
aws --region "$NG_REGION" s3 sync --no-progress "$S3"data/ "$NG_VOLUME/"
code=$?
[ "$code" -ne 0 ] && fail "aws s3 sync exited with code $code"
$TOOL apply "$NG_WORK/manifest.jsonl" "$NG_VOLUME" "$NG_WORK/result.json" \
  || fail "verification: $(cat "$NG_WORK/reason.txt")"
finish restored
echo "restore complete"
NG_RESTORE_JOB
nohup bash "$NG_WORK/restore.sh" >> "$NG_WORK/restore.log" 2>&1 &
exit 0
