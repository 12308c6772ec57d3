"""Running decoders of untrusted files in a short-lived child process.

Pillow, pikepdf and zipfile parse whatever a stranger sends. Inside the worker that
holds the request, a 20-megapixel image left the worker at about 410 MB until it was
recycled, and a decoder that crashes or loops would take the worker with it. Here
the work runs in a child forked for it alone, under memory and CPU limits and a
deadline; the worker keeps only the answer, and the child's memory goes back to the
system when it exits. The file travels in memory only: the child inherits it at the
fork and answers through a pipe.

The answer is a small JSON header and the bytes: never a pickle, which a subverted
decoder could turn into code run by the worker.

This separation protects the service (memory, crashes, hangs). It is not a jail: the
child runs as the service's account and could read what the account can read.
"""

from __future__ import annotations

import faulthandler
import json
import os
import resource
import select
import signal
import time
from collections.abc import Callable
from typing import Any

#: Exit statuses of the child, read by the parent.
_DONE, _OUT_OF_MEMORY, _FAILED = 0, 71, 70
#: Signals whose worker handlers (gunicorn's) must not run in the child.
_RESET_SIGNALS = (
    signal.SIGTERM,
    signal.SIGINT,
    signal.SIGQUIT,
    signal.SIGHUP,
    signal.SIGUSR1,
    signal.SIGUSR2,
    signal.SIGWINCH,
    signal.SIGABRT,
    signal.SIGCHLD,
    signal.SIGPIPE,
)
_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


class IsolatedWorkFailed(RuntimeError):
    """The child did not give an answer: ``cause`` is "crashed", "memory", "time" or
    "answer" (an answer too large or malformed)."""

    EXPLANATIONS = {
        "crashed": "the child process crashed",
        "memory": "the child process reached its memory limit",
        "time": "the child process ran out of time",
        "answer": "the child process gave an answer too large or malformed",
    }

    def __init__(self, cause: str) -> None:
        super().__init__(self.EXPLANATIONS[cause])
        self.cause = cause


Work = Callable[..., tuple[dict[str, Any], bytes]]


def run_isolated(
    work: Work,
    *args: object,
    seconds: float,
    memory_bytes: int,
    max_answer_bytes: int,
) -> tuple[dict[str, Any], bytes]:
    """``work(*args)`` in a child: its JSON-able header and its bytes, or
    ``IsolatedWorkFailed``. ``memory_bytes`` is what the child may add to the address
    space it inherits; ``seconds`` bounds both its CPU time and the wait for it."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child never returns from here
        os.close(read_end)
        _run_child(write_end, work, args, seconds, memory_bytes)
    os.close(write_end)
    try:
        answer = _read_answer(read_end, time.monotonic() + seconds, max_answer_bytes)
    except IsolatedWorkFailed:
        os.kill(pid, signal.SIGKILL)
        raise
    finally:
        os.close(read_end)
        _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        cause = "time" if os.WTERMSIG(status) == signal.SIGXCPU else "crashed"
        raise IsolatedWorkFailed(cause)
    code = os.WEXITSTATUS(status)
    if code != _DONE:
        raise IsolatedWorkFailed("memory" if code == _OUT_OF_MEMORY else "crashed")
    return _parse_answer(answer)


def _run_child(write_end: int, work: Work, args: tuple, seconds: float, memory_bytes: int):
    status = _FAILED
    try:
        faulthandler.disable()  # a crash is reported by the parent, once, without a dump
        for number in _RESET_SIGNALS:
            signal.signal(number, signal.SIG_DFL)
        cpu = max(1, int(seconds))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = _address_space_in_use() + memory_bytes
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
        header, payload = work(*args)
        head = json.dumps(header, separators=(",", ":")).encode("ascii")
        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(len(head).to_bytes(4, "big") + head)
            pipe.write(payload)
        status = _DONE
    except MemoryError:
        status = _OUT_OF_MEMORY
    except BaseException:
        status = _FAILED
    finally:
        os._exit(status)  # no clean-up of the worker's state: its sockets are not ours


def _address_space_in_use() -> int:
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[0]) * _PAGE_SIZE


def _read_answer(read_end: int, deadline: float, max_bytes: int) -> bytes:
    poller = select.poll()
    poller.register(read_end, select.POLLIN | select.POLLHUP)
    chunks, size = [], 0
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not poller.poll(remaining * 1000):
            raise IsolatedWorkFailed("time")
        chunk = os.read(read_end, 1 << 20)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > max_bytes:
            raise IsolatedWorkFailed("answer")
        chunks.append(chunk)


def _parse_answer(answer: bytes) -> tuple[dict[str, Any], bytes]:
    try:
        length = int.from_bytes(answer[:4], "big")
        header = json.loads(answer[4 : 4 + length].decode("ascii"))
    except (ValueError, UnicodeDecodeError):
        raise IsolatedWorkFailed("answer") from None
    if len(answer) < 4 + length or not isinstance(header, dict):
        raise IsolatedWorkFailed("answer")
    return header, answer[4 + length :]
