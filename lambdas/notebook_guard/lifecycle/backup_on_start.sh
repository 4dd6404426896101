#!/bin/bash
# notebook-guard: back up this notebook's storage volume to S3 before notebook-guard recreates the notebook.
# notebook-guard-lifecycle: @@HEADER@@
# A fixed template (lambdas/notebook_guard/lifecycle/); every value below was quoted when it was rendered. It runs as
# root (as every lifecycle script does), starts the work in the background (nohup) and ends at once, well within
# SageMaker's 5-minute limit. It talks to S3 only (the VPC's S3 gateway endpoint), never to the internet. Progress:
# @@WORK@@/backup.log on the notebook, and the markers under the prefix: started.json, then complete.json or
# failed.json.
set -u
NG_BUCKET=@@BUCKET@@
NG_PREFIX=@@PREFIX@@
NG_REGION=@@REGION@@
NG_EXECUTION=@@EXECUTION@@
NG_VOLUME=@@VOLUME@@
NG_WORK=@@WORK@@
export NG_BUCKET NG_PREFIX NG_REGION NG_EXECUTION NG_VOLUME NG_WORK
# Lifecycle scripts get PATH=/sbin:bin:/usr/sbin:/usr/bin; an AWS CLI v2 may live in /usr/local/bin. UTF-8 file names.
export PATH="$PATH:/usr/local/bin" PYTHONUTF8=1
mkdir -p "$NG_WORK"
# ngdata.py of the notebook-guard package (gzip, base64; SHA-256 of the file: @@NGDATASHA@@)
base64 -d <<'NG_DATA_TOOL' | gzip -dc > "$NG_WORK/ngdata.py"
@@NGDATA@@
NG_DATA_TOOL
cat > "$NG_WORK/backup.sh" <<'NG_BACKUP_JOB'
set -u
S3="s3://$NG_BUCKET/$NG_PREFIX"
DATA="$NG_PREFIX""data/"
TOOL="python3 $NG_WORK/ngdata.py --reason-file $NG_WORK/reason.txt"
export NG_CHECKSUM=""
NG_CLI_VERSION="$(aws --version 2>&1 | head -n 1)"
export NG_CLI_VERSION
put() { aws --region "$NG_REGION" s3 cp --no-progress "$1" "$S3$2"; }
fail() {
  echo "backup failed: $1"
  python3 "$NG_WORK/ngdata.py" marker "$NG_WORK/failed.json" failed --summary "$NG_WORK/summary.json" --reason "$1"
  put "$NG_WORK/failed.json" failed.json
  exit 1
}
command -v python3 >/dev/null 2>&1 || { echo "backup failed: python3 not found"; exit 1; }
command -v aws >/dev/null 2>&1 || { echo "backup failed: the AWS CLI is not installed"; exit 1; }
$TOOL scan "$NG_VOLUME" "$NG_WORK/before.json" > "$NG_WORK/summary.json" || fail "scan: $(cat "$NG_WORK/reason.txt")"
python3 "$NG_WORK/ngdata.py" marker "$NG_WORK/started.json" started --summary "$NG_WORK/summary.json"
# S3 checks a SHA-256 of each upload when the CLI can send one (--checksum-algorithm, in recent CLI versions);
# an older CLI refuses the option: then the upload goes without it (the CLI's own integrity checks still apply).
# The access (bucket policy, KMS grant) was given moments ago and may take a while to apply everywhere (a KMS grant
# up to 5 minutes: AWS KMS, "Eventual consistency"): the first write is tried again for a while.
attempt=1
while :; do
  if aws --region "$NG_REGION" s3 cp --no-progress --checksum-algorithm SHA256 "$NG_WORK/started.json" \
    "$S3"started.json; then
    NG_CHECKSUM=SHA256
    break
  fi
  put "$NG_WORK/started.json" started.json && break
  if [ "$attempt" -ge 10 ]; then
    echo "backup failed: cannot write to $S3 (see the errors above): nothing more can be reported"
    exit 1
  fi
  attempt=$((attempt + 1))
  sleep "${NG_RETRY_SECONDS:-30}"
done
CHECKSUM_OPTION=""
[ -n "$NG_CHECKSUM" ] && CHECKSUM_OPTION="--checksum-algorithm $NG_CHECKSUM"
# Symbolic links are recorded in the manifest and recreated by the restore, not followed (a link out of the volume
# would copy what it points to). Exit code 2 means a file was skipped (unreadable, a socket, a FIFO): a failure.
# shellcheck disable=SC2086
aws --region "$NG_REGION" s3 sync --no-progress --no-follow-symlinks --exclude 'lost+found/*' $CHECKSUM_OPTION \
  "$NG_VOLUME/" "$S3"data/
code=$?
[ "$code" -eq 2 ] && fail "aws s3 sync exited with code 2: at least one file was skipped"
[ "$code" -ne 0 ] && fail "aws s3 sync exited with code $code"
$TOOL manifest "$NG_VOLUME" "$NG_WORK/before.json" "$NG_WORK/manifest.jsonl" "$NG_WORK/summary.json" \
  || fail "manifest: $(cat "$NG_WORK/reason.txt")"
put "$NG_WORK/manifest.jsonl" manifest.jsonl || fail "cannot upload the manifest"
aws --region "$NG_REGION" s3api list-objects-v2 --bucket "$NG_BUCKET" --prefix "$DATA" --output json \
  > "$NG_WORK/listing.json" || fail "cannot list the uploaded objects"
$TOOL check-listing "$NG_WORK/manifest.jsonl" "$NG_WORK/listing.json" "$DATA" \
  || fail "verification: $(cat "$NG_WORK/reason.txt")"
echo "{\"manifest_sha256\": \"$(python3 "$NG_WORK/ngdata.py" sha256 "$NG_WORK/manifest.jsonl")\"}" > "$NG_WORK/result.json"
python3 "$NG_WORK/ngdata.py" marker "$NG_WORK/complete.json" complete --summary "$NG_WORK/summary.json" \
  --result "$NG_WORK/result.json"
put "$NG_WORK/complete.json" complete.json || fail "cannot write the completion marker"
echo "backup complete"
NG_BACKUP_JOB
nohup bash "$NG_WORK/backup.sh" >> "$NG_WORK/backup.log" 2>&1 &
exit 0
