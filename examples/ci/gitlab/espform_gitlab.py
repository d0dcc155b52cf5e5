"""The GitLab API steps of the espform CI recipe (`.gitlab-ci.yml` next to this file).

Copy to `ci/espform_gitlab.py` in your repository. Standard library only, so the job
image needs nothing but Python (which espform needs anyway).

    python3 ci/espform_gitlab.py mr-note plan.md --exit-code N
        Post the plan as ONE note on the merge request, edited in place on later runs
        (found by the marker the Markdown plan starts with). N is the exit code of
        `espform plan --detailed-exitcode`; on 1 the note says the plan failed.
    python3 ci/espform_gitlab.py fetch-plan --job espform-plan --out plan.json
        Download the saved plan reviewed on the merge request this commit merged: the
        plan.json artifact of the job of that name in the merge request's newest
        pipeline. Fails, so that nothing is applied, when there is none.
    python3 ci/espform_gitlab.py drift-issue drift.md --exit-code N
        On 2, open the issue labelled espform-drift or update the open one (with a
        comment only when the drift changed); on 0, close it.

Environment: CI_API_V4_URL, CI_PROJECT_ID, CI_MERGE_REQUEST_IID, CI_COMMIT_SHA and
CI_JOB_URL (set by GitLab), and ESPFORM_GITLAB_TOKEN: a project access token with the
`api` scope, stored as a masked CI/CD variable. The token is only ever sent as a
header; nothing here prints it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

#: The first line of `espform plan --format markdown` and `espform drift --report FILE.md`.
PLAN_MARKER = "<!-- espform:plan -->"
DRIFT_LABEL = "espform-drift"
DRIFT_TITLE = "espform: the ESP account differs from espform.yaml"
_DIGEST_NOTE = "<!-- espform-drift-report {} -->"
_PER_PAGE = 100


class Api(Protocol):
    """The few GitLab REST calls the steps need; paths are relative to the project."""

    def get(self, path: str, params: Mapping[str, str] | None = None) -> Any: ...

    def get_all(self, path: str, params: Mapping[str, str] | None = None) -> list[Any]: ...

    def send(self, method: str, path: str, body: Mapping[str, Any]) -> Any: ...

    def download(self, path: str) -> bytes: ...

    def user_id(self) -> int: ...


class StepError(Exception):
    """A step cannot be done; the message says why and what to do."""


class GitLab:
    """`Api` over HTTPS with a private token."""

    def __init__(self, api_url: str, project: str, token: str) -> None:
        self._root = api_url.rstrip("/")
        self._project = f"{self._root}/projects/{urllib.parse.quote(project, safe='')}"
        self._token = token

    def _open(self, method: str, url: str, body: Mapping[str, Any] | None = None) -> bytes:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("PRIVATE-TOKEN", self._token)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.read()
        except urllib.error.HTTPError as err:
            # The URL holds no secret; the token is in a header that is never shown.
            raise StepError(f"GitLab answered {err.code} to {method} {url}") from None
        except urllib.error.URLError as err:
            raise StepError(f"cannot reach GitLab at {self._root}: {err.reason}") from None

    def _url(self, path: str, params: Mapping[str, str] | None) -> str:
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        return f"{self._project}{path}{query}"

    def get(self, path: str, params: Mapping[str, str] | None = None) -> Any:
        return json.loads(self._open("GET", self._url(path, params)))

    def get_all(self, path: str, params: Mapping[str, str] | None = None) -> list[Any]:
        items: list[Any] = []
        page = 1
        while True:
            batch = self.get(
                path, {**(params or {}), "per_page": str(_PER_PAGE), "page": str(page)}
            )
            items += batch
            if len(batch) < _PER_PAGE:
                return items
            page += 1

    def send(self, method: str, path: str, body: Mapping[str, Any]) -> Any:
        return json.loads(self._open(method, self._url(path, None), body) or b"null")

    def download(self, path: str) -> bytes:
        return self._open("GET", self._url(path, None))

    def user_id(self) -> int:
        return int(json.loads(self._open("GET", f"{self._root}/user"))["id"])


# --- The steps ------------------------------------------------------------------------


def plan_note(markdown: str, exit_code: int, sha: str, job_url: str) -> str:
    """The note's text: the plan, or that it failed (an old plan must not look current)."""
    if exit_code in (0, 2):
        body = markdown.rstrip()
        if PLAN_MARKER not in body:
            body = f"{PLAN_MARKER}\n{body}"
        return (
            f"{body}\n\n---\nPlanned at {sha[:8]} in [this job]({job_url}). On merge, "
            "*espform apply* applies exactly this plan, or changes nothing if the account "
            "or espform.yaml changed since."
        )
    return (
        f"{PLAN_MARKER}\n### espform plan failed\n\nThe plan for {sha[:8]} could not be made; "
        f"see [the job log]({job_url}). No plan of this merge request will be applied until "
        "a plan succeeds."
    )


def upsert_note(api: Api, mr_iid: str, body: str) -> str:
    """Edit this token's earlier plan note on the merge request, or add one."""
    me = api.user_id()
    notes = api.get_all(f"/merge_requests/{mr_iid}/notes", {"sort": "asc"})
    for note in notes:
        # Only our own note: a person quoting the marker keeps theirs.
        if note["author"]["id"] == me and PLAN_MARKER in note["body"]:
            api.send("PUT", f"/merge_requests/{mr_iid}/notes/{note['id']}", {"body": body})
            return f"updated note {note['id']}"
    created = api.send("POST", f"/merge_requests/{mr_iid}/notes", {"body": body})
    return f"added note {created['id']}"


