"""The DynamoDB model against moto's DynamoDB: generated items, conditions and updates, each applied to both, with
the item after, the returned Attributes and the error code compared.

Cases come from a seeded generator (the same cases every run; DYNAMODB_DIFFERENTIAL_CASES=N runs N per test
instead of the default, to search wider by hand). Every attribute name has one type throughout, so that most cases
reach the evaluation rather than stopping at a type error; type errors get their own generated actions.

Where moto and AWS differ, AWS's documented behaviour is the model's, and the comparison leaves that part out,
each for the reason given where it is handled:
- moto raises a Python error of its own (no AWS error code) for an ordering comparison between values of different
  types and for size() of a missing or numeric attribute; AWS evaluates both to false (Developer Guide, "Comparison
  operator and function reference"). Such cases are counted and skipped; the test requires most cases compared.
- moto keeps a number's text as sent; AWS trims leading and trailing zeros: numbers are compared as numbers.
- moto's UPDATED_OLD/UPDATED_NEW hold the attributes whose value changed; AWS's, those the update names (API
  reference, UpdateItem ReturnValues): only changed attributes are compared, and UPDATED_* is asked for only when
  the update names top-level attributes with no map value (moto returns part of a changed map); and moto counts the
  key of an item the update creates among them, which the update does not name: the key is left out.
- moto applies an update's actions one by one and keeps those before one that fails; AWS's UpdateItem is atomic, a
  call that fails changes nothing: when both fail, the error codes are compared, not the items.
- moto reads a NULL value (`{"NULL": true}`) as Python's None, equal to a missing attribute, and a BOOL as Python's
  bool, equal to the numbers 0 and 1; to AWS, values of two types are never equal: NULL and BOOL values are compared
  only with paths of their own type.
- Left out of the generator, and tested in test_dynamodb.py instead: what moto does not validate (BETWEEN bounds
  out of order, the same path on both sides of a comparator, an ordering comparator with a BOOL value, `l` and `l[0]`
  in one update) and binary attributes (moto's begins_with and contains ignore them).
"""

import os
import random
import re

import pytest

from sfn_resume.protocol.dynamodb import DynamoDbError, call
from sfn_resume.protocol.dynamodb_reserved_words import RESERVED_WORDS

from .dynamodb_moto import KEY, TABLE, MotoCrashed, MotoTable, canonical, canonical_item

CASES = int(os.environ.get("DYNAMODB_DIFFERENTIAL_CASES", "150"))
#: At most this share of cases may be skipped because moto crashed.
MAX_SKIPPED = 0.25

NUMBERS = ["0", "1", "2", "10", "-3", "2.5", "1.50", "100", "0.001"]
STRINGS = ["", "a", "ab", "b", "ba", "abc"]
SET_STRINGS = ["a", "b", "c", "ab"]
SET_NUMBERS = ["1", "2", "3", "10", "-1"]
TYPE_NAMES = ["S", "N", "B", "BOOL", "NULL", "SS", "NS", "BS", "L", "M"]
#: Each attribute's one type; `token` is a reserved word, always written through a #name.
ATTRIBUTE_TYPES = {"n": "N", "s": "S", "flag": "BOOL", "nul": "NULL", "l": "L", "m": "M", "ss": "SS", "ns": "NS",
                   "token": "S"}
#: Paths a condition reads, with the type found there when present.
CONDITION_PATHS = [("n", "N"), ("s", "S"), ("flag", "BOOL"), ("nul", "NULL"), ("l", "L"), ("m", "M"), ("ss", "SS"),
                   ("ns", "NS"), ("token", "S"), ("m.n", "N"), ("m.s", "S"), ("m.l", "L"), ("l[0]", "N"),
                   ("l[2]", "N"), ("m.l[1]", "N"), ("other", "N")]
