from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = _("Registry and questionnaires")

    def ready(self):
        from surveys.throttle import install_log_redaction

        install_log_redaction()  # no reply link in any log record (docs/security.md)
