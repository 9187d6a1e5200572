"""CDK infrastructure for the callback router: stages, bundling, constructs and stacks."""
