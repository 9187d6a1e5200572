"""The company's own HTTP API and its own callback Lambda, in the same CDK app: the router takes the
callback routes over and hands every callback that is not Junction's to that Lambda, unchanged."""

from __future__ import annotations

from aws_cdk import App, CfnOutput, Duration, Environment, Stack
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_lambda as lambda_

from junction_callback_router import CallbackRouter, Fallback, Route

COMPANY_HANDLER = "def handler(event, context):\n    return {'statusCode': 302, 'headers': {'Location': '/home'}}\n"


def build(app: App) -> Stack:
    """The company's stack: its HTTP API, its callback function, and the router in front of it."""
    stack = Stack(app, "CompanyAuth", env=Environment(region="eu-west-1"))
    api = apigwv2.HttpApi(stack, "CompanyApi")  # the company's API, with its other routes
    callback = lambda_.Function(  # the company's callback handler, as it was (here a stand-in)
        stack,
        "CompanyCallback",
        runtime=lambda_.Runtime.PYTHON_3_13,
        handler="index.handler",
        code=lambda_.Code.from_inline(COMPANY_HANDLER),
        timeout=Duration.seconds(10),
    )
    # Adopting the router = deleting the company's own `GET /oauth_callback/{provider}` route
    # (synth refuses the two together) and passing its function as the fallback.
    router = CallbackRouter(
        stack,
        "JunctionRouter",
        environments=["sandbox-eu"],
        routes=["/oauth_callback/{provider}", Route("/auth/strava/callback", provider="strava")],
        fallback=Fallback.invoke(callback),  # the very event, the function's very answer
        alarms=True,
    )
    router.add_to_http_api(api)
    CfnOutput(stack, "RedirectUrlOverride", value=f"{api.api_endpoint}/oauth_callback/{{provider}}")
    return stack


if __name__ == "__main__":
    app = App()
    build(app)
    app.synth()
