import importlib.abc
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType

ALIAS: str
TARGET: str
ENV_VAR: str
SHIM_DIR: str

class AliasFinder(importlib.abc.MetaPathFinder):
    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None = None,
        target: ModuleType | None = None,
    ) -> ModuleSpec | None: ...

def installed() -> bool: ...
def install(*, children: bool = True) -> None: ...
def uninstall() -> None: ...
