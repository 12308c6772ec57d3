"""Closed lists shared by the public pages, the forms and (later) the back office.

Codes are stable identifiers stored in the database; labels are lazily translated
so that they follow the language of the request that displays them.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"

#: The families of Miviludes' 2022–2024 activity report, under which every domain
#: is counted (FACTS.md, "Figures"); "other" holds what the report leaves unnamed.
FAMILIES = {
    "health_wellbeing": _l("Health and well-being"),
    "worship_spirituality": _l("Worship and spirituality"),
    "training_employment_finance": _l("Training, employment and finance"),
    "conspiracy_radical": _l("Conspiracy, separatism and other forms of radical commitment"),
    "other": _l("Other"),
}


@dataclass(frozen=True)
class Domain:
    family: str
    #: The word staff, partners and the statistics use.
    label: object
    #: What a worried relative reads on the public form.
    plain: object


#: Domains staff and reporters pick. The codes are stored and never change meaning;
#: README "Classification" says why each rolls up to its family.
DOMAIN_TREE = {
    "alternative_therapies": Domain(
        "health_wellbeing",
        _l("Alternative therapies"),
        _l("Healing, care or therapies offered instead of medicine"),
    ),
    "nutrition": Domain(
        "health_wellbeing", _l("Nutrition"), _l("Diets, fasting or food practices")
    ),
    "personal_development": Domain(
        "health_wellbeing",
        _l("Personal development"),
        _l("Personal development or well-being courses"),
    ),
    "sport": Domain(
        "health_wellbeing",
        _l("Sport and physical practices"),
        _l("A sport, a martial art or a physical practice"),
    ),
    "religious_movements": Domain(
        "worship_spirituality",
        _l("Religious movements"),
        _l("A religious or spiritual group"),
    ),
    "esotericism": Domain(
        "worship_spirituality",
        _l("Esotericism"),
        _l("Esotericism, occultism, mediums or channelling"),
    ),
    "coaching": Domain(
        "training_employment_finance",
        _l("Coaching"),
        _l("Coaching, at work or in private life"),
    ),
    "vocational_training": Domain(
        "training_employment_finance",
        _l("Vocational training"),
        _l("A training course or a professional training"),
    ),
    "school_support": Domain(
        "training_employment_finance",
        _l("Education and school support"),
        _l("School, tutoring or the education of children"),
    ),
    "employment_finance": Domain(
        "training_employment_finance",
        _l("Employment and finance"),
        _l("Work, business opportunities, investments or money schemes"),
    ),
    "conspiracy": Domain("conspiracy_radical", _l("Conspiracy"), _l("Conspiracy theories")),
    "survivalism": Domain(
        "conspiracy_radical",
        _l("Survivalism"),
        _l("Living apart to prepare for a collapse"),
    ),
    "separatism": Domain(
        "conspiracy_radical",
        _l("Separatism"),
        _l("A group that rejects the law, the school or public institutions"),
    ),
    "other": Domain("other", _l("Other"), _l("Something else, or I don’t know")),
}
#: Code → the staff's label, for lists, filters and statistics.
DOMAINS = {code: domain.label for code, domain in DOMAIN_TREE.items()}
#: Code → the plain words of the public pages.
PUBLIC_DOMAINS = {code: domain.plain for code, domain in DOMAIN_TREE.items()}


@dataclass(frozen=True)
class Wording:
    #: The activity report's word: staff, partners, the statistics.
    label: object
    #: The answer a reporter ticks on the form, in the first person.
    plain: object


#: What the reporter wants: the two kinds of saisine the activity report counts.
KIND_WORDING = {
    "report": Wording(
        _l("Report (signalement)"), _l("Report a situation: I want help or to know what to do")
    ),
    "opinion": Wording(
        _l("Request for an opinion"),
        _l("Ask for an opinion: I wonder about a practice or a group"),
    ),
}
#: Who writes.
REPORTER_ROLE_WORDING = {
    "person_concerned": Wording(_l("Person concerned"), _l("I am the person concerned")),
    "relative": Wording(_l("Relative or family member"), _l("A relative or family member")),
    "professional_health": Wording(_l("Health professional"), _l("A health professional")),
    "professional_education": Wording(
        _l("Education professional"), _l("A professional in education")
    ),
    "professional_social": Wording(_l("Social worker"), _l("A social worker")),
    "professional_other": Wording(_l("Other professional"), _l("Another professional")),
    "witness": Wording(_l("Witness"), _l("A witness")),
    "other": Wording(_l("Other"), _l("Other")),
}
#: Whether a minor is concerned.
MINOR_WORDING = {
    "yes": Wording(_l("Yes"), _l("Yes")),
    "no": Wording(_l("No"), _l("No")),
    "unknown": Wording(_l("Not known"), _l("I don’t know")),
}
KINDS = {code: wording.label for code, wording in KIND_WORDING.items()}
PUBLIC_KINDS = {code: wording.plain for code, wording in KIND_WORDING.items()}
REPORTER_ROLES = {code: wording.label for code, wording in REPORTER_ROLE_WORDING.items()}
PUBLIC_REPORTER_ROLES = {code: wording.plain for code, wording in REPORTER_ROLE_WORDING.items()}
MINOR_ANSWERS = {code: wording.label for code, wording in MINOR_WORDING.items()}
PUBLIC_MINOR_ANSWERS = {code: wording.plain for code, wording in MINOR_WORDING.items()}


@dataclass(frozen=True)
class EmergencyNumber:
    number: str
    label: object  # a lazy string


EMERGENCY_NUMBERS = (
    EmergencyNumber("17", _l("Police or gendarmerie")),
    EmergencyNumber("112", _l("European emergency number")),
    EmergencyNumber("119", _l("Children in danger (Allô Enfance en danger)")),
    EmergencyNumber("3114", _l("Suicide prevention")),
    EmergencyNumber("116 006", _l("France Victimes, support for victims")),
)

#: Warning signs, worded for the self-check and (issue #3) the referral form.
WARNING_SIGNS = {
    "vocabulary": _l("They use a new vocabulary, the words of the group."),
    "eating": _l("Their eating habits have changed abruptly."),
    "medical_care": _l("They refuse or have stopped medical care or treatment."),
    "break_with_family": _l("They have broken with family or friends, or see them much less."),
    "exclusive_commitment": _l("All their time and energy goes to the group or its leader."),
    "submission": _l("They obey the leader or the group without question."),
    "critical_thinking": _l("They no longer accept any doubt or criticism about the group."),
    "money": _l("They give or spend large sums of money for the group or its courses."),
    "sudden_change": _l("Their personality or way of life changed suddenly."),
    "destabilisation": _l("They seem anxious, guilty, exhausted or afraid of leaving."),
    "children": _l("Children are kept apart, taken out of school or taught the group's rules."),
    "allegiance": _l("Their loyalty to the group comes before everything else."),
}

#: Signs that call for the emergency numbers to be shown first on the result page.
SIGNS_WITH_HEALTH_RISK = frozenset({"medical_care"})
SIGNS_CONCERNING_CHILDREN = frozenset({"children"})

#: Who Miviludes routes to (``portal.models.associations.PARTNER_KINDS``).
PARTNER_KIND_LABELS = {
    "association": _l("Victim-support association"),
    "prefecture": _l("Prefecture referent"),
    "health_agency": _l("Regional health agency (ARS)"),
    "education_authority": _l("Education authority (rectorat)"),
}
#: Approval for civil-party action (art. 2-17 CPP).
APPROVAL_LABELS = {
    "none": _l("None"),
    "requested": _l("Requested"),
    "granted": _l("Granted"),
    "refused": _l("Refused"),
}
#: Accounts' roles (``portal.models.accounts.ROLES``).
ACCOUNT_ROLE_LABELS = {
    "staff": _l("Staff"),
    "admin": _l("Administrator"),
    "analyst": _l("Analyst"),
    "partner": _l("Association member"),
}
#: What a search matched in a case (``portal.casework.search``).
SEARCH_MATCH_LABELS = {
    "reference": _l("Reference"),
    "organisation": _l("Organisation named"),
    "person": _l("Person named"),
    "website": _l("Website named"),
    "email": _l("Reporter's e-mail address"),
    "phone": _l("Reporter's phone number"),
}
#: Why a referral was closed, by Miviludes (``Referral.closing_reason``) or by an
#: association (``Routing.outcome``): counted by the statistics.
CLOSING_REASON_LABELS = {
    "answered": _l("Answered"),
    "support_given": _l("Support given"),
    "referred_elsewhere": _l("Referred to another service"),
    "complaint_filed": _l("Complaint filed"),
    "no_follow_up": _l("No follow-up needed"),
    "duplicate": _l("Duplicate"),
}
#: Why an association declined a case (``Routing.decline_reason``): counted.
DECLINE_REASON_LABELS = {
    "out_of_area": _l("Outside our area"),
    "out_of_competence": _l("Outside our competence"),
    "no_capacity": _l("No capacity at the moment"),
    "duplicate": _l("Already known to us (duplicate)"),
    "other": _l("Another reason"),
}
#: How a linked referral stands to the one being read (``workflow.linked_referrals``).
LINK_LABELS = {
    "related": _l("Related"),
    "duplicate_of": _l("This referral repeats it (duplicate)"),
    "duplicated_by": _l("Repeats this referral (duplicate)"),
}
#: What a case waits for, and by which day (``casework.deadlines``).
DUE_LABELS = {
    "triage": _l("To be triaged by %(day)s."),
    "reporter": _l("The reporter's answer is expected by %(day)s."),
    "acceptance": _l("An association's answer is expected by %(day)s."),
}
