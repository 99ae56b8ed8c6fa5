#!/usr/bin/env python3
"""Checks openapi.yaml for stable client names and valid examples (see scripts/check-openapi.sh).

check_openapi.py [openapi.yaml]        the document's own rules (named schemas and enums, examples on
                                       every JSON request body and 2xx response, each valid against
                                       its schema), then openapi-spec-validator
check_openapi.py --generated FILE.py   the class names a generator wrote: none may end in a digit
"""
import ast
import pathlib
import re
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "dependentSchemas")
SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
SCHEMA_ONE = ("items", "additionalProperties", "propertyNames", "not", "if", "then", "else", "contains",
              "unevaluatedProperties", "unevaluatedItems", "contentSchema")


def schemas_in(document):
    """Every schema of the document as (where, schema, named, allof_of_named): `named` for a
    component's own schema, `allof_of_named` for a direct member of such a schema's allOf."""
    found = []

    def walk(schema, where, named=False, allof_of_named=False):
        if not isinstance(schema, dict):
            return
        found.append((where, schema, named, allof_of_named))
        for key in SCHEMA_MAPS:
            for name, sub in (schema.get(key) or {}).items():
                walk(sub, f"{where}/{key}/{name}")
        for key in SCHEMA_LISTS:
            for index, sub in enumerate(schema.get(key) or []):
                walk(sub, f"{where}/{key}/{index}", allof_of_named=(named and key == "allOf"))
        for key in SCHEMA_ONE:
            if isinstance(schema.get(key), dict):
                walk(schema[key], f"{where}/{key}")

    components = document.get("components", {})
    for name, schema in (components.get("schemas") or {}).items():
        walk(schema, f"#/components/schemas/{name}", named=True)

    def media(content, where):
        for kind, entry in (content or {}).items():
            walk(entry.get("schema"), f"{where}/content/{kind}/schema")

    def parameters(items, where):
        for index, parameter in enumerate(items or []):
            walk(parameter.get("schema"), f"{where}/parameters/{index}/schema")
            media(parameter.get("content"), f"{where}/parameters/{index}")

    def responses(items, where):
        for code, response in (items or {}).items():
            media(response.get("content"), f"{where}/responses/{code}")
            for header, spec in (response.get("headers") or {}).items():
                walk(spec.get("schema"), f"{where}/responses/{code}/headers/{header}/schema")

    for path, item in (document.get("paths") or {}).items():
        where = f"#/paths/{path}"
        parameters(item.get("parameters"), where)
        for method, operation in item.items():
            if not isinstance(operation, dict) or method == "parameters":
                continue
            parameters(operation.get("parameters"), f"{where}/{method}")
            media((operation.get("requestBody") or {}).get("content"), f"{where}/{method}/requestBody")
            responses(operation.get("responses"), f"{where}/{method}")
    parameters(list((components.get("parameters") or {}).values()), "#/components")
    responses(components.get("responses"), "#/components")
    for name, body in (components.get("requestBodies") or {}).items():
        media(body.get("content"), f"#/components/requestBodies/{name}")
    for name, header in (components.get("headers") or {}).items():
        walk(header.get("schema"), f"#/components/headers/{name}/schema")
    return found


def naming_problems(document):
    problems = []
    for where, schema, named, allof_of_named in schemas_in(document):
        is_object = "properties" in schema or (schema.get("type") == "object" and isinstance(schema.get("additionalProperties"), dict)
                                               and "properties" in schema["additionalProperties"])
        if "properties" in schema and not named and not allof_of_named:
            problems.append(f"{where}: an anonymous object schema; make it a named component and $ref it")
        elif is_object and not named and not allof_of_named and "properties" not in schema:
            pass  # a map of a named value type is fine
        if "enum" in schema and not named:
            problems.append(f"{where}: an inline enum; name it once under components/schemas and $ref it")
    seen = {}
    for name, schema in (document.get("components", {}).get("schemas") or {}).items():
        if isinstance(schema, dict) and "enum" in schema:
            values = tuple(sorted(map(str, schema["enum"])))
            if values in seen:
                problems.append(f"#/components/schemas/{name}: the same enum as {seen[values]}; name it once")
            seen[values] = name
    return problems


def problem_code_problems(document):
    """ProblemCode lists exactly the codes the server declares (`ProblemCode("…", status: …)` in Sources)."""
    declared = set()
    for source in (ROOT / "Sources").rglob("*.swift"):
        declared |= set(re.findall(r'ProblemCode(?: = |\()"([a-z_]+)"', source.read_text()))
    listed = set((document.get("components", {}).get("schemas", {}).get("ProblemCode") or {}).get("enum") or [])
    problems = []
    if declared - listed:
        problems.append(f"ProblemCode lacks codes the server declares: {sorted(declared - listed)}")
    if listed - declared:
        problems.append(f"ProblemCode lists codes the server does not declare: {sorted(listed - declared)}")
    return problems


