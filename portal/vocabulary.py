"""Closed lists shared by the public pages, the forms and (later) the back office.

Codes are stable identifiers stored in the database; labels are lazily translated
so that they follow the language of the request that displays them.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"

#: Domains used to classify referrals and to match associations (FACTS.md, "Figures").
DOMAINS = {
    "health": _l("Health and well-being (alternative therapies, nutrition)"),
    "personal_development": _l("Personal development and coaching"),
    "religious": _l("Religious or spiritual movements"),
    "vocational_training": _l("Vocational training"),
    "children_education": _l("Children and education"),
    "conspiracy": _l("Conspiracy and survivalist movements"),
    "other": _l("Other"),
}


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
