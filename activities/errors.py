"""The activity edge: a DomainError becomes an ApplicationError named after its class.

`non_retryable = not error.retryable`, so bad input stops the cycle at once while database and network
errors (not DomainErrors) propagate unchanged and Temporal's retry policy handles them.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from temporalio.exceptions import ApplicationError

from common.errors import DomainError

P = ParamSpec("P")
R = TypeVar("R")


def translate_domain_errors(function: Callable[P, R]) -> Callable[P, R]:
    if inspect.iscoroutinefunction(function):
        return _translate_async(function)  # type: ignore[return-value]

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return function(*args, **kwargs)
        except DomainError as error:
            raise ApplicationError(
                str(error), type=type(error).__name__, non_retryable=not error.retryable
            ) from error

    return wrapper


def _translate_async(function):  # type: ignore[no-untyped-def]
    @functools.wraps(function)
    async def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
        try:
            return await function(*args, **kwargs)
        except DomainError as error:
            raise ApplicationError(
                str(error), type=type(error).__name__, non_retryable=not error.retryable
            ) from error

    return wrapper
