"""How long a text may be: one set of limits for every model, form and API serializer.

No text is unbounded. A model's ``TextField`` carries ``max_length`` from here, so its form field
(``Textarea`` with ``maxlength``) and its ``ModelSerializer`` field (``maxLength`` in the OpenAPI
schema) refuse a longer value with an error naming the field; form and serializer ``CharField``s
that are not backed by a model take one of these constants.
``tests/core/test_text_limits.py`` walks every model and every request schema to keep it so.
"""

from __future__ import annotations

#: One line a person types: a custom text field, a subject, a search.
SHORT_TEXT_MAX_LENGTH = 1_000
#: What a person writes on a record: notes, descriptions, reasons, comments, replies.
TEXT_MAX_LENGTH = 10_000
#: Long documents: e-mail bodies (also received ones) and knowledge-base articles.
BODY_MAX_LENGTH = 200_000

#: A reference to a record passed by a form (``app.model:uuid``, see ``core.pickers``).
REFERENCE_MAX_LENGTH = 200

#: Every text limit above; a model's ``TextField`` takes one of them.
LIMITS = (SHORT_TEXT_MAX_LENGTH, TEXT_MAX_LENGTH, BODY_MAX_LENGTH)

