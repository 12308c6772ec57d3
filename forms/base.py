"""Base class for forms that do not use Flask-WTF's session-bound CSRF token."""

from flask_wtf.i18n import translations
from wtforms import Form


class TranslatedForm(Form):
    """WTForms' own messages ("Not a valid choice") in the language of the request."""

    class Meta:
        def get_translations(self, form):
            return translations
