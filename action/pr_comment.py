"""Create or update the one sticky llm-cost comment on a pull request (GitHub Action step).

Standard library only: it runs before anything else is known to be installed. The comment is
found by a hidden marker, paging through every comment of the PR. Fork PRs are skipped with a
notice (their token cannot write); a missing token skips with a warning; API errors say what to fix.

Environment: GITHUB_EVENT_PATH, GITHUB_TOKEN, GITHUB_API_URL (default https://api.github.com),
GITHUB_REPOSITORY (fallback for the event's repository).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

MARKER = "<!-- llm-cost-diff -->"
MAX_BODY_CHARS = 65_000  # GitHub rejects comment bodies over 65,536 characters
TIMEOUT_S = 20
MAX_PAGES = 100  # 10,000 comments: far beyond any real PR, but bounded
_NEXT = re.compile(r'<([^>]+)>;\s*rel="next"')


class ApiError(Exception):
    def __init__(self, method: str, url: str, status: int, detail: str) -> None:
        super().__init__(f"{method} {url}: HTTP {status}: {detail}")
        self.status = status


def annotate(level: str, message: str) -> None:
    """A workflow command: shown as an annotation on the run (and plainly in a terminal)."""
    text = message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    print(f"::{level} title=llm-cost comment::{text}", flush=True)


class GitHub:
    def __init__(self, api_url: str, token: str) -> None:
        self.api_url = api_url.rstrip("/")
        self.token = token
        self.origin = urllib.parse.urlsplit(self.api_url)[:2]

    def request(self, method: str, url: str, body: dict[str, Any] | None = None) -> Any:
        return self.request_page(method, url, body)[0]

    def request_page(
        self, method: str, url: str, body: dict[str, Any] | None = None
    ) -> tuple[Any, str | None]:
        """(decoded JSON, next page URL or None)."""
        if urllib.parse.urlsplit(url)[:2] != self.origin:
            # never send the token anywhere but the API it was given for
            raise ApiError(method, url, 0, f"refusing to follow a link away from {self.api_url}")
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Authorization", f"Bearer {self.token}")
        request.add_header("Accept", "application/vnd.github+json")
        request.add_header("X-GitHub-Api-Version", "2022-11-28")
        request.add_header("User-Agent", "llm-cost-action")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
                payload = json.loads(response.read() or b"null")
                match = _NEXT.search(response.headers.get("Link") or "")
                return payload, match.group(1) if match else None
        except urllib.error.HTTPError as error:
            raise ApiError(method, url, error.code, _detail(error)) from None
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise ApiError(method, url, 0, f"cannot reach the API: {reason}") from None

    def find_comment(self, repo: str, number: int) -> dict[str, Any] | None:
        url: str | None = f"{self.api_url}/repos/{repo}/issues/{number}/comments?per_page=100"
        for _ in range(MAX_PAGES):
            if url is None:
                return None
            comments, url = self.request_page("GET", url)
            for comment in comments:
                if MARKER in (comment.get("body") or ""):
                    return dict(comment)
        return None


def _detail(error: urllib.error.HTTPError) -> str:
    try:
        message = json.loads(error.read() or b"{}").get("message")
    except (ValueError, AttributeError):
        message = None
    return str(message or error.reason)


def _fix_for(status: int) -> str:
    if status in (401, 403, 404):
        return (
            "the token cannot write PR comments: give the workflow `permissions: "
            "pull-requests: write`, or pass a token with that scope as `github-token`; "
            "or set `comment: off`"
        )
    if status == 422:
        return "GitHub rejected the comment body (too long or malformed)"
    if status >= 500 or status == 0:
        return "GitHub is unavailable; re-run the job, or set `comment: off`"
    return "see the message above"


def fit(body: str) -> str:
    if MARKER not in body:
        body = f"{MARKER}\n{body}"
    if len(body) <= MAX_BODY_CHARS:
        return body
    cut = body[: MAX_BODY_CHARS - 200]
    cut = cut[: cut.rfind("\n")]
    closing = "\n\n</details>" if "<details>" in cut and "</details>" not in cut else ""
    return cut + "\n\n…truncated: the full diff is in the job summary." + closing


def pull_request_of(event: dict[str, Any]) -> dict[str, Any] | None:
    pr = event.get("pull_request")
    return pr if isinstance(pr, dict) else None


def is_fork(pr: dict[str, Any]) -> bool:
    head_repo = (pr.get("head") or {}).get("repo")
    base_repo = (pr.get("base") or {}).get("repo") or {}
    if not head_repo:
        return True  # the fork was deleted: it is not this repository
    return bool(head_repo.get("full_name") != base_repo.get("full_name"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--body-file", required=True, help="markdown from `llm-cost diff -f markdown`"
    )
    parser.add_argument("--event", default=os.environ.get("GITHUB_EVENT_PATH"), help="event JSON")
    parser.add_argument(
        "--update-only",
        action="store_true",
        help="update the sticky comment if there is one, never create one (nothing changed)",
    )
    args = parser.parse_args(argv)

    if not args.event:
        annotate("error", "GITHUB_EVENT_PATH is not set: run this inside a GitHub Actions job")
        return 2
    try:
        with open(args.event, encoding="utf-8") as handle:
            event = json.load(handle)
        with open(args.body_file, encoding="utf-8") as handle:
            body = handle.read()
    except (OSError, ValueError) as error:
        annotate("error", f"cannot read the event or the comment body: {error}")
        return 2
    pr = pull_request_of(event)
    if pr is None or not isinstance(pr.get("number"), int):
        annotate("notice", "not a pull request event: no comment to write")
        return 0
    if is_fork(pr):
        annotate(
            "notice",
            f"PR #{pr['number']} comes from a fork, whose token cannot comment: skipped. "
            "The cost diff is in the job summary.",
        )
        return 0
    token = os.environ.get("GITHUB_TOKEN", "")
    if not token:
        annotate(
            "warning",
            "no GitHub token: the comment is skipped (the diff is in the job summary). "
            "Pass `github-token: ${{ github.token }}` with `permissions: pull-requests: write`.",
        )
        return 0
    repo = ((pr.get("base") or {}).get("repo") or {}).get("full_name") or os.environ.get(
        "GITHUB_REPOSITORY", ""
    )
    if not re.fullmatch(r"[\w.-]+/[\w.-]+", repo):
        annotate("error", f"cannot tell the repository from the event (got {repo!r})")
        return 2
    api = GitHub(os.environ.get("GITHUB_API_URL") or "https://api.github.com", token)
    body = fit(body)
    number = int(pr["number"])
    try:
        existing = api.find_comment(repo, number)
        if existing is not None:
            url = f"{api.api_url}/repos/{repo}/issues/comments/{int(existing['id'])}"
            result = api.request("PATCH", url, {"body": body})
            verb = "updated"
        elif args.update_only:
            print(f"llm-cost: no prompt changed cost: no comment on PR #{number}", flush=True)
            return 0
        else:
            url = f"{api.api_url}/repos/{repo}/issues/{number}/comments"
            result = api.request("POST", url, {"body": body})
            verb = "created"
    except ApiError as error:
        annotate("error", f"{error}. Fix: {_fix_for(error.status)}")
        return 1
    link = result.get("html_url", "") if isinstance(result, dict) else ""
    print(f"llm-cost: {verb} the cost comment on PR #{number} {link}".rstrip(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
