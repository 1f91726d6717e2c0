"""Words for the stored codes of topics: categories and reactions to comments. Pure data, for
the forms, the pages and "my data" alike."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from consult.topics.models import Category, ReactionValue

CATEGORY_LABELS = {
    Category.ENVIRONMENT.value: _l("Environment and cleanliness"),
    Category.PROPERTY.value: _l("Property management and repairs"),
    Category.SAFETY.value: _l("Safety"),
    Category.ELDERLY_CHILDREN.value: _l("Elderly and children"),
    Category.PARKING.value: _l("Parking and traffic"),
    Category.CULTURE.value: _l("Culture and activities"),
    Category.OTHER.value: _l("Other"),
}

REACTION_LABELS = {
    ReactionValue.AGREE.value: _l("Agree"),
    ReactionValue.DISAGREE.value: _l("Disagree"),
    ReactionValue.PASS.value: _l("Pass"),
}
