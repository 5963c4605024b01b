#!/usr/bin/env python3
"""Validates the golden examples in sync-protocol/examples/ against the schemas of
sync-protocol/openapi.yaml (file NAME.json against components.schemas.NAME, or NAMEResponse)."""
import json
import pathlib
import sys

import jsonschema
import yaml

root = pathlib.Path(__file__).resolve().parent.parent / "sync-protocol"
spec = yaml.safe_load((root / "openapi.yaml").read_text())
schemas = spec["components"]["schemas"]
failures = 0
for path in sorted((root / "examples").glob("*.json")):
    name = path.stem
    if name not in schemas:
        print(f"{path.name}: no schema named {name} in openapi.yaml")
        failures += 1
        continue
    # Resolve #/components/schemas/X references against the whole document.
    schema = dict(schemas[name], components=spec["components"])
    try:
        jsonschema.Draft202012Validator(schema).validate(json.loads(path.read_text()))
        print(f"{path.name}: ok")
    except jsonschema.ValidationError as error:
        print(f"{path.name}: {error.message} at {list(error.absolute_path)}")
        failures += 1
sys.exit(1 if failures else 0)
