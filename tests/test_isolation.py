"""Uploads are parsed in a child process: a decoder that crashes, loops or swells
refuses that one file with a clear message, and the worker carries on as it was."""

from __future__ import annotations

import io
import os
import signal
import statistics
import time

import pytest
from PIL import Image

from portal import attachments
from portal.attachments import RejectedFile, inspect_upload
from portal.isolation import IsolatedWorkFailed, run_isolated
from tests.intake_helpers import DESCRIPTION, post_referral

#: What the form says of such a file (French, the default language).
UNSAFE_FR = "n’a pas pu être vérifié sans risque"


def _small_png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "teal").save(out, "PNG")
    return out.getvalue()


def big_photo() -> bytes:
    """A 20-megapixel JPEG just under the 10 MB limit, noisy like a real photo."""
    size = (5472, 3648)
    noise = Image.effect_noise(size, 60).convert("RGB")
    gradient = Image.linear_gradient("L").resize(size).convert("RGB")
    out = io.BytesIO()
    Image.blend(noise, gradient, 0.5).save(out, "JPEG", quality=85)
    data = out.getvalue()
    assert 9 * 1024 * 1024 < len(data) <= attachments.MAX_FILE_BYTES
    return data


def _crash(*_args):
    os.kill(os.getpid(), signal.SIGSEGV)


def _spin(*_args):
    while True:
        pass


def _sleep(*_args):
    time.sleep(60)


def _swell(*_args):
    hoard = []
    while True:
        hoard.append(bytearray(64 * 1024 * 1024))


@pytest.mark.parametrize(
    ("decoder", "seconds"), [(_crash, 15), (_spin, 2), (_sleep, 2), (_swell, 15)]
)
def test_a_decoder_that_crashes_loops_or_swells_refuses_the_file_only(
    monkeypatch, decoder, seconds
):
    monkeypatch.setattr(attachments, "_clean_image", decoder)
    started = time.monotonic()
    with pytest.raises(RejectedFile) as refused:
        inspect_upload("photo.png", _small_png(), keep_original=False, seconds=seconds)
    assert refused.value.reason == "unsafe"
    assert time.monotonic() - started < seconds + 2
    # The process that asked (the worker) goes on: the next file is checked normally.
    monkeypatch.undo()
    assert inspect_upload("photo.png", _small_png(), keep_original=False).media_type == "image/png"


@pytest.mark.parametrize(
    "answer",
    [
        ({"media_type": "application/x-msdownload", "cleaned": True}, b"MZ"),
        ({"media_type": "image/png", "cleaned": "yes"}, b"x"),
        ({"rejected": "made-up"}, b""),
        ({"media_type": "image/png", "cleaned": True}, b""),
    ],
)
def test_what_the_child_answers_is_checked_like_any_input(monkeypatch, answer):
    monkeypatch.setattr(attachments, "_clean", lambda *_args: answer)
    with pytest.raises(RejectedFile) as refused:
        inspect_upload("photo.png", _small_png(), keep_original=False)
    assert refused.value.reason == "unsafe"


def test_an_answer_larger_than_allowed_is_refused():
    with pytest.raises(IsolatedWorkFailed) as failed:
        run_isolated(
            lambda: ({}, bytes(3 << 20)), seconds=5, memory_bytes=1 << 30, max_answer_bytes=1 << 20
        )
    assert failed.value.cause == "answer"


def test_the_file_never_leaves_memory(monkeypatch, tmp_path):
    """The child inherits the bytes and answers through a pipe: no file is opened for
    writing on the way."""
    opened = []
    real_open = os.open

    def watching_open(path, flags, *args, **kwargs):
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            opened.append(path)
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", watching_open)
    assert inspect_upload("photo.png", _small_png(), keep_original=False).cleaned
    assert opened == []


def test_a_crashing_decoder_gives_the_form_back_with_a_clear_message(client, monkeypatch):
    monkeypatch.setattr(attachments, "_clean_image", _crash)
    response = post_referral(client, files=[("photo.png", _small_png())])
    page = response.get_data(as_text=True)
    assert response.status_code == 422  # as for any refused file
    assert UNSAFE_FR in page and "photo.png" in page
    assert DESCRIPTION.split()[0] in page  # what was typed is still there


def test_a_20_megapixel_photo_is_cleaned_in_under_a_second():
    photo = big_photo()
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        clean = inspect_upload("photo.jpg", photo, keep_original=False)
        timings.append(time.perf_counter() - started)
    assert clean.cleaned and clean.media_type == "image/jpeg"
    with Image.open(io.BytesIO(clean.data)) as image:
        assert image.size == (5472, 3648) and not image.getexif()
    assert statistics.median(timings) < 1.0, timings
