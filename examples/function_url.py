"""A Function URL, for a company that puts its own domain or CloudFront distribution in front."""

from __future__ import annotations

from aws_cdk import App, CfnOutput, Environment, Stack

from junction_callback_router import CallbackRouter, Fallback


def build(app: App) -> Stack:
    """The router with a URL (auth NONE: OAuth providers redirect browsers to it)."""
    stack = Stack(app, "JunctionRouterUrl", env=Environment(region="us-west-2"))
    router = CallbackRouter(
        stack,
        "Router",
        environments=["sandbox-us"],
        fallback=Fallback.redirect("https://auth.company.example/oauth_callback/{provider}"),
    )
    url = router.add_function_url()
    CfnOutput(stack, "FunctionUrl", value=url.url)
    return stack


if __name__ == "__main__":
    app = App()
    build(app)
    app.synth()
