"""The JSON Schema of a run config, for editors (``dnn schema``), generated from the config's pydantic models.

Every section comes from the same pydantic models the loader validates with: the fixed
sections (model, regularization, training) and, for data, init, optimizer and schedule, one
model per registry entry, built from its signature (:func:`dnncli.config.entry_model`). A
registry section is a ``oneOf`` of its entries, told apart by ``name``; ``name`` may be left
out only for the default entry (as in the loader), and each entry refuses keys it does not
take, so ``{name: gd, beta1: 0.9}`` is refused by both. The top-level ``name``, ``seed`` and
``seeding`` come from the loader's own model of them (:class:`dnncli.sections.RunKeys`).

What the schema does not check (the loader does, with one clear line): relations between
keys (a keep_prob list as long as model.hidden, a ``val_`` monitor needing
data.validation), that files exist, and ``.inf``/``.nan``, which JSON has no words for.
One thing the loader takes and the schema does not: a number or a boolean written as text
(``"64"``, ``"yes"``; also ``1e-3``, which PyYAML reads as text where an editor, reading
YAML 1.2, sees a number).
"""

from __future__ import annotations

from pydantic.json_schema import models_json_schema

from dnncli.config import FIXED_SECTIONS, REGISTRY_SECTIONS, entry_model
from dnncli.search import EXAMPLE, KINDS
from dnncli.sections import RunKeys

DRAFT = "https://json-schema.org/draft/2020-12/schema"


def config_schema() -> dict:
    """The JSON Schema (draft 2020-12) of a ``dnn`` config file."""
    entries = {section: {name: entry_model(section, name) for name in registry}
               for section, (registry, _, _) in REGISTRY_SECTIONS.items()}
    models = [m for by_name in entries.values() for m in by_name.values()] + list(FIXED_SECTIONS.values())
    refs, generated = models_json_schema([(m, "validation") for m in [RunKeys, *models]], ref_template="#/$defs/{model}")
    defs = generated["$defs"]
    properties: dict = dict(defs.pop("RunKeys")["properties"])  # name, seed, seeding: beside the sections
    for section, by_name in entries.items():
        default = REGISTRY_SECTIONS[section][1]
        branches = []
        for name, model in by_name.items():
            ref = refs[(model, "validation")]
            branch = defs[ref["$ref"].rsplit("/", 1)[1]]
            if name != default:  # only the default entry may leave out its name
                branch["required"] = ["name", *branch.get("required", [])]
            branches.append(ref)
        properties[section] = {"oneOf": [*branches, {"type": "null"}],
                               "description": f"{section}.name: one of {', '.join(by_name)} (default {default}), "
                                              "with that entry's keys"}
    for section, model in FIXED_SECTIONS.items():
        ref = refs[(model, "validation")]
        defs[ref["$ref"].rsplit("/", 1)[1]]["type"] = ["object", "null"]  # `model:` with nothing under it is {}
        properties[section] = ref
    properties["search"] = {
        "type": "object", "minProperties": 1,
        "description": "read by `dnn tune` (dotted config paths to ranges); `dnn train` ignores it",
        "additionalProperties": {"type": "object", "minProperties": 1, "propertyNames": {"enum": list(KINDS)},
                                 "description": EXAMPLE},
    }
    return {
        "$schema": DRAFT,
        "title": "dnn run config",
        "description": "A dnn run config; every key left out has the default that `dnn train --print-config` shows.",
        "type": ["object", "null"],
        "additionalProperties": False,
        "properties": properties,
        "$defs": defs,
    }
