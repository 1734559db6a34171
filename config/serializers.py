"""The "json" format of dumpdata and loaddata, keeping every timestamp to the microsecond.

Django's JSON encoder writes datetimes as ECMAScript does, to the millisecond: a
backup made with ``dumpdata`` (scripts/backup.sh on SQLite) would come back with every
submission time, update time and history date slightly changed, and no longer equal
to the original. This format writes them whole (ISO 8601); reading is Django's own,
which parses both forms. Registered in settings.SERIALIZATION_MODULES.
"""

import datetime

from django.core.serializers.json import Deserializer, DjangoJSONEncoder
from django.core.serializers.json import Serializer as DjangoJSONSerializer
from django.utils.timezone import is_aware

__all__ = ["Deserializer", "ExactJSONEncoder", "Serializer"]


class ExactJSONEncoder(DjangoJSONEncoder):
    def default(self, o):
        if isinstance(o, datetime.datetime):
            text = o.isoformat()
            return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text
        if isinstance(o, datetime.time) and not is_aware(o):
            return o.isoformat()
        return super().default(o)


class Serializer(DjangoJSONSerializer):
    def _init_options(self):
        self.options.setdefault("cls", ExactJSONEncoder)
        super()._init_options()