ORDERED_PATHS = [(path, kind) for path, kind in CONDITION_PATHS if kind in ("N", "S")]
SIZED_PATHS = ["s", "l", "m", "ss", "ns", "m.l", "token"]
CONTAINS = [("s", "S"), ("token", "S"), ("ss", "S"), ("ns", "N"), ("l", "N"), ("m.l", "N"), ("n", "N")]
#: (path written, update action): {p} is the path, {N} {S} {L} {M} {SS} {NS} {ANY} a value of that type.
UPDATE_ACTIONS = [
    ("n", "SET {p} = {N}"), ("n", "SET {p} = {p} + {N}"), ("n", "SET {p} = {N} - {p}"),
    ("n", "SET {p} = if_not_exists({p}, {N})"), ("s", "SET {p} = {S}"), ("l", "SET {p} = list_append({p}, {L})"),
    ("l", "SET {p} = list_append({L}, {p})"), ("l", "SET {p} = list_append(if_not_exists({p}, {L}), {L})"),
    ("m.n", "SET {p} = {N}"), ("m.l[0]", "SET {p} = {N}"), ("l[0]", "SET {p} = {N}"), ("l[3]", "SET {p} = {N}"),
    ("fresh", "SET {p} = {ANY}"), ("token", "SET {p} = {S}"), ("flag", "SET {p} = {BOOL}"), ("m", "SET {p} = {M}"),
    ("copy", "SET {p} = s"), ("sum", "SET {p} = s + {N}"), ("total", "SET {p} = n + m.n"),
    ("s", "REMOVE"), ("m.s", "REMOVE"), ("l[0]", "REMOVE"), ("l[1]", "REMOVE"), ("nul", "REMOVE"),
    ("m.l[0]", "REMOVE"), ("absent", "REMOVE"),
    ("n", "ADD {N}"), ("count", "ADD {N}"), ("ss", "ADD {SS}"), ("ns", "ADD {NS}"), ("s", "ADD {SS}"),
    ("ss", "DELETE {SS}"), ("ns", "DELETE {NS}"), ("l", "DELETE {SS}"),
]


