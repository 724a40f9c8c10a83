#!/usr/bin/env bash
# Opens the pull request that reverts expired flips, or updates the one already open: there is
# only ever one, on the fixed branch meshflip/revert-expired, force-pushed in place. Run after
# `meshflip revert-expired --body "$BODY"` changed environments/ and dist/ in a checkout of the
# default branch, with `origin` able to take the push.
#
# Environment: GH_TOKEN (for gh), GITHUB_REPOSITORY, BODY (the pull-request description),
# BASE (the default branch; empty on `schedule` events, then asked of the API, else main),
# DISPATCH_CHECKS=true to start the check workflow on the branch (a push made with GITHUB_TOKEN
# starts no workflow; with a GitHub App token it does, and DISPATCH_CHECKS is false).
set -euo pipefail

branch="meshflip/revert-expired"
title="Revert expired meshflip flips"

base="${BASE:-}"
if [ -z "$base" ]; then
  base="$(gh api "repos/${GITHUB_REPOSITORY}" --jq .default_branch 2>/dev/null || true)"
fi
base="${base:-main}"

manual() {
  echo "::error title=Could not open the revert pull request::$1"
  echo "Do it by hand from a clone of $base:"
  echo "  npx meshflip revert-expired --body pr-body.md"
  echo "  git switch -C $branch && git add environments dist && git commit -m '$title'"
  echo "  git push --force origin $branch"
  echo "  gh pr create --base $base --head $branch --title '$title' --body-file pr-body.md"
  exit 1
}

git config user.name "github-actions[bot]"
git config user.email "41898282+github-actions[bot]@users.noreply.github.com"
git switch -q -C "$branch"
git add -- environments dist
git commit -q -m "$title"

# Push only when the branch does not already hold exactly this change on this base: an hourly
# run with nothing new leaves the pull request, its checks and its reviews alone.
pushed=""
if git fetch -q origin "+refs/heads/${branch}:refs/remotes/origin/${branch}" 2>/dev/null; then
  pushed="$(git rev-parse "refs/remotes/origin/${branch}")"
fi
if [ -n "$pushed" ] && [ "$(git rev-parse "${pushed}^{tree}")" = "$(git rev-parse 'HEAD^{tree}')" ] \
  && [ "$(git rev-parse "${pushed}^")" = "$(git rev-parse 'HEAD^')" ]; then
  echo "$branch already holds this revert; nothing to push."
  changed=false
else
  git push -q --force origin "HEAD:refs/heads/${branch}" || manual "This workflow cannot push to $branch (contents: write, or a protected branch)."
  echo "Pushed the revert to $branch."
  changed=true
fi

number="$(gh pr list --head "$branch" --base "$base" --state open --json number --jq '.[0].number // empty')" \
  || manual "This workflow cannot list pull requests."
if [ -n "$number" ]; then
  gh pr edit "$number" --title "$title" --body-file "$BODY" >/dev/null || manual "This workflow cannot edit pull request #$number."
  echo "Updated pull request #$number."
else
  gh pr create --base "$base" --head "$branch" --title "$title" --body-file "$BODY" \
    || manual "This workflow cannot open pull requests (allow GitHub Actions to create pull requests in the repository settings)."
fi

if [ "${DISPATCH_CHECKS:-false}" = "true" ] && [ "$changed" = "true" ]; then
  gh workflow run meshflip.yml --ref "$branch" || manual "This workflow cannot start the checks of $branch (actions: write)."
  echo "Started the checks (meshflip.yml) on $branch."
fi
