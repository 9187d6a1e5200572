"""The pure decision core of the callback router.

Nothing in this package imports AWS, Powertools or any Lambda event shape: it answers one
question, "where should this OAuth callback go?", from plain values. The adapters in
``callback_router.adapters`` turn events into those values and decisions back into responses.
"""
