"""A CDK CloudFront Distribution with the router as a CloudFront Function on the callback behaviour."""

from __future__ import annotations

from aws_cdk import App, Environment, Stack
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins

from junction_callback_router import CloudFrontFunctionCallbackRouter


def build(app: App) -> Stack:
    """A distribution in front of the company's auth origin; Junction's callbacks answered at the edge."""
    # Any region works; us-east-1 also gets the metric filters and alarms (CloudFront's logs live there).
    stack = Stack(app, "CompanyEdgeFunction", env=Environment(region="us-east-1"))
    origin = origins.HttpOrigin("auth-origin.company.example")
    distribution = cloudfront.Distribution(
        stack, "Distribution", default_behavior=cloudfront.BehaviorOptions(origin=origin)
    )
    router = CloudFrontFunctionCallbackRouter(
        stack, "EdgeFn", environments=["production-us", "production-eu"], alarms=True
    )
    for pattern in router.path_patterns:  # "/oauth_callback/*"
        distribution.add_behavior(
            pattern,
            origin,
            function_associations=[router.function_association],
            cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
            origin_request_policy=cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
            allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
        )
    return stack


if __name__ == "__main__":
    app = App()
    build(app)
    app.synth()
