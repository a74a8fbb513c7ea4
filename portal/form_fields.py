"""What every form of the portal shares and that needs no Flask (the request kinds' forms are
plain WTForms classes): WTForms' own messages in the reader's language, and number fields that
say their rule when what was typed breaks it, keeping what was typed in the box."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import Any

from babel.support import NullTranslations, Translations
from wtforms import Field, Form, IntegerField
from wtforms.i18n import messages_path
from wtforms.meta import DefaultMeta
from wtforms.validators import InputRequired, Optional, StopValidation, ValidationError
from wtforms.widgets import TextInput

from portal.i18n import _l, active_locale

# ASCII digits only: int() would also take "1_000", Arabic-Indic or full-width digits.
_WHOLE = re.compile(r"^[+-]?[0-9]{1,12}$")


@functools.cache
def _wtforms_catalogue(locale: str) -> NullTranslations:
    return Translations.load(messages_path(), [locale], domain="wtforms")


class WTFormsMessages:
    """WTForms' messages ("Not a valid date value.") from the catalogue WTForms ships, in the
    language of the moment (the page's, or the one `i18n.translated` chose)."""

    def gettext(self, message: str) -> str:
        return _wtforms_catalogue(active_locale()).gettext(message)

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        return _wtforms_catalogue(active_locale()).ngettext(singular, plural, count)


MESSAGES = WTFormsMessages()


class TranslatedMeta(DefaultMeta):
    def get_translations(self, form: Form) -> WTFormsMessages:
        return MESSAGES


class PortalForm(Form):
    """A plain WTForms form whose own messages are translated (nested forms too: a FormField's
    form is built with its own Meta, not its parent's)."""

    Meta = TranslatedMeta


class WholeNumberField(IntegerField):
    """A count a person types (seats, a quantity, a month): anything but a whole number in
    range is refused with the rule itself ("A whole number from 1 to 100,000."), never with
    "This field is required." for a 0 or a 2.5; the box keeps what was typed. A text box with
    a numeric keyboard, as GOV.UK advises: a number box would let the browser refuse "2,5" in
    its own words (or round it) before the rule is ever said."""

    widget = TextInput()

    def __init__(
        self,
        label: Any = None,
        minimum: int = 1,
        maximum: int = 100_000,
        required: bool = True,
        validators: Sequence[Any] = (),
        **kwargs: Any,
    ) -> None:
        self.minimum, self.maximum = minimum, maximum
        kwargs["render_kw"] = {"inputmode": "numeric", **kwargs.get("render_kw", {})}
        presence = InputRequired(message=self.rule()) if required else Optional()
        super().__init__(label, validators=[presence, self._in_range, *validators], **kwargs)

    def rule(self) -> Any:
        return _l("A whole number from %(min)s to %(max)s.", min=self.minimum, max=self.maximum)

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist or not str(valuelist[0]).strip():
            self.data = None
            return
        typed = str(valuelist[0]).strip()
        if not _WHOLE.match(typed):
            self.data = None
            raise ValueError(str(self.rule()))
        self.data = int(typed)

    @staticmethod
    def _in_range(form: Form, field: Field) -> None:
        assert isinstance(field, WholeNumberField)
        if field.data is None:
            if field.process_errors:
                # Already told why (not a whole number); no second message.
                raise StopValidation()
            return
        if not field.minimum <= field.data <= field.maximum:
            raise ValidationError(str(field.rule()))
