#!/usr/bin/env bash
# Posts the summary of a pull request's check run as one comment on the pull request, or updates
# the comment an earlier run posted: there is only ever one. Runs in the workflow_run workflow,
# which holds the write token that the pull request's own run (a fork's, too) never gets.
#
# The artifact that run uploaded (DIR: comment.md, pr-number) came from the pull request's code,
# so nothing in it is trusted beyond what the API confirms: the number must name a pull request
# whose head is the commit the run checked (HEAD_SHA), and the body must be a meshflip comment of
# at most 65,536 bytes.
#
# Environment: GH_TOKEN, GITHUB_REPOSITORY, DIR, HEAD_SHA (github.event.workflow_run.head_sha).
set -euo pipefail

marker='<!-- meshflip-summary -->'
body="$DIR/comment.md"
number="$(head -c 20 "$DIR/pr-number" | tr -d '\n')"

if ! [[ "$number" =~ ^[1-9][0-9]{0,9}$ ]]; then
  echo "::error title=No pull-request comment::The artifact names no pull request (pr-number is not a number)."
  exit 1
fi
if [ "$(head -c ${#marker} "$body")" != "$marker" ] || [ "$(wc -c < "$body")" -gt 65536 ]; then
  echo "::error title=No pull-request comment::The artifact's comment.md is not a meshflip summary of at most 65,536 bytes."
  exit 1
fi

head="$(gh api "repos/${GITHUB_REPOSITORY}/pulls/${number}" --jq .head.sha)"
if [ "$head" != "$HEAD_SHA" ]; then
  echo "Pull request #$number is now at $head, not $HEAD_SHA: the run for its newest commit comments."
  exit 0
fi

# Our comment: the first by the Actions bot that starts with the marker (a person quoting it is left alone).
id="$(gh api --paginate "repos/${GITHUB_REPOSITORY}/issues/${number}/comments" \
  --jq ".[] | select(.user.login == \"github-actions[bot]\" and (.body | startswith(\"${marker}\"))) | .id" | head -n 1)"
if [ -n "$id" ]; then
  gh api --method PATCH "repos/${GITHUB_REPOSITORY}/issues/comments/${id}" -F "body=@${body}" --jq .html_url
  echo "Updated the summary comment on pull request #$number."
else
  gh api --method POST "repos/${GITHUB_REPOSITORY}/issues/${number}/comments" -F "body=@${body}" --jq .html_url
  echo "Posted the summary comment on pull request #$number."
fi
