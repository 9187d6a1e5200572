"""A CDK CloudFront Distribution with the edge router on the callback behaviour (Lambda@Edge)."""

from __future__ import annotations

from aws_cdk import App, Environment, Stack
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins

from junction_callback_router import EdgeCallbackRouter


def build(app: App) -> Stack:
    """A distribution in front of the company's auth origin; Junction's callbacks answered at the edge."""
    stack = Stack(app, "CompanyEdge", env=Environment(region="us-east-1"))  # Lambda@Edge lives here
    origin = origins.HttpOrigin("auth-origin.company.example")
    distribution = cloudfront.Distribution(
        stack, "Distribution", default_behavior=cloudfront.BehaviorOptions(origin=origin)
    )
    edge = EdgeCallbackRouter(stack, "EdgeRouter", environments=["production-us", "production-eu"])
    for pattern in edge.path_patterns:  # "/oauth_callback/*"
        distribution.add_behavior(
            pattern,
            origin,
            edge_lambdas=[edge.edge_lambda],
            cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
            origin_request_policy=cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
            allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
        )
    return stack


if __name__ == "__main__":
    app = App()
    build(app)
    app.synth()
