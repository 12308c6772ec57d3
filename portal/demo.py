"""Demo data for `make run`: four accounts and about 200 fictional referrals.

Everything goes through the real operations (intake, workflow, routing), so the demo
shows encrypted data exactly as production would store it. Nothing here is used by
the running portal; only the ``portal demo`` command calls it.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

import crypto
from portal import accounts
from portal.attachments import CleanFile
from portal.casework import routing, workflow
from portal.casework.threads import post_message
from portal.keyring import intake_keys
from portal.models import (
    KEY_HOLDING_ROLES,
    MIVILUDES_GROUP,
    Association,
    Departement,
    KeyGrant,
    Note,
    OutboxEmail,
    Referral,
    Routing,
    User,
    utcnow,
)
from portal.public.intake import Secrets, Submission, submit_referral
from portal.statistics.calendar import month_of
from portal.vocabulary import WARNING_SIGNS

REFERRAL_COUNT = 200
#: The two associations whose members get demo accounts (different regions).
PARTNER_A = "adfi-bourgogne-franche-comte"
PARTNER_B = "adfi-bretagne"
DEMO_ACCOUNTS = (
    ("admin@demo.miviludes.invalid", "admin", None),
    ("agent@demo.miviludes.invalid", "staff", None),
    ("analyste@demo.miviludes.invalid", "analyst", None),
    ("benevole@demo.adfi-bfc.invalid", "partner", PARTNER_A),
    ("benevole@demo.adfi-bretagne.invalid", "partner", PARTNER_B),
)
#: Who writes, drawn with relatives three times as often as anyone else.
DRAWN_REPORTER_ROLES = (
    "relative",
    "relative",
    "relative",
    "person_concerned",
    "witness",
    "professional_health",
    "professional_education",
    "professional_social",
)
ORGANISATIONS = (
    "Cercle de l'Harmonie intérieure",
    "Institut Lumière vive",
    "Les Enfants de l'Aube",
    "Académie du Souffle premier",
    "Communauté du Grand Éveil",
    "Centre Terre et Conscience",
    "École de la Vibration juste",
    "Réseau Vérité nouvelle",
    "Fraternité de la Source",
    "Atelier Renaissance",
)
PERSONS = ("le « maître » Alban", "une coach appelée Solène", "le fondateur, M. Verdier", "")
STORIES = {
    "alternative_therapies": (
        "Ma sœur suit depuis {months} mois les stages d'un praticien de {org}. Elle a arrêté "
        "son traitement contre le diabète parce qu'on lui a dit que la maladie venait de ses "
        "émotions. Elle a maigri et ne répond plus à nos appels.",
        "Mon père dépense l'essentiel de sa retraite en cures de jeûne organisées par {org}. "
        "Il refuse désormais de voir son médecin et dit que les examens « empoisonnent ».",
    ),
    "personal_development": (
        "Ma fille de 24 ans a suivi un séminaire de {org}, puis un deuxième, puis un "
        "« parcours avancé ». Elle a quitté son travail pour y être bénévole et nous accuse "
        "d'être « toxiques ». Elle a emprunté de l'argent pour payer les sessions.",
        "Mon mari fait du coaching en ligne avec {org} depuis {months} mois. Il passe ses "
        "nuits en visioconférence, ne parle plus que de « vibrations » et a vidé notre "
        "épargne commune.",
    ),
    "religious_movements": (
        "Mon frère vit maintenant dans la communauté {org}. Il a donné sa maison au groupe, "
        "ne peut sortir qu'accompagné et n'a plus le droit de nous téléphoner.",
        "Ma mère fréquente {org} depuis {months} mois. Elle dit que la fin est proche, a "
        "rompu avec ses petits-enfants et remet chaque mois une grande partie de sa pension.",
    ),
    "vocational_training": (
        "Notre entreprise a envoyé des salariés à une formation de {org}. Plusieurs sont "
        "revenus bouleversés : exercices de confession en groupe, privation de sommeil, "
        "pression pour s'inscrire à des modules payants.",
        "Je suis formateur. Un organisme, {org}, propose des formations financées par le "
        "compte personnel de formation dont le contenu me paraît relever de l'emprise.",
    ),
    "school_support": (
        "Les enfants de mes voisins ne vont plus à l'école depuis la rentrée. Les parents "
        "suivent {org} et disent que l'école « abîme l'âme ». Les enfants semblent "
        "fatigués et isolés.",
        "Je suis enseignante. Un élève de CM2 m'a dit qu'il n'avait pas le droit de voir "
        "ses grands-parents parce qu'ils ne font pas partie de {org}.",
    ),
    "conspiracy": (
        "Mon fils s'est installé dans un lieu isolé avec {org}. Ils préparent « l'effondrement », "
        "il a coupé son téléphone et nous traite d'ennemis.",
        "Ma compagne regarde chaque nuit les vidéos de {org}. Elle refuse maintenant les "
        "soins pour notre bébé et veut partir vivre avec le groupe.",
    ),
    "other": (
        "Une association de mon quartier, {org}, recrute des personnes âgées seules. Ma "
        "voisine lui a signé une procuration sur ses comptes.",
        "Je voudrais un avis sur {org}, que rejoint mon meilleur ami. Il a beaucoup changé "
        "depuis {months} mois et je ne sais pas si je m'inquiète pour rien.",
    ),
}
#: How often each story's domain is drawn: about the shares of the report's families
#: in 2024 (health and well-being 35 %, worship 34 %, training, employment and
#: finance 13 %, conspiracy 5 %, the rest 13 %).
STORY_WEIGHTS = {
    "alternative_therapies": 25,
    "personal_development": 10,
    "religious_movements": 34,
    "vocational_training": 7,
    "school_support": 6,
    "conspiracy": 5,
    "other": 13,
}
QUESTIONS = (
    "Merci pour votre signalement. Savez-vous depuis quand votre proche a cessé son suivi "
    "médical ?",
    "Pouvez-vous nous dire si d'autres membres de votre famille sont concernés ?",
    "Avez-vous pu garder des messages ou des documents remis par le groupe ?",
)
ANSWERS = (
    "Depuis le printemps, je crois. Je vous envoie ce que j'ai pu retrouver.",
    "Oui, son conjoint y va aussi depuis quelques semaines.",
)
STAFF_NOTES = (
    "Premier signalement sur cette structure dans le département.",
    "Vérifier s'il existe des signalements antérieurs au nom du fondateur.",
    "Situation à suivre : la personne semble très isolée.",
)
PARTNER_NOTES = (
    "Premier entretien téléphonique avec la famille, rendez-vous fixé la semaine prochaine.",
    "Nous avons orienté la famille vers un avocat et un psychologue de notre réseau.",
)
OUTCOMES = (
    (
        "support_given",
        "Accompagnement de la famille pendant trois mois ; la personne a repris contact.",
    ),
    ("no_follow_up", "La famille ne souhaite pas poursuivre ; informations transmises."),
    ("referred_elsewhere", "Orientée vers le CIDFF du département pour un suivi juridique."),
)
DECLINE_REASONS = ("Hors de notre zone d'intervention habituelle.",)
FIRST_NAMES = ("Claire", "Karim", "Sophie", "Yann", "Nadia", "Pierre", "Maëlle", "Hugo")


@dataclass(frozen=True)
class DemoAccount:
    email: str
    role: str
    association: str | None
    password: str
    totp_secret: str


@dataclass
class DemoReport:
    accounts: list[DemoAccount]
    referrals: int
    by_status: dict[str, int]
    #: A few receipts to try the follow-up page with: (status, receipt).
    receipts: list[tuple[str, str]] = field(default_factory=list)


class DemoRefused(RuntimeError):
    pass


def recovery_secret_from_kit(kit_text: str) -> str:
    """The secret line of a recovery kit written by ``portal keys init --kit-file``."""
    match = re.search(r"^Recovery secret: (\S+)$", kit_text, re.MULTILINE)
    if match is None:
        raise DemoRefused("the kit file holds no recovery secret")
    return match.group(1)


def already_seeded(session: Session) -> bool:
    emails = [email for email, _, _ in DEMO_ACCOUNTS]
    return session.scalar(select(User.id).where(User.email.in_(emails)).limit(1)) is not None


def _create_accounts(
    session: Session, miviludes_private: bytes
) -> tuple[list[DemoAccount], dict[str, User]]:
    created, users = [], {}
    for email, role, slug in DEMO_ACCOUNTS:
        association = None
        if slug:
            association = session.scalar(select(Association).where(Association.slug == slug))
            if association is None:
                raise DemoRefused(f"association {slug} missing: run `portal init` first")
        credentials = accounts.create_account(session, email, role, association=association)
        if role in KEY_HOLDING_ROLES and not accounts.has_group_key(session, credentials.user):
            accounts.grant_group_keys(session, credentials.user, miviludes_private, "system")
        created.append(
            DemoAccount(email, role, slug, credentials.password, credentials.totp_secret)
        )
        users[email] = credentials.user
    return created, users


def _pick_departement(
    rng: random.Random, partner_areas: list[list[str]], everywhere: list[str]
) -> str:
    """Most demo cases where a partner works, so that routing has somewhere to go."""
    draw = rng.random()
    if draw < 0.55:
        return rng.choice(partner_areas[0] if draw < 0.35 else partner_areas[-1])
    if draw < 0.6:
        return rng.choice(("abroad", "unknown"))
    return rng.choice(everywhere)


def _submission(rng: random.Random, departement: str) -> Submission:
    domain = rng.choices(list(STORY_WEIGHTS), list(STORY_WEIGHTS.values()))[0]
    organisation = rng.choice(ORGANISATIONS)
    signs = rng.sample(list(WARNING_SIGNS), rng.randint(1, 5))
    contact = None
    if rng.random() < 0.6:
        name = rng.choice(FIRST_NAMES)
        contact = {
            "name": f"{name} (démo)",
            "email": f"{name.lower()}.demo@example.invalid",
            "phone": "",
            "best_time": "en soirée",
        }
    files = []
    if rng.random() < 0.1:
        files.append(
            CleanFile(
                "capture-du-programme.txt",
                "text/plain",
                f"Programme du stage de {organisation} (document fictif).\n".encode(),
                cleaned=False,
            )
        )
    story = rng.choice(STORIES[domain]).format(org=organisation, months=rng.randint(2, 30))
    return Submission(
        kind="opinion" if rng.random() < 0.2 else "report",
        reporter_role=rng.choice(DRAWN_REPORTER_ROLES),
        domain=domain,
        departement=departement,
        minor_involved=rng.choice(("no", "no", "no", "yes", "unknown")),
        health_risk="medical_care" in signs
        or (domain == "alternative_therapies" and rng.random() < 0.5),
        immediate_danger=rng.random() < 0.05,
        organisations=[organisation],
        persons=[person for person in (rng.choice(PERSONS),) if person],
        websites=[],
        commune="",
        since_when=f"{rng.randint(2, 30)} mois",
        signs=signs,
        description=story + "\n\n(Signalement fictif créé pour la démonstration.)",
        contact=contact,
        contact_allowed=contact is not None,
        share_identity=contact is not None and rng.random() < 0.5,
        files=files,
    )


def _target_status(rng: random.Random, routable: bool) -> str:
    statuses = ["new", "in_triage", "awaiting_reporter", "transmitted_to_prosecutor", "closed"]
    weights = [25, 20, 12, 5, 18]
    if routable:
        statuses.append("routed")
        weights.append(45)
    return rng.choices(statuses, weights)[0]


@dataclass
class _Casework:
    """What the staged operations need: who acts, and how to open each case."""

    session: Session
    rng: random.Random
    staff: list[User]
    partners: dict[int, User]
    miviludes_group_id: int
    miviludes_private: bytes
    case_url: Callable[[int], str]

    def data_key(self, referral: Referral) -> bytes:
        grant = self.session.get(KeyGrant, (referral.id, self.miviludes_group_id))
        return crypto.open_grant(
            grant.sealed_key, self.miviludes_private, referral.public_id, MIVILUDES_GROUP
        )

    def bring_to(self, referral: Referral, status: str) -> None:
        """Move a fresh referral to ``status`` the way staff and partners would."""
        if status == "new":
            return
        session, rng = self.session, self.rng
        officer = rng.choice(self.staff)
        data_key = self.data_key(referral)
        workflow.take(session, referral, officer)
        if rng.random() < 0.5:
            workflow.add_note(session, referral, data_key, officer, rng.choice(STAFF_NOTES))
        if status == "awaiting_reporter":
            workflow.ask_reporter(session, referral, data_key, officer, rng.choice(QUESTIONS))
        elif status == "routed":
            self._route(referral, data_key, officer)
        elif status == "transmitted_to_prosecutor":
            reference = f"PARQUET-DEMO-{rng.randint(1000, 9999)}"
            workflow.transmit_to_prosecutor(
                session, referral, data_key, officer, utcnow().date(), reference
            )
        elif status == "closed":
            # A duplicate needs its original: the demo's cases are all different.
            reason = rng.choice([r for r in workflow.CLOSING_REASONS if r != "duplicate"])
            workflow.change_status(
                session, referral, "closed", officer.actor, closing_reason=reason
            )
        if status == "in_triage" and rng.random() < 0.3:
            workflow.ask_reporter(session, referral, data_key, officer, rng.choice(QUESTIONS))
            post_message(session, referral, data_key, "reporter", rng.choice(ANSWERS))
            workflow.change_status(session, referral, "in_triage", "reporter")

    def _route(self, referral: Referral, data_key: bytes, officer: User) -> None:
        session, rng = self.session, self.rng
        association = next(
            suggestion.association
            for suggestion in routing.suggest_associations(session, referral)
            if suggestion.reachable
        )
        routed = routing.route(session, referral, data_key, association, officer, self.case_url)
        member = self.partners[association.id]
        outcome = rng.choices(("pending", "accepted", "closed", "declined"), (35, 40, 15, 10))[0]
        if outcome == "declined":
            routing.decline(
                session, routed, data_key, member, "out_of_area", rng.choice(DECLINE_REASONS)
            )
            return
        if outcome in ("accepted", "closed"):
            routing.accept(session, routed, member)
            workflow.add_note(session, referral, data_key, member, rng.choice(PARTNER_NOTES))
        if outcome == "closed":
            routing.close(session, routed, data_key, member, *rng.choice(OUTCOMES))


def _backdate(session: Session, referral: Referral, rng: random.Random, now: datetime) -> None:
    """Spread the demo over the last fifteen months (the statistics then compare this
    year with the last), urgent cases the most recent; the moments of casework follow
    in their order: first action, routing, the association's answer, closing."""
    days = rng.uniform(0, 3) if referral.urgent else rng.uniform(0, 450)
    created = now - timedelta(days=days)
    referral.created_at = created
    referral.updated_at = max(created, now - timedelta(days=days / 3))
    referral.month = month_of(created)
    span = referral.updated_at - created
    if referral.first_action_at is not None:
        referral.first_action_at = created + span * rng.uniform(0.02, 0.3)
    if referral.closed_at is not None:
        referral.closed_at = referral.updated_at
    _spread_writing(session, referral, referral.first_action_at or created, referral.updated_at)
    for routed in session.scalars(select(Routing).where(Routing.referral_id == referral.id)):
        routed.created_at = referral.first_action_at or created
        answer = routed.created_at + (referral.updated_at - routed.created_at) * rng.uniform(
            0.1, 0.6
        )
        routed.updated_at = answer
        if routed.responded_at is not None:
            routed.responded_at = answer
        if routed.closed_at is not None:
            routed.closed_at = referral.updated_at
            routed.updated_at = referral.updated_at


