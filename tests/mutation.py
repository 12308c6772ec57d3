"""Small deliberate defects, one at a time: which does the suite catch?

``make mutation`` (not part of ``make test``): each mutant below is written into the
working tree, the tests that should catch it run, and the file is restored whatever
happens. A mutant the tests let through is a *survivor*; the README lists them. The
first six are the defects an outside run slipped past the suite (issue "Tests that
fail when the promise breaks"): if one of them survives, the command fails.

    .venv/bin/python -m tests.mutation            # every mutant
    .venv/bin/python -m tests.mutation csrf-off   # the ones whose name contains this
"""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTEST = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider"]


@dataclass(frozen=True)
class Mutant:
    name: str
    path: str
    #: (text as it is, text of the defect); each must occur exactly once.
    edits: tuple[tuple[str, str], ...]
    #: The tests that should catch it.
    tests: tuple[str, ...]
    #: One of the defects the suite must catch.
    known: bool = False


MUTANTS = (
    Mutant(
        "csrf-off-on-a-back-office-form",
        "portal/backoffice/views.py",
        (
            ("from portal.extensions import db\n", "from portal.extensions import csrf, db\n"),
            (
                '@bp.route("/signalements/<ref:public_id>/notes", methods=["POST"])\n',
                '@bp.route("/signalements/<ref:public_id>/notes", methods=["POST"])\n'
                "@csrf.exempt\n",
            ),
            (
                '    form = NoteForm(prefix="note")\n    if form',
                '    form = NoteForm(prefix="note", meta={"csrf": False})\n    if form',
            ),
        ),
        ("tests/test_csrf_matrix.py",),
        known=True,
    ),
    Mutant(
        "queue-skips-the-first-row-of-each-next-page",
        "portal/backoffice/services.py",
        (
            (
                "query.order_by(*order).limit(",
                "query.order_by(*order).offset(1 if after is not None else 0).limit(",
            ),
        ),
        ("tests/test_queue_paging.py",),
        known=True,
    ),
    Mutant(
        "closed-may-go-back-to-new",
        "portal/casework/workflow.py",
        (
            (
                '    "closed": frozenset({"in_triage"}),',
                '    "closed": frozenset({"in_triage", "new"}),',
            ),
        ),
        ("tests/test_transitions.py",),
        known=True,
    ),
    Mutant(
        "a-partner-opening-is-not-audited",
        "portal/casework/access.py",
        (
            (
                "    record_event(\n        session,\n        actor=user.actor,\n"
                '        action="referral.open",',
                "    (record_event if user.is_miviludes else (lambda *a, **k: None))(\n"
                '        session,\n        actor=user.actor,\n        action="referral.open",',
            ),
        ),
        ("tests/test_audited_openings.py",),
        known=True,
    ),
    Mutant(
        "no-rate-limit-on-the-reply",
        "portal/public/views.py",
        (
            (
                'methods=["POST"])\n@_follow_up_limits\ndef follow_up_reply',
                'methods=["POST"])\ndef follow_up_reply',
            ),
        ),
        ("tests/test_limits.py",),
        known=True,
    ),
    Mutant(
        "an-allowed-page-answers-500",
        "portal/backoffice/views.py",
        (
            (
                "def accounts_page() -> str:\n    _admin_only()\n",
                "def accounts_page() -> str:\n    _admin_only()\n"
                '    raise RuntimeError("mutant")\n',
            ),
        ),
        ("tests/test_authorization.py",),
        known=True,
    ),
    Mutant(
        "a-disabled-account-still-sees",
        "portal/casework/access.py",
        (("    if user.disabled:\n        return False\n", ""),),
        ("tests/test_authorization.py", "tests/test_backoffice.py"),
    ),
    Mutant(
        "a-declined-routing-keeps-access",
        "portal/casework/access.py",
        (
            (
                'ROUTING_STATES_WITH_ACCESS = ("pending", "accepted", "closed")',
                'ROUTING_STATES_WITH_ACCESS = ("pending", "accepted", "closed", "declined")',
            ),
        ),
        ("tests/test_backoffice.py", "tests/test_transitions.py"),
    ),
    Mutant(
        "same-site-posts-accepted",
        "portal/security.py",
        (
            (
                'if site not in {"same-origin", "none"}:',
                'if site not in {"same-origin", "none", "same-site"}:',
            ),
        ),
        ("tests/test_self_check.py", "tests/test_csrf_matrix.py"),
    ),
    Mutant(
        "a-view-policy-overwritten",
        "portal/security.py",
        (
            (
                'headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)',
                'headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY',
            ),
        ),
        ("tests/test_backoffice.py",),
    ),
    Mutant(
        "urgent-cases-last",
        "portal/backoffice/services.py",
        (
            (
                "phases = [True] if filters.urgent else [True, False]",
                "phases = [True] if filters.urgent else [False, True]",
            ),
        ),
        ("tests/test_queue_paging.py",),
    ),
    Mutant(
        "cursor-ids-unbounded",
        "portal/backoffice/services.py",
        (("or not 0 < number <= MAX_ROW_ID", "or number < 0"),),
        ("tests/test_hostile_input.py",),
    ),
)


def _apply(mutant: Mutant) -> str:
    path = ROOT / mutant.path
    original = path.read_text(encoding="utf-8")
    text = original
    for before, after in mutant.edits:
        count = text.count(before)
        if count != 1:
            raise SystemExit(f"{mutant.name}: {before!r} occurs {count} times in {mutant.path}")
        text = text.replace(before, after)
    path.write_text(text, encoding="utf-8")
    return original


def run(selected: list[Mutant]) -> int:
    survivors, known_survivors = [], []
    for mutant in selected:
        original = _apply(mutant)
        started = time.monotonic()
        try:
            result = subprocess.run(
                [*PYTEST, *mutant.tests], cwd=ROOT, capture_output=True, text=True, check=False
            )
        finally:
            (ROOT / mutant.path).write_text(original, encoding="utf-8")
        seconds = time.monotonic() - started
        if result.returncode not in (0, 1):  # not a test failing: the mutant is broken
            print(result.stdout[-3000:], result.stderr[-3000:])
            raise SystemExit(f"{mutant.name}: pytest exited {result.returncode}")
        caught = result.returncode == 1
        failed = [line for line in result.stdout.splitlines() if line.startswith("FAILED")]
        print(f"{'caught  ' if caught else 'SURVIVED'} {mutant.name} ({seconds:.0f} s)", flush=True)
        for line in failed[:1]:
            print(f"         by {line.removeprefix('FAILED ')[:150]}")
        if not caught:
            survivors.append(mutant.name)
            if mutant.known:
                known_survivors.append(mutant.name)
    print(f"{len(selected) - len(survivors)} caught, {len(survivors)} survived")
    for name in survivors:
        print(f"  survivor: {name}")
    return 1 if known_survivors else 0


if __name__ == "__main__":
    wanted = sys.argv[1:]
    chosen = [m for m in MUTANTS if not wanted or any(w in m.name for w in wanted)]
    raise SystemExit(run(chosen))
