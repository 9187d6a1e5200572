"""The one home of the helpers tests and benchmarks share.

* :mod:`tests.support.tokens`: Link Tokens and raw compact JWS strings.
* :mod:`tests.support.contexts`: the fake Lambda context object, in process and as source text.
* :mod:`tests.support.events`: the event each front hands Lambda for a path, a raw query and a method.

Nothing is imported here: :mod:`~tests.support.contexts` stays free of third-party imports, so
a script that measures what a handler imports can use it.
"""
