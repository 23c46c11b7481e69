"""Progress bars for long work: rich in a terminal, silent when output is not a TTY."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


def is_interactive() -> bool:
    return sys.stderr.isatty()


@contextmanager
def progress_bar(enabled: bool | None = None) -> Iterator[Progress]:
    """A rich Progress on stderr; disabled (prints nothing) unless stderr is a terminal.

    Usage::

        with progress_bar() as progress:
            task = progress.add_task("Writing sales", total=n_chunks)
            ...
            progress.advance(task)
    """
    enabled = is_interactive() if enabled is None else enabled
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        disable=not enabled,
        transient=False,
    )
    with progress:
        yield progress
