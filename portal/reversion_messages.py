"""django-reversion's own words, in our translation catalogue.

django-reversion ships no Serbian translation, so its admin buttons and pages ("History", "Recover deleted
projects", "Revert project") would stay English in the Serbian admin. Listed here, `make messages` collects
them into locale/sr_Latn (and so locale/sr), where Django finds them first (LOCALE_PATHS). The msgids are
copied from the installed django-reversion's templates and admin.py: keep them in step when it is upgraded
(projects/tests/test_serbian_scripts.py checks that each is still one of its strings).
"""

from django.utils.translation import gettext_noop

REVERSION_MESSAGES = [
    # templates/reversion/*.html
    gettext_noop("History"),
    gettext_noop("Home"),
    gettext_noop("Action"),
    gettext_noop("Date/time"),
    gettext_noop("User"),
    gettext_noop("Recover deleted %(name)s"),
    gettext_noop("Revert %(verbose_name)s"),
    gettext_noop("Choose a date from the list below to revert to a previous version of this object."),
    gettext_noop("Choose a date from the list below to recover a deleted version of an object."),
    gettext_noop("Press the save button below to recover this version of the object."),
    gettext_noop("Press the save button below to revert to this version of the object."),
    gettext_noop("There are no deleted objects to recover."),
    gettext_noop("This object doesn't have a change history. It probably wasn't added via this admin site."),
    # admin.py
    gettext_noop("Initial version."),
    gettext_noop("Reverted to previous version, saved on %(datetime)s"),
    gettext_noop("Could not load %(object_repr)s version - not found"),
    gettext_noop("Recover %(name)s"),
    gettext_noop("Revert %(name)s"),
]
