"""A template's resources as CloudFormation resolves them for given Parameter values: the intrinsic functions and
conditions these templates use (Ref, GetAtt, If, Sub, Join, Split, Select; Equals, Not, And, Or), no more.

`sfn-resume verify` reads a user's template with it, and the tests read what a stack update would change."""

from __future__ import annotations

import re

NO_VALUE = object()
PSEUDO = ("AWS::Partition", "AWS::Region", "AWS::AccountId", "AWS::StackName", "AWS::URLSuffix", "AWS::StackId")


class TemplateError(ValueError):
    """The template uses what this resolver cannot resolve, or refers to what it does not hold."""


class Resolved:
    """A template's resources resolved for Parameter values; Ref/GetAtt of a resource in `replaced` stand for a
    new physical resource. `pseudo` gives the pseudo parameters' values (default: `{AWS::Region}`-style
    stand-ins)."""

    def __init__(self, template: dict, values: dict, replaced: frozenset = frozenset(), pseudo: dict | None = None):
        self.template, self.replaced, self.pseudo = template, replaced, pseudo or {}
        self.values = {}
        for name, parameter in template.get("Parameters", {}).items():
            value = str(values.get(name, parameter.get("Default", "")))
            self.values[name] = value.split(",") if parameter["Type"] == "CommaDelimitedList" else value
        self.conditions: dict[str, bool] = {}
        for name, body in template.get("Conditions", {}).items():
            self.conditions[name] = self.condition(body)

    def condition(self, body) -> bool:
        (function, args), = body.items()
        if function == "Condition":
            if args not in self.template.get("Conditions", {}):
                raise TemplateError(f"condition {args} is not in the template's Conditions")
            return self.conditions[args] if args in self.conditions else self.condition(
                self.template["Conditions"][args])
        if function == "Fn::Equals":
            left, right = (self.value(arg) for arg in args)
            return str(left) == str(right)
        if function == "Fn::Not":
            return not self.condition(args[0])
        if function == "Fn::And":
            return all(self.condition(arg) for arg in args)
        if function == "Fn::Or":
            return any(self.condition(arg) for arg in args)
        raise TemplateError(f"condition function {function} is not supported here")

    def ref(self, name: str):
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self.values:
            return self.values[name]
        if name in PSEUDO:
            return self.pseudo.get(name, "{" + name + "}")
        if name not in self.template.get("Resources", {}):
            raise TemplateError(f"Ref {name}: no such Parameter or resource")
        return f"<{name}{' (new)' if name in self.replaced else ''}>"

    def value(self, node):
        if isinstance(node, list):
            return [v for v in (self.value(item) for item in node) if v is not NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            (key, args), = node.items()
            if key == "Ref":
                return self.ref(args)
            if key == "Fn::GetAtt":
                return f"<{args[0]}{' (new)' if args[0] in self.replaced else ''}.{args[1]}>"
            if key == "Fn::If":
                return self.value(args[1] if self.conditions[args[0]] else args[2])
            if key == "Fn::Sub":
                text, variables = (args, {}) if isinstance(args, str) else args
                variables = {name: self.value(v) for name, v in variables.items()}
                return re.sub(r"\$\{([^}!]+)\}", lambda m: str(variables[m[1]] if m[1] in variables else (
                    self.value({"Fn::GetAtt": m[1].split(".", 1)}) if "." in m[1] else self.ref(m[1]))), text)
            if key == "Fn::Join":
                return args[0].join(str(v) for v in self.value(args[1]))
            if key == "Fn::Split":
                return str(self.value(args[1])).split(args[0])
            if key == "Fn::Select":
                return self.value(args[1])[int(args[0])]
            if key.startswith("Fn::"):
                raise TemplateError(f"intrinsic function {key} is not supported here")
        return {k: v for k, v in ((k, self.value(v)) for k, v in node.items()) if v is not NO_VALUE}

    def resources(self) -> dict:
        """{logical ID: (type, properties)} of the resources whose Condition holds."""
        return {name: (body["Type"], self.value(body.get("Properties", {})))
                for name, body in self.template["Resources"].items()
                if "Condition" not in body or self.conditions[body["Condition"]]}

    def outputs(self) -> dict:
        """{name: value} of the Outputs whose Condition holds."""
        return {name: self.value(body["Value"]) for name, body in self.template.get("Outputs", {}).items()
                if "Condition" not in body or self.conditions[body["Condition"]]}
