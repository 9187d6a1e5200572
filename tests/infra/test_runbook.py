"""docs/DEPLOY.md's edge runbook agrees with the template, and its log-retention loop runs.

The loop is taken from DEPLOY.md as written and run by bash against a stand-in ``aws`` command on
``PATH`` (the real CLI would need an account); the stand-in answers like the AWS CLI does: exit
254 and ``An error occurred (CODE) ...`` on stderr.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from aws_cdk import aws_cloudfront as cloudfront

from tests.infra.conftest import ROOT, Synth

DEPLOY_MD = (ROOT / "docs" / "DEPLOY.md").read_text(encoding="utf-8")
POLICY_NAMES = {
    cloudfront.CachePolicy.CACHING_DISABLED.cache_policy_id: "CachingDisabled",
    cloudfront.OriginRequestPolicy.ALL_VIEWER.origin_request_policy_id: "AllViewer",
    cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER.origin_request_policy_id: "AllViewerExceptHostHeader",
}


def section(heading: str) -> str:
    """The text of a DEPLOY.md section, from its heading to the next heading of any level."""
    start = DEPLOY_MD.index(heading) + len(heading)
    following = re.search(r"^#{2,3} ", DEPLOY_MD[start:], flags=re.MULTILINE)
    return DEPLOY_MD[start : start + following.start()] if following else DEPLOY_MD[start:]


def test_the_edge_runbook_names_the_policies_of_the_template(synths: dict[str, Synth]) -> None:
    synth = synths["edge"]  # no domain_names
    (distribution,) = [
        resource["Properties"]["DistributionConfig"]
        for resource in synth.json["Resources"].values()
        if resource["Type"] == "AWS::CloudFront::Distribution"
    ]
    (callback,) = distribution["CacheBehaviors"]
    runbook = " ".join(section("### `edge` (new CloudFront distribution)").split())
    cache, request = POLICY_NAMES[callback["CachePolicyId"]], POLICY_NAMES[callback["OriginRequestPolicyId"]]
    assert (cache, request) == ("CachingDisabled", "AllViewerExceptHostHeader")
    assert f"caching disabled (`{cache}`)" in runbook
    assert f"forwarded to the origin except `Host` (`{request}`)" in runbook
    assert "With `domain_names` the `Host` goes too (`AllViewer`), unless `forward_host_header: false`" in runbook


def retention_loop() -> str:
    """The shell block of the edge log-retention bullet in DEPLOY.md."""
    bullet = DEPLOY_MD[DEPLOY_MD.index("- Lambda@Edge logs to `/aws/lambda/us-east-1.<function>`") :]
    match = re.search(r"```sh\n(.*?)```", bullet, flags=re.DOTALL)
    assert match is not None
    return match.group(1)


FAKE_AWS = """#!/bin/bash
# Stand-in for the AWS CLI: records each call; answers per region like the real one.
echo "$*" >> "$CALLS"
fail() { echo "An error occurred ($1) when calling the CreateLogGroup operation: $2" >&2; exit 254; }
region=""; args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do [ "${args[i]}" = --region ] && region=${args[i+1]}; done
case "$1 $2" in
  "ec2 describe-regions") printf 'us-east-1\\teu-west-1\\tap-south-1\\n' ;;
  "logs create-log-group")
    case $region in
      eu-west-1) fail ResourceAlreadyExistsException "The specified log group already exists" ;;
      ap-south-1) fail AccessDeniedException "not authorized to perform logs:CreateLogGroup" ;;
    esac ;;
  "logs put-retention-policy") ;;
  *) echo "unexpected: $*" >&2; exit 2 ;;
esac
"""


def test_the_log_retention_loop_creates_missing_groups_and_keeps_going(tmp_path: Path) -> None:
    fake = tmp_path / "bin" / "aws"
    fake.parent.mkdir()
    fake.write_text(FAKE_AWS, encoding="utf-8")
    fake.chmod(0o755)
    calls = tmp_path / "calls"
    script = retention_loop().replace("FUNCTION", "JunctionCallbackRouter-edge-Fn-AbC")
    result = subprocess.run(
        ["bash", "-c", script],
        env={**os.environ, "PATH": f"{fake.parent}:{os.environ['PATH']}", "CALLS": str(calls)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    made = calls.read_text(encoding="utf-8").splitlines()
    group = "--log-group-name /aws/lambda/us-east-1.JunctionCallbackRouter-edge-Fn-AbC"
    retention = [line for line in made if line.startswith("logs put-retention-policy")]
    # us-east-1: created; eu-west-1: existed already; both get the retention.
    assert retention == [
        f"logs put-retention-policy --region us-east-1 {group} --retention-in-days 90",
        f"logs put-retention-policy --region eu-west-1 {group} --retention-in-days 90",
    ]
    # ap-south-1: a real error is shown, not swallowed, and the loop goes on.
    assert "ap-south-1: An error occurred (AccessDeniedException)" in result.stderr
    assert "ResourceAlreadyExistsException" not in result.stderr
