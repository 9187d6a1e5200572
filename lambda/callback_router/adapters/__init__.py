"""Thin adapters: one event source each, from event to core inputs and from decision to response."""
