"""The standalone CDK app of this checkout: one stack per ``cdk.json`` stage (``app.py`` runs it).

Not part of the published library: it reads the checkout's ``cdk.json`` (:mod:`.stages`), builds
its stacks from the public constructs of :mod:`junction_callback_router` (:mod:`.stacks`) and
wires cdk-nag, a development dependency. The library never imports it.
"""