class Case:
    """One generated call: its text with placeholders, and the names and values they stand for."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.names: dict[str, str] = {}
        self.values: dict[str, dict] = {}

    def choice(self, options):
        return self.rng.choice(options)

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    # values

    def value_of(self, kind: str) -> dict:
        rng = self.rng
        if kind == "N":
            return {"N": rng.choice(NUMBERS)}
        if kind == "S":
            return {"S": rng.choice(STRINGS)}
        if kind == "BOOL":
            return {"BOOL": rng.random() < 0.5}
        if kind == "NULL":
            return {"NULL": True}
        if kind == "L":
            return {"L": [self.value_of("N") for _ in range(rng.randint(0, 3))]}
        if kind == "M":
            members = {name: self.value_of(kind) for name, kind in (("n", "N"), ("s", "S"), ("l", "L"))
                       if rng.random() < 0.6}
            return {"M": members}
        if kind == "SS":
            return {"SS": rng.sample(SET_STRINGS, rng.randint(1, 3))}
        if kind == "NS":
            return {"NS": rng.sample(SET_NUMBERS, rng.randint(1, 3))}
        return self.value_of(rng.choice(["N", "S", "BOOL", "NULL", "L", "M", "SS", "NS"]))

    def operand_of(self, kind: str) -> dict:
        """A value to compare with a path of type `kind`: usually of that type; NULL and BOOL only with their own
        type (see the docstring)."""
        if kind == "NULL" or self.chance(0.3):
            kind = self.choice(["N", "S", "L", "M", "SS", "NS"])
        return self.value_of(kind)

    def item(self) -> dict | None:
        if self.chance(0.15):
            return None
        item = dict(KEY)
        for name, kind in ATTRIBUTE_TYPES.items():
            if self.chance(0.6):
                item[name] = self.value_of(kind)
        return item

    # expression text

    def value(self, av: dict) -> str:
        placeholder = f":v{len(self.values)}"
        self.values[placeholder] = av
        return placeholder

    def path(self, text: str) -> str:
        written = ""
        for step in re.findall(r"[A-Za-z_]+|\[\d+\]", text):
            if step.startswith("["):
                written += step
                continue
            if step.upper() in RESERVED_WORDS or self.chance(0.3):
                placeholder = next((p for p, name in self.names.items() if name == step), f"#n{len(self.names)}")
                self.names[placeholder] = step
                step = placeholder
            written += ("." if written else "") + step
        return written

    def condition(self, depth: int = 0) -> tuple[str, bool]:
        """A condition's text, and whether it is compound (needs parentheses after NOT)."""
        pick = self.rng.randint(0, 9) if depth < 3 else 0
        if pick <= 5:
            return self.leaf(), False
        if pick == 6:
            inner, compound = self.condition(depth + 1)
            return f"NOT ({inner})" if compound or self.chance(0.3) else f"NOT {inner}", False
        operator = "AND" if pick in (7, 8) else "OR"
        parts = []
        for _ in range(2):
            text, compound = self.condition(depth + 1)
            parts.append(f"({text})" if compound and self.chance(0.5) else text)
        return f" {operator} ".join(parts), True

    def leaf(self) -> str:
        kind = self.choice(["equal", "order", "exists", "type", "begins", "contains", "between", "in", "size"])
        if kind == "equal":
            path, path_kind = self.choice(CONDITION_PATHS)
            value = self.value(self.operand_of(path_kind))
            left, right = self.path(path), value
            if self.chance(0.2) and path_kind != "NULL":  # two different paths (neither NULL: see the docstring)
                others = [p for p, kind in CONDITION_PATHS if p != path and kind != "NULL"]
                left, right = left, self.path(self.choice(others))
                del self.values[value]
            if self.chance(0.3):
                left, right = right, left
            return f"{left} {self.choice(['=', '<>'])} {right}"
        if kind == "order":
            path, path_kind = self.choice(ORDERED_PATHS)
            left, right = self.path(path), self.value(self.value_of(path_kind))
            if self.chance(0.3):
                left, right = right, left
            return f"{left} {self.choice(['<', '<=', '>', '>='])} {right}"
        if kind == "exists":
            function = self.choice(["attribute_exists", "attribute_not_exists"])
            return f"{function}({self.path(self.choice(CONDITION_PATHS)[0])})"
        if kind == "type":
            type_name = self.value({"S": self.choice(TYPE_NAMES)})
            return f"attribute_type({self.path(self.choice(CONDITION_PATHS)[0])}, {type_name})"
        if kind == "begins":
            return f"begins_with({self.path(self.choice(['s', 'm.s', 'token']))}, {self.value(self.value_of('S'))})"
        if kind == "contains":
            path, operand_kind = self.choice(CONTAINS)
            return f"contains({self.path(path)}, {self.value(self.value_of(operand_kind))})"
        if kind == "between":
            path, path_kind = self.choice(ORDERED_PATHS)
            bounds = sorted([self.value_of(path_kind), self.value_of(path_kind)], key=lambda v: canonical(v))
            return f"{self.path(path)} BETWEEN {self.value(bounds[0])} AND {self.value(bounds[1])}"
        if kind == "in":
            path, path_kind = self.choice(CONDITION_PATHS)
            candidates = [self.value(self.operand_of(path_kind))
                          for _ in range(self.rng.randint(1, 3))]
            return f"{self.path(path)} IN ({', '.join(candidates)})"
        comparator = self.choice(["=", "<>", "<", "<=", ">", ">="])
        return f"size({self.path(self.choice(SIZED_PATHS))}) {comparator} {self.value(self.value_of('N'))}"

    def update(self) -> tuple[str, list[str]]:
        """An update's text (non-overlapping paths, sections in any order) and the paths it writes."""
        chosen: list[tuple[str, str]] = []
        for _ in range(self.rng.randint(1, 4)):
            path, action = self.choice(UPDATE_ACTIONS)
            steps = _steps(path)
            if all(not _prefix(steps, _steps(other)) and not _prefix(_steps(other), steps) for other, _ in chosen):
                chosen.append((path, action))
        sections: dict[str, list[str]] = {}
        for path, action in chosen:
            section, _, rest = action.partition(" ")
            text = self.path(path)
            if section == "SET":
                rest = re.sub(r"\b(s|n|m)\b", lambda match: self.path(match.group(1)), rest).replace("{p}", text)
                for kind in ("NS", "SS", "N", "S", "L", "M", "BOOL", "ANY"):
                    while "{" + kind + "}" in rest:
                        rest = rest.replace("{" + kind + "}", self.value(self.value_of(kind)), 1)
                sections.setdefault(section, []).append(rest)
            elif section == "REMOVE":
                sections.setdefault(section, []).append(text)
            else:
                sections.setdefault(section, []).append(f"{text} {self.value(self.value_of(rest.strip('{}')))}")
        order = list(sections)
        self.rng.shuffle(order)
        return " ".join(f"{section} {', '.join(sections[section])}" for section in order), [p for p, _ in chosen]

    def params(self, **params) -> dict:
        if self.names:
            params["ExpressionAttributeNames"] = dict(self.names)
        if self.values:
            params["ExpressionAttributeValues"] = dict(self.values)
        return params


def _steps(path: str) -> list[str]:
    return re.findall(r"[A-Za-z_]+|\[\d+\]", path)


def _prefix(first: list, second: list) -> bool:
    return second[:len(first)] == first


def model_outcome(action: str, params: dict, item: dict | None):
    try:
        after, response = call(action, {**params, "TableName": TABLE}, item)
    except DynamoDbError as error:
        return item, {}, error.code
    return after, response, None