def reviewed_plan(api: Api, sha: str, job_name: str) -> tuple[int, bytes]:
    """The merge request `sha` merged, and the plan.json its newest pipeline saved."""
    merged = [
        mr
        for mr in api.get(f"/repository/commits/{sha}/merge_requests")
        if mr["state"] == "merged"
        and sha in (mr.get("merge_commit_sha"), mr.get("squash_commit_sha"), mr.get("sha"))
    ]
    if not merged:
        raise StepError(
            f"{sha[:8]} was not merged from a merge request, so no plan was reviewed for it; "
            "nothing was applied. Run a pipeline on the default branch by hand (Build > "
            "Pipelines > Run pipeline), review its plan, and play its manual apply job."
        )
    iid = merged[0]["iid"]
    pipelines = api.get(f"/merge_requests/{iid}/pipelines")
    if not pipelines:
        raise StepError(f"merge request !{iid} has no pipeline, so no plan; nothing was applied.")
    # The newest pipeline is the plan the merge request showed last, and so the one reviewed.
    newest = max(pipelines, key=lambda p: p["id"])
    jobs = [j for j in api.get_all(f"/pipelines/{newest['id']}/jobs") if j["name"] == job_name]
    # A retried job appears once per try; the last try is the one that counts.
    job = max(jobs, key=lambda j: j["id"]) if jobs else None
    if job is None or job["status"] != "success":
        state = job["status"] if job is not None else "missing"
        raise StepError(
            f"the {job_name} job of merge request !{iid}'s last pipeline ({newest['id']}) is "
            f"{state}, so no plan was reviewed; nothing was applied. Run a pipeline on the "
            "default branch by hand, review its plan, and play its manual apply job."
        )
    return iid, api.download(f"/jobs/{job['id']}/artifacts/plan.json")


def sync_drift_issue(api: Api, report: str, exit_code: int, job_url: str, label: str) -> str:
    """One open issue while the account drifts: open, update or close it."""
    issues = api.get_all("/issues", {"labels": label, "state": "opened"})
    current = min(issues, key=lambda i: i["iid"]) if issues else None
    if exit_code == 0:
        if current is None:
            return "no drift, no open issue"
        note = f"The account matches espform.yaml again ([job]({job_url}))."
        api.send("POST", f"/issues/{current['iid']}/notes", {"body": note})
        api.send("PUT", f"/issues/{current['iid']}", {"state_event": "close"})
        return f"closed issue #{current['iid']}"
    if exit_code != 2:
        raise StepError(f"espform drift exited {exit_code}: an error, not drift; issue left as is")
    digest = hashlib.sha256(report.encode()).hexdigest()[:16]
    marker = _DIGEST_NOTE.format(digest)
    description = (
        f"{report.rstrip()}\n\n{marker}\n_Last checked by [this job]({job_url}). Closed "
        "automatically once the account matches espform.yaml again._"
    )
    if current is None:
        created = api.send(
            "POST", "/issues", {"title": DRIFT_TITLE, "labels": label, "description": description}
        )
        return f"opened issue #{created['iid']}"
    changed = marker not in (current.get("description") or "")
    api.send("PUT", f"/issues/{current['iid']}", {"description": description})
    # Editing notifies nobody; a note does, so add one only when the drift changed.
    if changed:
        note = f"The drift changed; the description shows it as of [this job]({job_url})."
        api.send("POST", f"/issues/{current['iid']}/notes", {"body": note})
        return f"updated issue #{current['iid']} (drift changed)"
    return f"updated issue #{current['iid']} (same drift)"


# --- Command line -----------------------------------------------------------------------


def _env(environ: Mapping[str, str], name: str) -> str:
    value = environ.get(name, "")
    if not value:
        raise StepError(f"{name} is not set; see the top of .gitlab-ci.yml")
    return value


def run(argv: Sequence[str], environ: Mapping[str, str], api: Api | None = None) -> str:
    parser = argparse.ArgumentParser(prog="espform_gitlab.py")
    steps = parser.add_subparsers(dest="step", required=True)
    note = steps.add_parser("mr-note")
    note.add_argument("plan_md", type=Path)
    note.add_argument("--exit-code", type=int, required=True)
    fetch = steps.add_parser("fetch-plan")
    fetch.add_argument("--job", required=True)
    fetch.add_argument("--out", type=Path, required=True)
    drift = steps.add_parser("drift-issue")
    drift.add_argument("drift_md", type=Path)
    drift.add_argument("--exit-code", type=int, required=True)
    drift.add_argument("--label", default=DRIFT_LABEL)
    args = parser.parse_args(argv)

    if args.step == "mr-note" and not environ.get("CI_MERGE_REQUEST_IID"):
        return "not a merge request pipeline: no note"
    if api is None:
        api = GitLab(
            _env(environ, "CI_API_V4_URL"),
            _env(environ, "CI_PROJECT_ID"),
            _env(environ, "ESPFORM_GITLAB_TOKEN"),
        )
    sha, job_url = _env(environ, "CI_COMMIT_SHA"), environ.get("CI_JOB_URL", "")
    if args.step == "mr-note":
        markdown = args.plan_md.read_text(encoding="utf-8") if args.exit_code != 1 else ""
        body = plan_note(markdown, args.exit_code, sha, job_url)
        return upsert_note(api, environ["CI_MERGE_REQUEST_IID"], body)
    if args.step == "fetch-plan":
        iid, plan = reviewed_plan(api, sha, args.job)
        args.out.write_bytes(plan)
        return f"saved the plan reviewed on merge request !{iid} to {args.out}"
    report = args.drift_md.read_text(encoding="utf-8") if args.exit_code == 2 else ""
    return sync_drift_issue(api, report, args.exit_code, job_url, args.label)


def main() -> int:
    try:
        print(run(sys.argv[1:], os.environ))
    except StepError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
