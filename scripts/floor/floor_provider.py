"""A dynamic provider that answers every call from its arguments: create records the inputs,
read returns what the state holds, diff compares old and new inputs."""
from typing import Any

import pulumi.dynamic as dynamic


class TrivialProvider(dynamic.ResourceProvider):
    def create(self, props: dict[str, Any]) -> dynamic.CreateResult:
        return dynamic.CreateResult(str(props.get("name") or props.get("id") or props.get("userId")), props)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.DiffResult:
        return dynamic.DiffResult(changes=olds != news)

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> dynamic.UpdateResult:
        return dynamic.UpdateResult(news)

    def read(self, id_: str, props: dict[str, Any]) -> dynamic.ReadResult:
        return dynamic.ReadResult(id_, props)


class Trivial(dynamic.Resource, module="floor", name="Trivial"):
    def __init__(self, name: str, props: dict[str, Any], opts: Any = None) -> None:
        super().__init__(TrivialProvider(), name, props, opts)