@pytest.fixture(scope="module")
def moto_table():
    table = MotoTable()
    yield table
    table.close()


class Tally:
    def __init__(self):
        self.compared = 0
        self.skipped: list[str] = []
        self.mismatches: list[str] = []
        self.outcomes: dict[str, int] = {}

    def check(self, outcomes=("ok", "ConditionalCheckFailedException", "ValidationException")):
        print(f"compared {self.compared}, skipped {len(self.skipped)} (moto crashed), outcomes {self.outcomes}")
        assert not self.mismatches, f"{len(self.mismatches)} of {self.compared} cases differ:\n" + "\n\n".join(
            self.mismatches[:10])
        total = self.compared + len(self.skipped)
        assert len(self.skipped) <= MAX_SKIPPED * total, f"moto crashed on {len(self.skipped)} of {total}: " \
                                                         f"{self.skipped[:5]}"
        # the generator reaches every outcome expected: success, a failed condition, a validation error
        assert set(self.outcomes) == set(outcomes), self.outcomes


def compare(tally: Tally, moto_table: MotoTable, action: str, params: dict, item: dict | None, *,
            changed_only: bool = False):
    ours = model_outcome(action, params, item)
    try:
        theirs = moto_table.run(action, params, item)
    except MotoCrashed as crash:
        tally.skipped.append(f"{params}: {crash}")
        return
    tally.compared += 1
    tally.outcomes[ours[2] or "ok"] = tally.outcomes.get(ours[2] or "ok", 0) + 1
    (our_item, our_response, our_code), (their_item, their_response, their_code) = ours, theirs
    if changed_only and our_code is None and "Attributes" in our_response | their_response:
        old, new = item or {}, our_item or {}

        def changed(attributes):
            return {name: value for name, value in attributes.items() if name not in KEY
                    and (name not in old or name not in new or canonical(old[name]) != canonical(new[name]))}
        our_response = {"Attributes": changed(our_response.get("Attributes", {}))}
        their_response = {"Attributes": changed(their_response.get("Attributes", {}))}
    if our_code is not None and action == "updateItem":
        their_item = our_item  # moto is not atomic: see the docstring
    same = (our_code == their_code and canonical_item(our_item) == canonical_item(their_item)
            and {k: canonical_item(v) for k, v in our_response.items()}
            == {k: canonical_item(v) for k, v in their_response.items()})
    if not same:
        tally.mismatches.append(f"{action} {params}\n  on {item}\n  model: {ours}\n  moto:  {theirs}")


def test_conditions_on_delete_item_match_moto(moto_table):
    """Conditions alone: deleteItem deletes exactly when the condition holds; ALL_OLD returns the old item."""
    rng = random.Random(20261207)
    tally = Tally()
    for _ in range(CASES):
        case = Case(rng)
        item = case.item()
        condition, _ = case.condition()
        params = case.params(Key=KEY, ConditionExpression=condition, ReturnValues=case.choice(["NONE", "ALL_OLD"]))
        compare(tally, moto_table, "deleteItem", params, item)
    tally.check(outcomes=("ok", "ConditionalCheckFailedException"))


def test_updates_match_moto(moto_table):
    rng = random.Random(22)
    tally = Tally()
    for _ in range(CASES):
        case = Case(rng)
        item = case.item()
        update, paths = case.update()
        extra = {}
        if case.chance(0.5):
            extra["ConditionExpression"] = case.condition()[0]
        top_level = all(re.fullmatch(r"[A-Za-z_]+", path) and path != "m" for path in paths)
        return_values = case.choice(["NONE", "ALL_OLD", "ALL_NEW"] + (["UPDATED_OLD", "UPDATED_NEW"] * 2
                                                                      if top_level else []))
        params = case.params(Key=KEY, UpdateExpression=update, ReturnValues=return_values, **extra)
        compare(tally, moto_table, "updateItem", params, item, changed_only=return_values.startswith("UPDATED"))
    tally.check()


def test_put_item_matches_moto(moto_table):
    rng = random.Random(7)
    tally = Tally()
    for _ in range(CASES):
        case = Case(rng)
        item = case.item()
        new_item = case.item() or dict(KEY)
        extra = {"ConditionExpression": case.condition()[0]} if case.chance(0.8) else {}
        params = case.params(Item=new_item, ReturnValues=case.choice(["NONE", "ALL_OLD"]), **extra)
        compare(tally, moto_table, "putItem", params, item)
    tally.check(outcomes=("ok", "ConditionalCheckFailedException"))