def example_problems(document):
    """Every example (a media type's `example`/`examples`, a schema's `examples`) validates."""
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    # Local references made absolute, so a schema taken out of the document still finds them.
    def absolute(node):
        if isinstance(node, dict):
            return {key: ("urn:openapi" + value if key == "$ref" and isinstance(value, str) and value.startswith("#")
                          else absolute(value)) for key, value in node.items()}
        if isinstance(node, list):
            return [absolute(value) for value in node]
        return node

    document = absolute(document)
    registry = Registry().with_resource("urn:openapi", Resource(contents=document, specification=DRAFT202012))
    problems = []

    def check(schema, value, where):
        validator = Draft202012Validator(schema, registry=registry)
        for error in validator.iter_errors(value):
            problems.append(f"{where}: example does not validate: {error.message} at /{'/'.join(map(str, error.absolute_path))}")
            break

    for where, schema, _, _ in schemas_in(document):
        for index, value in enumerate(schema.get("examples") or []):
            check(schema, value, f"{where}/examples/{index}")

    def media_examples(content, where):
        for kind, entry in (content or {}).items():
            schema = entry.get("schema")
            if schema is None:
                continue
            if "example" in entry:
                check(schema, entry["example"], f"{where}/content/{kind}/example")
            for name, example in (entry.get("examples") or {}).items():
                if "$ref" in example:
                    example = document["components"]["examples"][example["$ref"].split("/")[-1]]
                if "value" in example:
                    check(schema, example["value"], f"{where}/content/{kind}/examples/{name}")

    for path, item in (document.get("paths") or {}).items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or method == "parameters":
                continue
            media_examples((operation.get("requestBody") or {}).get("content"), f"#/paths/{path}/{method}/requestBody")
            for code, response in (operation.get("responses") or {}).items():
                media_examples(response.get("content"), f"#/paths/{path}/{method}/responses/{code}")
    for name, response in (document.get("components", {}).get("responses") or {}).items():
        media_examples(response.get("content"), f"#/components/responses/{name}")
    return problems


def missing_example_problems(document):
    """Every JSON request body and every 2xx JSON response shows an example."""
    problems = []
    responses = document.get("components", {}).get("responses") or {}

    def check(content, where):
        for kind, entry in (content or {}).items():
            if kind.endswith("json") and "example" not in entry and "examples" not in entry:
                problems.append(f"{where}/content/{kind}: no example")

    for path, item in (document.get("paths") or {}).items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or method == "parameters":
                continue
            check((operation.get("requestBody") or {}).get("content"), f"#/paths/{path}/{method}/requestBody")
            for code, response in (operation.get("responses") or {}).items():
                if str(code).startswith("2"):
                    if "$ref" in response:
                        response = responses[response["$ref"].split("/")[-1]]
                    check(response.get("content"), f"#/paths/{path}/{method}/responses/{code}")
    return problems


def generated_problems(path):
    tree = ast.parse(pathlib.Path(path).read_text())
    names = [node.name for node in tree.body if isinstance(node, ast.ClassDef)]
    if not names:
        return [f"{path}: the generator wrote no types"]
    return [f"generated type {name}: its name ends in a digit (an anonymous schema the generator had to number)"
            for name in names if name[-1].isdigit()]


def self_test(document):
    """The checks can fail: a copy of the document with an inline enum, an anonymous object and a
    wrong example must each be caught."""
    import copy
    broken = copy.deepcopy(document)
    schemas = broken["components"]["schemas"]
    first = next(name for name, schema in schemas.items() if "properties" in schema)
    schemas[first]["properties"]["self_test_enum"] = {"type": "string", "enum": ["a", "b"]}
    schemas[first]["properties"]["self_test_object"] = {"type": "object", "properties": {"a": {"type": "string"}}}
    found = "\n".join(naming_problems(broken))
    assert "self_test_enum: an inline enum" in found, "the inline-enum check found nothing"
    assert "self_test_object: an anonymous object" in found, "the anonymous-object check found nothing"
    examples = broken["components"].get("examples") or {}
    name = next(iter(examples))
    examples[name]["value"] = "not what any schema here describes"
    assert any(name in problem for problem in example_problems(broken)), "the example check found nothing"


def main(argv):
    if len(argv) == 3 and argv[1] == "--generated":
        problems = generated_problems(argv[2])
        label = "generated types"
    else:
        path = argv[1] if len(argv) > 1 else str(ROOT / "openapi.yaml")
        with open(path) as handle:
            document = yaml.safe_load(handle)
        self_test(document)
        problems = (naming_problems(document) + problem_code_problems(document) + missing_example_problems(document)
                    + example_problems(document))
        from openapi_spec_validator import validate
        try:
            validate(document)
        except Exception as error:  # the validator's own message says where
            problems.append(f"openapi-spec-validator: {str(error).splitlines()[0]}")
        label = path
    for problem in problems:
        print(f"check-openapi: {problem}", file=sys.stderr)
    if problems:
        print(f"check-openapi: {label}: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    print(f"check-openapi: {label}: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
