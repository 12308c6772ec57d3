"""The ``portal`` command: Flask's CLI plus the portal's own set-up commands."""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from datetime import timedelta
from pathlib import Path

import click
import pyotp
from flask import Flask, current_app
from flask.cli import FlaskGroup
from flask_migrate import upgrade
from sqlalchemy import create_engine, func, inspect, select
from sqlalchemy import table as sa_table
from sqlalchemy.exc import IntegrityError

import crypto
from portal import accounts, clock, demo, geography
from portal.casework import deadlines, reminders
from portal.config import (
    SECRET_NAMES,
    Config,
    ConfigError,
    database_url_from_env,
    instance_path_from_env,
    secrets_file,
    secrets_missing_from_environment,
    write_secrets_file,
)
from portal.extensions import db
from portal.keyring import (
    KeysAlreadyExist,
    KeysMissing,
    initialise_keys,
    intake_keys,
    recover_group_private_key,
)
from portal.models import KEY_HOLDING_ROLES, ROLES, Association, utcnow
from portal.public.intake import Secrets
from portal.records import outbox, retention
from portal.records.audit import (
    NOTED_HEAD_MISSING,
    AuditLogBroken,
    audit_key,
    publish_head,
    seal_unkeyed_events,
    verify_chain,
)
from portal.reference import load_reference_data
from portal.statistics import tallies
from portal.statistics.calendar import Period
from portal.statistics.counts import count_activity, recount_activity, years_with_referrals
from portal.urls import external_url


def _create_app() -> Flask:
    from portal import create_app  # imported late: the package itself imports this module

    try:
        return create_app(Config.from_env())
    except ConfigError as error:
        raise click.ClickException(f"configuration: {error}") from None


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
def main() -> None:
    """Miviludes referral portal."""


def _what_the_database_holds(url: str) -> dict[str, int]:
    """Referrals and accounts already stored, read without creating anything."""
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return {}
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            tables = set(inspect(connection).get_table_names())
            return {
                table: connection.scalar(select(func.count()).select_from(sa_table(table)))
                for table in ("referrals", "users")
                if table in tables
            }
    finally:
        engine.dispose()


@main.command("init", with_appcontext=False)
@click.option(
    "--fresh-start",
    is_flag=True,
    help="Create new secrets although the database holds referrals or accounts "
    "(their receipt codes stop working). Only to begin again on purpose.",
)
def init_command(fresh_start: bool) -> None:
    """Create the secrets file (once), apply migrations and load the reference data.

    Safe to run again: it never replaces a secret and inserts only missing rows. It
    refuses to create secrets for a database that already holds referrals or
    accounts: the file was lost, and new secrets would orphan every receipt issued.
    """
    instance = instance_path_from_env()
    missing_from_environment = secrets_missing_from_environment()
    if not (secrets_file(instance).exists() or not missing_from_environment or fresh_start):
        held = {
            table: n for table, n in _what_the_database_holds(database_url_from_env()).items() if n
        }
        if held:
            raise click.ClickException(
                f"the database already holds {held.get('referrals', 0)} referrals and "
                f"{held.get('users', 0)} accounts, but the secrets file "
                f"{secrets_file(instance)} is missing. New secrets would make every "
                "receipt code ever issued useless. Restore that file from the backup "
                "(mode 0600), or give the secrets in the environment (still missing: "
                f"{', '.join(missing_from_environment)}); `portal init --fresh-start` "
                "only to begin again on purpose."
            )
    secrets_path, added = write_secrets_file(instance)
    if not added:
        click.echo(f"Kept secrets file {secrets_path}")
    elif len(added) == len(SECRET_NAMES):
        click.echo(f"Created secrets file {secrets_path}: back it up apart from the database")
    else:
        click.echo(f"Added {', '.join(added)} to secrets file {secrets_path}: back it up again")
    app = _create_app()
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        report = load_reference_data(db.session)
        try:
            sealed = seal_unkeyed_events(db.session, audit_key())
        except AuditLogBroken as error:
            db.session.rollback()
            raise click.ClickException(
                f"the audit log written before it was keyed does not verify at event "
                f"{error.event_id}: nothing was changed. Run `portal audit verify` and "
                "keep a copy of the database before deciding what to do."
            ) from None
        refilled = tallies.rebuild(db.session) if tallies.needs_rebuild(db.session) else None
        dated = deadlines.fill_missing(db.session)
        db.session.commit()
    if dated:
        click.echo(f"Deadlines: {dated} open cases received theirs")
    if refilled is not None:
        click.echo(f"Statistics: the tallies were counted again from the rows ({refilled} tallies)")
    click.echo(
        f"Reference data added: {report.regions} regions, {report.departements} départements, "
        f"{report.associations} associations"
    )
    if report.communes:
        source = geography.vendored_source()
        click.echo(
            f"Official geography: {report.communes} commune–postcode rows loaded "
            f"({source['package']} {source['version']})"
        )
    if sealed:
        click.echo(f"Audit log: {sealed} events written before it was keyed are now sealed")


