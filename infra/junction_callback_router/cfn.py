"""Reading resolved CloudFormation values at synth (route conflicts and fallback loops compare them)."""

from __future__ import annotations

from collections.abc import Iterator


def cfn_references(value: object) -> Iterator[str]:
    """Logical ids named by ``Ref`` and ``Fn::GetAtt`` anywhere in a resolved CloudFormation value.

    How two deploy-time values are compared at synth: by the resources they point at, never by the
    token text (two tokens for one value need not look alike).
    """
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "Ref" and isinstance(item, str):
                yield item
            elif key == "Fn::GetAtt" and isinstance(item, list) and item and isinstance(item[0], str):
                yield item[0]
            else:
                yield from cfn_references(item)
    elif isinstance(value, list):
        for item in value:
            yield from cfn_references(item)
