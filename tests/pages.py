"""The public pages the tests visit: (URL, expected <h1> words) per language."""

PUBLIC_PAGES = {
    "fr": [
        ("/fr/", "vous n’êtes pas seul"),
        ("/fr/qu-est-ce-qu-une-derive-sectaire", "Qu'est-ce qu'une dérive sectaire ?"),
        ("/fr/reperer-une-derive-sectaire", "Comment repérer une dérive sectaire ?"),
        ("/fr/que-dit-la-loi", "Que dit la loi ?"),
        ("/fr/guides", "Guides"),
        ("/fr/guides/sante-et-bien-etre", "Santé et bien-être"),
        ("/fr/guides/developpement-personnel-et-coaching", "Développement personnel et coaching"),
        ("/fr/guides/mouvements-religieux-et-spirituels", "Mouvements religieux et spirituels"),
        ("/fr/guides/enfants-et-education", "Enfants et éducation"),
        ("/fr/guides/mouvements-en-ligne-et-complotisme", "Mouvements en ligne et complotisme"),
        ("/fr/qui-contacter", "Qui contacter dans votre région ?"),
        ("/fr/auto-evaluation", "Auto-évaluation confidentielle"),
        ("/fr/signaler", "Signaler une situation ou demander un avis"),
        ("/fr/suivi", "Suivre ma demande"),
        ("/fr/accessibilite", "Déclaration d'accessibilité"),
        ("/fr/mentions-legales", "Mentions légales"),
        ("/fr/donnees-personnelles", "Données personnelles"),
        ("/fr/plan-du-site", "Plan du site"),
        ("/fr/chiffres", "Chiffres"),
    ],
    "en": [
        ("/en/", "you are not alone"),
        ("/en/what-is-a-sectarian-drift", "What is a sectarian drift?"),
        ("/en/how-to-detect-it", "How to detect a sectarian drift?"),
        ("/en/what-the-law-says", "What does the law say?"),
        ("/en/guides", "Guides"),
        ("/en/guides/health-and-well-being", "Health and well-being"),
        ("/en/guides/personal-development-and-coaching", "Personal development and coaching"),
        ("/en/guides/religious-and-spiritual-movements", "Religious and spiritual movements"),
        ("/en/guides/children-and-education", "Children and education"),
        ("/en/guides/online-and-conspiracy-movements", "Online and conspiracy movements"),
        ("/en/who-to-contact", "Who to contact in your region?"),
        ("/en/self-check", "Private self-check"),
        ("/en/report", "Report a situation or ask for an opinion"),
        ("/en/follow-up", "Follow my request"),
        ("/en/accessibility", "Accessibility statement"),
        ("/en/legal-notice", "Legal notice"),
        ("/en/privacy", "Personal data"),
        ("/en/site-map", "Site map"),
        ("/en/figures", "Figures"),
    ],
}

ALL_PUBLIC_URLS = [url for pages in PUBLIC_PAGES.values() for url, _ in pages]

#: Pages whose content depends only on their URL (no form state): cacheable, cookie-free.
GUIDE_URLS = [
    url
    for url in ALL_PUBLIC_URLS
    if not any(
        part in url
        for part in (
            "qui-contacter",
            "who-to-contact",
            "auto-evaluation",
            "self-check",
            "signaler",
            "/report",
            "suivi",
            "follow-up",
        )
    )
]
