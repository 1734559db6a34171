"""Load and refresh the registry of States from ``fixtures/registry.json``."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models.deletion import ProtectedError

from surveys.models import State

REGISTRY_FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "registry.json"


@dataclass
class RegistryLoadResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # gone from the fixture, but data attached

    def __str__(self):
        text = (f"{self.created} created, {self.updated} updated, "
                f"{self.unchanged} unchanged")
        if self.deleted:
            text += f", {len(self.deleted)} removed ({', '.join(self.deleted)})"
        if self.kept:
            text += f"; kept because data is attached: {', '.join(self.kept)}"
        return text


@transaction.atomic
def registry_load(*, path: Path = REGISTRY_FIXTURE) -> RegistryLoadResult:
    """Create or update every State of the fixture, matched by ISO alpha-3.

    Idempotent: a second run changes nothing. A State no longer in the fixture is
    deleted only if nothing refers to it; otherwise it is kept and reported.
    """
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    result = RegistryLoadResult()
    existing = {s.iso3: s for s in State.objects.all()}
    to_create, to_update = [], []
    fields = [f.name for f in State._meta.concrete_fields if f.name not in ("id", "iso3")]
    for entry in data["states"]:
        state = existing.pop(entry["iso3"], None)
        if state is None:
            to_create.append(State(**entry))
            continue
        changed = False
        for name in fields:
            if name in entry and getattr(state, name) != entry[name]:
                setattr(state, name, entry[name])
                changed = True
        if changed:
            to_update.append(state)
        else:
            result.unchanged += 1
    State.objects.bulk_create(to_create)
    State.objects.bulk_update(to_update, fields)
    result.created, result.updated = len(to_create), len(to_update)
    for iso3, state in existing.items():
        try:
            with transaction.atomic():
                state.delete()
            result.deleted.append(iso3)
        except ProtectedError:
            result.kept.append(iso3)
    return result
