#!/usr/bin/env bash
# The repository's Markdown passes the check, and the check finds what it is for: an unclosed
# fence and a dead relative link (in a scratch folder).
set -euo pipefail
repository="$1"
check="$(dirname "$0")/check_markdown.py"
python3 "$check" "$repository"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
printf '# Title\n\nSee [the guide](docs/GONE.md) and [a heading](#title).\n\n```sh\nnever closed\n' > "$scratch/bad.md"
set +e
out=$(python3 "$check" "$scratch")
status=$?
set -e
[ "$status" -eq 1 ] || { echo "the check passed a broken file"; exit 1; }
echo "$out" | grep -q "bad.md:5: a code fence is opened here and never closed" || { echo "$out"; exit 1; }
echo "$out" | grep -q "the link 'docs/GONE.md' points at nothing" || { echo "$out"; exit 1; }
if echo "$out" | grep -q "'#title'"; then echo "a good anchor was reported: $out"; exit 1; fi
echo "markdown test: 1 passed, 0 failed"