@main.group("retention")
def retention_group() -> None:
    """Retention: purge the cases whose keeping has ended (``portal.records.retention``)."""


@retention_group.command("run")
@click.option("--dry-run", is_flag=True, help="List what would be purged; change nothing.")
def retention_run_command(dry_run: bool) -> None:
    """Purge every case whose keeping ended before today (from a daily timer)."""
    due = retention.endings(db.session, clock.today() - timedelta(days=1))
    for ending in due:
        click.echo(
            f"{'would purge' if dry_run else 'purging'} {ending.referral.public_id}: "
            f"{ending.category}, kept until {ending.kept_until.isoformat()}"
        )
        if not dry_run:
            retention.purge(db.session, ending)
            db.session.commit()  # one case at a time: a fault stops after the last one done
    if dry_run:
        db.session.rollback()
        click.echo(f"Retention (dry run): {len(due)} cases would be purged; nothing changed")
        return
    retention.forget_freed_pages(db.session)
    db.session.commit()
    click.echo(f"Retention: {len(due)} cases purged")


@main.group("reminders")
def reminders_group() -> None:
    """Reminders of late answers and the staff's digest (``portal.casework.reminders``)."""


@reminders_group.command("run")
def reminders_run_command() -> None:
    """Queue today's reminders and digest in the outbox (from a morning timer); running
    it again the same day queues nothing more."""
    config = current_app.extensions["portal.config"]
    try:
        with current_app.test_request_context(base_url=config.base_url):  # for url_for
            sent = reminders.run(
                db.session,
                clock.today(),
                lambda routing_id: external_url("partners.case", routing_id=routing_id),
                lambda query: external_url("backoffice.queue") + "?" + query,
            )
        db.session.commit()
    except IntegrityError:  # another run sent today's digest at the same moment
        db.session.rollback()
        sent = reminders.Sent(0, 0)
    click.echo(
        f"Reminders: {sent.partner_reminders} late answers reminded, "
        f"digest to {sent.digests} staff accounts"
    )


@main.group("statistics")
def statistics_group() -> None:
    """The statistics' tallies (``portal.statistics.tallies``)."""


@statistics_group.command("rebuild")
def statistics_rebuild_command() -> None:
    """Count every referral and routing again into the tallies: after rows were written
    without the portal (a bulk load, a restore, SQL by hand)."""
    written = tallies.rebuild(db.session)
    db.session.commit()
    click.echo(f"Statistics: {written} tallies counted again from the rows")


@statistics_group.command("check")
def statistics_check_command() -> None:
    """Compare each year's figures from the tallies with a count of the rows themselves."""
    wrong = []
    for year in years_with_referrals(db.session, utcnow().year):
        period = Period.year(year)
        agrees = count_activity(db.session, period) == recount_activity(db.session, period)
        click.echo(f"{year}: {'the tallies agree with the rows' if agrees else 'DIFFERENT'}")
        wrong += [] if agrees else [year]
    if wrong:
        raise click.ClickException(
            f"the tallies of {', '.join(map(str, wrong))} differ from the rows: run "
            "`portal statistics rebuild`"
        )