def _spread_writing(session: Session, referral: Referral, start: datetime, end: datetime) -> None:
    """Messages and notes, in the order they were written, between the first action
    and the last change: a demo thread reads as it would have happened."""
    notes = session.scalars(select(Note).where(Note.referral_id == referral.id)).all()
    written = sorted([*referral.messages, *notes], key=lambda item: (item.created_at, item.id))
    for position, item in enumerate(written, start=1):
        item.created_at = start + (end - start) * position / (len(written) + 1)


def seed(
    session: Session,
    miviludes_private: bytes,
    secrets: Secrets,
    case_url: Callable[[int], str],
    *,
    count: int = REFERRAL_COUNT,
    random_seed: int = 2026,
) -> DemoReport:
    """Create the demo accounts and ``count`` referrals; the caller commits."""
    if already_seeded(session):
        raise DemoRefused("the demo accounts exist already")
    keys = intake_keys(session)
    demo_accounts, users = _create_accounts(session, miviludes_private)
    partners = {user.association_id: user for user in users.values() if user.association_id}
    rng = random.Random(random_seed)  # noqa: S311 - reproducible fictional content, no secret
    casework = _Casework(
        session=session,
        rng=rng,
        staff=[user for user in users.values() if user.is_miviludes],
        partners=partners,
        miviludes_group_id=keys.group_id,
        miviludes_private=miviludes_private,
        case_url=case_url,
    )
    partner_areas = [
        sorted(item.departement_code for item in association.coverage)
        for association in session.scalars(
            select(Association).where(Association.id.in_(list(partners))).order_by(Association.slug)
        )
    ]
    routable = {code for area in partner_areas for code in area}
    everywhere = list(session.scalars(select(Departement.code).order_by(Departement.code)))
    now = utcnow()
    by_status: dict[str, int] = {}
    receipts: dict[str, str] = {}
    for _ in range(count):
        receipt = crypto.new_receipt()
        submission = _submission(rng, _pick_departement(rng, partner_areas, everywhere))
        receipted = submit_referral(session, submission, receipt, keys, secrets)
        referral = session.scalar(select(Referral).where(Referral.public_id == receipted.public_id))
        casework.bring_to(referral, _target_status(rng, referral.departement in routable))
        _backdate(session, referral, rng, now)
        by_status[referral.status] = by_status.get(referral.status, 0) + 1
        receipts.setdefault(referral.status, crypto.format_receipt(receipt))
    # The demo's routings would otherwise mail (print) dozens of notifications at the
    # first real routing; they announce nothing anybody is waiting for.
    session.execute(OutboxEmail.__table__.delete())
    session.flush()
    return DemoReport(
        accounts=demo_accounts,
        referrals=count,
        by_status=dict(sorted(by_status.items())),
        receipts=sorted(receipts.items()),
    )
