"""The ``portal`` command: Flask's CLI plus the portal's own set-up commands."""

from __future__ import annotations

import os

import click
from flask import Flask
from flask.cli import FlaskGroup
from flask_migrate import upgrade

import crypto
from portal.audit import verify_chain
from portal.config import ConfigError, instance_path_from_env, write_secrets_file
from portal.extensions import db
from portal.keyring import KeysAlreadyExist, KeysMissing, initialise_keys, intake_keys
from portal.reference import load_reference_data


def _create_app() -> Flask:
    from portal import create_app  # imported late: the package itself imports this module

    try:
        return create_app()
    except ConfigError as error:
        raise click.ClickException(f"configuration: {error}") from None


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
def main() -> None:
    """Miviludes referral portal."""


@main.command("init", with_appcontext=False)
def init_command() -> None:
    """Create the secrets file (once), apply migrations and load the reference data.

    Safe to run again: it never replaces a secret and inserts only missing rows.
    """
    secrets_path, created = write_secrets_file(instance_path_from_env())
    click.echo(f"{'Created' if created else 'Kept'} secrets file {secrets_path}")
    app = _create_app()
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        report = load_reference_data(db.session)
        db.session.commit()
    click.echo(
        f"Reference data added: {report.regions} regions, {report.departements} départements, "
        f"{report.associations} associations"
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
        fd = os.open(kit_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(kit)
        click.echo(f"Miviludes group key created (key id {created.key_id}).")
        click.echo(f"Recovery kit written to {kit_file}")
    else:
        click.echo(kit)


@main.group("audit")
def audit_group() -> None:
    """The hash-chained audit log."""


@audit_group.command("verify")
def audit_verify_command() -> None:
    """Recompute the chain; name the first broken event (exit status 1)."""
    result = verify_chain(db.session)
    if result.intact:
        click.echo(f"{result.events} events, chain intact. Head: {result.head.hex()}")
        click.echo(
            "Note the head somewhere else: cutting events off the end leaves no trace inside."
        )
        return
    click.echo(f"Chain broken at event {result.broken_at}: it {result.reason}.", err=True)
    raise SystemExit(1)
