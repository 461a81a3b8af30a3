"""The classes loaded in this process at or below a root class: what the session host prepares
class by class before it forks (parsed default CSS, handler parameter counts)."""

from __future__ import annotations

from typing import TypeVar

T = TypeVar("T")


def loaded_subclasses(root: type[T]) -> list[type[T]]:
    """`root` and every class loaded that derives from it, each once per place in the hierarchy."""
    found: list[type[T]] = []
    todo: list[type[T]] = [root]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found
