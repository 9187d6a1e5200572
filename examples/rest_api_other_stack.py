"""A REST API that lives in another stack, imported by id: the router adds methods and deploys them."""

from __future__ import annotations

from aws_cdk import App, Environment, Stack
from aws_cdk import aws_apigateway as apigw

from junction_callback_router import CallbackRouter, Fallback


def build(app: App) -> Stack:
    """Two stacks: the company's REST API, and the router attached to it by its ids."""
    env = Environment(region="us-east-1")
    company = Stack(app, "CompanyRestApi", env=env)
    api = apigw.RestApi(company, "Api", deploy_options=apigw.StageOptions(stage_name="prod"), cloud_watch_role=False)
    api.root.add_method("GET", apigw.MockIntegration())  # the company's existing methods

    stack = Stack(app, "JunctionRouter", env=env)
    imported = apigw.RestApi.from_rest_api_attributes(
        stack, "CompanyApi", rest_api_id=api.rest_api_id, root_resource_id=api.rest_api_root_resource_id
    )
    router = CallbackRouter(
        stack,
        "Router",
        environments=["production-us"],
        fallback=Fallback.redirect("https://auth.company.example/legacy/oauth_callback/{provider}"),
    )
    router.add_to_rest_api(imported, stage_name="prod")  # a new deployment of "prod" with the routes
    return stack


if __name__ == "__main__":
    app = App()
    build(app)
    app.synth()
