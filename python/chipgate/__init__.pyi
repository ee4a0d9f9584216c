from typing import Any, Iterable, Iterator, Optional, Union

import pyarrow

class RuleSet:
    def __init__(self, rules: Iterable[str] = ..., builtin: bool = ...) -> None: ...
    @property
    def version(self) -> str: ...

def check(chip: Optional[str] = ..., *, to: str, date: Any = ..., end_user_hq: Optional[str] = ...,
          end_user: Optional[str] = ..., consignee: Optional[str] = ...,
          rules: Union[RuleSet, Iterable[str], None] = ..., **figures: Any) -> dict: ...

def audit(data: Any, *, date: Any = ..., columns: Optional[Iterable[str]] = ...,
          rules: Union[RuleSet, Iterable[str], None] = ..., builtin: bool = ...,
          exporter: Optional[str] = ..., ship_from: Optional[str] = ..., stamp: bool = ...) -> pyarrow.Table: ...

def audit_batches(data: Any, *, date: Any = ..., columns: Optional[Iterable[str]] = ...,
                  rules: Union[RuleSet, Iterable[str], None] = ..., builtin: bool = ...,
                  exporter: Optional[str] = ..., ship_from: Optional[str] = ...,
                  stamp: bool = ..., row_numbers: bool = ...) -> Iterator[pyarrow.RecordBatch]: ...