@main.group("keys")
def keys_group() -> None:
    """The installation's key material."""


@keys_group.command("status")
def keys_status_command() -> None:
    """Say whether the installation keys exist (exit status 1 when they do not)."""
    try:
        keys = intake_keys(db.session)
    except KeysMissing:
        click.echo("No installation keys: run `portal keys init`.")
        raise SystemExit(1) from None
    click.echo(f"Miviludes group key present (key id {crypto.key_id(keys.public_key).hex()}).")


def _write_private_file(path: str, text: str) -> None:
    """A new file only its owner can read; never replaces an existing one."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)


@keys_group.command("init")
@click.option(
    "--kit-file",
    type=click.Path(dir_okay=False, writable=True),
    help="Write the recovery kit to this file (mode 0600) instead of printing it. Demo only.",
)
def keys_init_command(kit_file: str | None) -> None:
    """Create the Miviludes group key pair and print the recovery kit, once.

    Refuses to run again: a second key pair would make every referral sealed to
    the first one unreadable for whoever holds only the second.
    """
    try:
        created = initialise_keys(db.session)
    except KeysAlreadyExist as error:
        raise click.ClickException(f"{error}; nothing was changed") from None
    db.session.commit()
    kit = (
        "Miviludes portal - recovery kit\n"
        f"Group: miviludes   key id: {created.key_id}\n"
        f"Recovery secret: {created.recovery_secret}\n\n"
        "Whoever holds this secret can read every referral. Print it, keep it in a safe,\n"
        "and never store it on this server. It is shown only this once.\n"
    )
    if kit_file:
        _write_private_file(kit_file, kit)
        click.echo(f"Miviludes group key created (key id {created.key_id}).")
        click.echo(f"Recovery kit written to {kit_file}")
    else:
        click.echo(kit)


@main.group("audit")
def audit_group() -> None:
    """The hash-chained audit log."""


def _noted_head(_context, _parameter, value: str | None) -> bytes | None:
    if value is None:
        return None
    try:
        head = bytes.fromhex(value.strip())
    except ValueError:
        head = b""
    if len(head) != 32:
        raise click.BadParameter("a head is 64 hexadecimal characters, as published")
    return head


@audit_group.command("verify")
@click.option(
    "--head",
    "noted_head",
    callback=_noted_head,
    metavar="HASH",
    help="A head noted earlier (published daily): it must still be in the log.",
)
def audit_verify_command(noted_head: bytes | None) -> None:
    """Check every seal; name the first event that fails (exit status 1)."""
    result = verify_chain(db.session, audit_key(), noted_head)
    if not result.intact:
        if result.reason == NOTED_HEAD_MISSING:
            click.echo(f"Audit log: {result.reason}.", err=True)
        else:
            click.echo(f"Audit log: event {result.broken_at} {result.reason}.", err=True)
        click.echo(
            f"The {result.events} events before it verify (last good head: {result.head.hex()}).",
            err=True,
        )
        raise SystemExit(1)
    click.echo(f"Audit log: {result.events} events, every seal verifies.")
    click.echo(f"Head: event {result.head_id}, {result.head.hex()}")
    if result.noted_head_at is not None:
        click.echo(
            f"The noted head is event {result.noted_head_at}; "
            f"{result.head_id - result.noted_head_at} events were added since."
        )
    else:
        click.echo(
            "Events cut off the end leave no trace inside the log: check against a head "
            "noted elsewhere (--head), such as the one `portal audit publish-head` sends."
        )


@audit_group.command("publish-head")
def audit_publish_head_command() -> None:
    """Verify the log and publish its head outside the database: a line in the server
    log and an e-mail to every administrator (through the outbox). Run it daily."""
    result, line = publish_head(db.session, audit_key(), utcnow())
    db.session.commit()
    click.echo(line, err=not result.intact)
    if not result.intact:
        raise SystemExit(1)


def _account_or_fail(email: str):
    user = accounts.find_account(db.session, email)
    if user is None:
        raise click.ClickException(f"no account for {email}")
    return user


def _read_secret(prompt_stdin: bool, what: str) -> str | None:
    if not prompt_stdin:
        return None
    value = sys.stdin.readline().rstrip("\n")
    if not value:
        raise click.ClickException(f"no {what} on standard input")
    return value


def _print_credentials(credentials: accounts.NewCredentials, generated: bool) -> None:
    click.echo(f"Account {credentials.user.email} ({credentials.user.role})")
    if generated:
        click.echo(f"Password: {credentials.password}")
    click.echo(f"TOTP secret: {credentials.totp_secret}")
    click.echo(f"TOTP URI: {credentials.totp_uri}")
    click.echo("Give these over a separate channel; the first login shows the QR code.")


@main.group("users")
def users_group() -> None:
    """Accounts of Miviludes staff and association members."""


@users_group.command("add")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--association", "association_slug", help="Slug of the partner's association.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def users_add_command(
    email: str, role: str, association_slug: str | None, password_stdin: bool
) -> None:
    """Create an account; prints its TOTP secret (and its password when generated)."""
    association = None
    if association_slug:
        association = db.session.scalar(
            select(Association).where(Association.slug == association_slug)
        )
        if association is None:
            raise click.ClickException(f"no association {association_slug!r}")
    password = _read_secret(password_stdin, "password")
    try:
        credentials = accounts.create_account(
            db.session, email, role, association=association, password=password
        )
    except accounts.AccountError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    _print_credentials(credentials, generated=password is None)
    if credentials.user.role in KEY_HOLDING_ROLES and not accounts.has_group_key(
        db.session, credentials.user
    ):
        click.echo("The account needs its group key: `portal keys grant` or the admin page.")


@users_group.command("reset")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def users_reset_command(email: str, password_stdin: bool) -> None:
    """New password, key pair and TOTP secret; the group keys must then be granted again."""
    user = _account_or_fail(email)
    password = _read_secret(password_stdin, "password")
    try:
        credentials = accounts.reset_account(db.session, user, password=password)
    except accounts.AccountError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    _print_credentials(credentials, generated=password is None)
    click.echo("Grant the group keys again: `portal keys grant` or the admin page.")


@users_group.command("disable")
@click.argument("email")
def users_disable_command(email: str) -> None:
    """Disable an account: its sessions and its copies of group keys are deleted."""
    accounts.disable_account(db.session, _account_or_fail(email))
    db.session.commit()
    click.echo(f"{email} is disabled.")


@main.group("associations")
def associations_group() -> None:
    """The association directory."""


@associations_group.command("list")
def associations_list_command() -> None:
    """Slug, name and départements covered ("national" for the whole country)."""
    for association in db.session.scalars(select(Association).order_by(Association.slug)):
        codes = sorted(item.departement_code for item in association.coverage)
        covered = "national" if association.national else " ".join(codes) or "-"
        click.echo(f"{association.slug}\t{association.display_name}\t{covered}")


def _miviludes_key_from_kit() -> bytes:
    return _open_miviludes_key(_read_secret(True, "recovery secret"))


def _open_miviludes_key(secret: str) -> bytes:
    try:
        return recover_group_private_key(db.session, secret)
    except (crypto.DecryptionError, ValueError):
        raise click.ClickException("this recovery secret does not open the group key") from None


@keys_group.command("grant")
@click.argument("email")
def keys_grant_command(email: str) -> None:
    """Grant an account its group key, with the recovery secret read from standard input."""
    user = _account_or_fail(email)
    try:
        slug = accounts.grant_group_keys(db.session, user, _miviludes_key_from_kit(), "system")
    except accounts.AccountError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"{email} received the key of group {slug}.")


@keys_group.command("recover")
def keys_recover_command() -> None:
    """Every member locked out: with the recovery kit (secret on standard input), grant
    every active account that lacks it its group key."""
    group_key = _miviludes_key_from_kit()
    waiting = accounts.accounts_waiting_for_keys(db.session)
    for user in waiting:
        accounts.grant_group_keys(db.session, user, group_key, "system")
        click.echo(f"{user.email}: keys granted")
    db.session.commit()
    click.echo(f"{len(waiting)} account(s) restored.")


@main.group("outbox")
def outbox_group() -> None:
    """E-mail notifications waiting to be sent."""


@outbox_group.command("send")
def outbox_send_command() -> None:
    """Send (or retry) what is queued; run it from a timer. Exit status 1 on failures."""
    config = current_app.extensions["portal.config"]
    sent, failed = outbox.deliver_pending(db.session, config.smtp_url, config.mail_from)
    db.session.commit()
    click.echo(f"{sent} sent, {failed} failed")
    if failed:
        raise SystemExit(1)


@main.group("demo")
def demo_group() -> None:
    """Fictional accounts and referrals for the local demo (`make run`)."""


def _default_accounts_file() -> str:
    return str(instance_path_from_env() / "demo-accounts.json")


def _render_demo(data: dict) -> str:
    lines = [
        "=" * 78,
        "DEMO accounts: fictional data for the local demo, never for a real installation",
        f"Log in at {data['base_url']}/connexion; the first login shows the QR code to scan.",
        "Current codes without an authenticator app: .venv/bin/portal demo codes",
        "",
    ]
    for account in data["accounts"]:
        who = account["role"] + (f" of {account['association']}" if account["association"] else "")
        lines += [
            f"  {account['email']}  ({who})",
            f"      password:    {account['password']}",
            f"      TOTP secret: {account['totp_secret']}",
        ]
    lines += ["", "Receipts of demo referrals, for the follow-up page (/fr/suivi):"]
    lines += [f"  {status:<26} {receipt}" for status, receipt in data["receipts"]]
    lines.append("=" * 78)
    return "\n".join(lines)


@demo_group.command("seed")
@click.option("--kit-file", type=click.Path(exists=True, dir_okay=False), required=True)
@click.option("--accounts-file", type=click.Path(dir_okay=False), default=_default_accounts_file)
@click.option("--count", default=demo.REFERRAL_COUNT, show_default=True, type=click.IntRange(1))
def demo_seed_command(kit_file: str, accounts_file: str, count: int) -> None:
    """Create the demo accounts and about 200 referrals, once; then print the accounts."""
    config = current_app.extensions["portal.config"]
    if config.https:
        raise click.ClickException("demo data only goes into a local demo (PORTAL_HTTPS=false)")
    if demo.already_seeded(db.session):
        if not os.path.exists(accounts_file):
            raise click.ClickException(f"demo accounts exist but {accounts_file} is gone")
        with open(accounts_file, encoding="utf-8") as handle:
            click.echo(_render_demo(json.load(handle)))
        return
    with open(kit_file, encoding="utf-8") as handle:
        kit = handle.read()
    try:
        miviludes_private = _open_miviludes_key(demo.recovery_secret_from_kit(kit))
    except demo.DemoRefused as error:
        raise click.ClickException(str(error)) from None
    with current_app.test_request_context(base_url=config.base_url):
        report = demo.seed(
            db.session,
            miviludes_private,
            Secrets.from_config(config),
            lambda routing_id: external_url("partners.case", routing_id=routing_id),
            count=count,
        )
    data = {
        "base_url": config.base_url,
        "accounts": [dataclasses.asdict(account) for account in report.accounts],
        "receipts": report.receipts,
    }
    _write_private_file(accounts_file, json.dumps(data, indent=2))
    db.session.commit()
    counts = ", ".join(f"{status} {n}" for status, n in report.by_status.items())
    click.echo(f"Demo: {report.referrals} fictional referrals ({counts}).")
    click.echo(_render_demo(data))


@demo_group.command("codes")
@click.option(
    "--accounts-file", type=click.Path(exists=True, dir_okay=False), default=_default_accounts_file
)
def demo_codes_command(accounts_file: str) -> None:
    """The current TOTP code of each demo account (so the demo needs no phone)."""
    with open(accounts_file, encoding="utf-8") as handle:
        data = json.load(handle)
    for account in data["accounts"]:
        code = pyotp.TOTP(account["totp_secret"], interval=accounts.TOTP_STEP).now()
        click.echo(f"{code}  {account['email']}")
