"""Thin adapters: one event source each, from event to core inputs and from decision to response.

``edge`` (CloudFront viewer request), ``http_api``, ``rest_api`` and ``alb``; ``api`` holds what
the three regional ones share.
"""
