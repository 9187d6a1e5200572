"""Junction BYOO callback router: sends Junction's OAuth callbacks on to Junction.

Entry points are in :mod:`callback_router.handlers`. This package file stays empty of imports
so that a Lambda@Edge cold start loads only what the viewer-request handler needs.
"""
