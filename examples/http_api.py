"""The company's own HTTP API, in the same CDK app: the router takes the callback routes on it."""

from __future__ import annotations

from aws_cdk import App, CfnOutput, Environment, Stack
from aws_cdk import aws_apigatewayv2 as apigwv2

from junction_callback_router import CallbackRouter, Fallback, Route


def build(app: App) -> Stack:
    """The company's stack: its HTTP API plus the router on the callback paths."""
    stack = Stack(app, "CompanyAuth", env=Environment(region="eu-west-1"))
    api = apigwv2.HttpApi(stack, "CompanyApi")  # the company's API, with its other routes
    router = CallbackRouter(
        stack,
        "JunctionRouter",
        environments=["sandbox-eu"],
        routes=["/oauth_callback/{provider}", Route("/auth/strava/callback", provider="strava")],
        # The company's own callback logic, now behind the router: it keeps every callback that
        # is not Junction's. A deploy-time URL (a token) is fine here.
        fallback=Fallback.proxy(f"{api.api_endpoint}/internal/oauth_callback/{{provider}}"),
        alarms=True,
    )
    router.add_to_http_api(api)
    CfnOutput(stack, "RedirectUrlOverride", value=f"{api.api_endpoint}/oauth_callback/{{provider}}")
    return stack


if __name__ == "__main__":
    app = App()
    build(app)
    app.synth()
