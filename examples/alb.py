"""An Application Load Balancer in front of the company's existing service (imported listener)."""

from __future__ import annotations

from aws_cdk import App, Environment, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2

from junction_callback_router import CallbackRouter, Fallback

LISTENER_ARN = (
    "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/company/50dc6c495c0c9188/f2f7dc8efc522ab2"
)
SERVICE_TARGETS_ARN = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/auth-service/73e2d6bc24d8a067"


def build(app: App) -> Stack:
    """Two listener rules before the listener's own: marked fallbacks to the service, JWT states to the router."""
    stack = Stack(app, "CompanyAlbRouter", env=Environment(account="123456789012", region="eu-west-1"))
    listener = elbv2.ApplicationListener.from_application_listener_attributes(
        stack,
        "Listener",
        listener_arn=LISTENER_ARN,
        security_group=ec2.SecurityGroup.from_security_group_id(stack, "AlbSecurityGroup", "sg-0123456789abcdef0"),
    )
    service = elbv2.ApplicationTargetGroup.from_target_group_attributes(
        stack, "AuthService", target_group_arn=SERVICE_TARGETS_ARN
    )
    router = CallbackRouter(
        stack,
        "Router",
        environments=["production-eu"],
        # The same public URL: the replayed request carries the marker header, so the bypass
        # rule sends it to the service instead of back to the router.
        fallback=Fallback.proxy("https://auth.company.example/oauth_callback/{provider}"),
    )
    router.add_to_alb(listener, priority=10, company_target_group=service)
    return stack


if __name__ == "__main__":
    app = App()
    build(app)
    app.synth()
