"""CDK app entry point (placeholder until the infrastructure lands)."""
