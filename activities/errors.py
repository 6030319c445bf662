"""The activity edge: a DomainError becomes an ApplicationError named after its class.

`non_retryable = not error.retryable`, so bad input stops the cycle at once while database and network
errors (not DomainErrors) propagate unchanged and Temporal's retry policy handles them.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, ParamSpec, TypeVar, cast

from temporalio.exceptions import ApplicationError

from common.errors import DomainError

P = ParamSpec("P")
R = TypeVar("R")


def translate_domain_errors(function: Callable[P, R]) -> Callable[P, R]:
    if inspect.iscoroutinefunction(function):
        # The coroutine wrapper returns what `function` returns (an awaitable of its result).
        return cast("Callable[P, R]", _translate_async(function))

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return function(*args, **kwargs)
        except DomainError as error:
            raise _application_error(error) from error

    return wrapper


def _translate_async(function: Callable[P, Awaitable[R]]) -> Callable[P, Coroutine[Any, Any, R]]:
    @functools.wraps(function)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await function(*args, **kwargs)
        except DomainError as error:
            raise _application_error(error) from error

    return wrapper


def _application_error(error: DomainError) -> ApplicationError:
    return ApplicationError(str(error), type=type(error).__name__, non_retryable=not error.retryable)
