"""The DynamoDB model (sfn_resume/protocol/dynamodb.py): the calls the shipped templates make, read from their state
machine definitions; DynamoDB's documented semantics, one behaviour per case; and AWS's validation errors.
test_dynamodb_against_moto.py compares the model with moto on generated calls."""

import copy
import random

import pytest

from sfn_resume.protocol.dynamodb import DynamoDbError, Table, call, key_of

from ..helpers import INSTANCE_TEMPLATES, load_yaml
from .dynamodb_moto import KEY, TABLE, MotoCrashed, MotoTable, canonical_item

ITEM = {
    "id": {"S": "job-1"},
    "n": {"N": "5"},
    "s": {"S": "abc"},
    "token": {"S": "tok"},
    "flag": {"BOOL": True},
    "nul": {"NULL": True},
    "l": {"L": [{"N": "1"}, {"S": "two"}, {"N": "3"}]},
    "m": {"M": {"a": {"M": {"b": {"N": "7"}}}, "s": {"S": "x"}}},
    "ss": {"SS": ["a", "b"]},
    "ns": {"NS": ["1", "10"]},
    "bin": {"B": "AAEC"},
}


def holds(condition: str, values: dict | None = None, item: dict | None = ITEM, names: dict | None = None) -> bool:
    """Whether `condition` holds on `item`: a deleteItem that deletes, or fails its condition."""
    params = {"TableName": TABLE, "Key": KEY, "ConditionExpression": condition}
    if values:
        params["ExpressionAttributeValues"] = values
    if names:
        params["ExpressionAttributeNames"] = names
    try:
        after, _ = call("deleteItem", params, item)
    except DynamoDbError as error:
        assert error.code == "ConditionalCheckFailedException", error
        return False
    assert after is None
    return True


def update(expression: str, values: dict | None = None, item: dict | None = ITEM, return_values: str = "ALL_NEW",
           names: dict | None = None, **params) -> tuple:
    params = {"TableName": TABLE, "Key": KEY, "UpdateExpression": expression, "ReturnValues": return_values,
              **params}
    if values:
        params["ExpressionAttributeValues"] = values
    if names:
        params["ExpressionAttributeNames"] = names
    return call("updateItem", params, item)


def error_of(action: str, params: dict, item: dict | None = ITEM) -> DynamoDbError:
    with pytest.raises(DynamoDbError) as caught:
        call(action, {"TableName": TABLE, **params}, item)
    return caught.value


N1, N5, N10, S_A, S_ABC = {"N": "1"}, {"N": "5"}, {"N": "10"}, {"S": "a"}, {"S": "abc"}


# --- the calls the shipped templates make -------------------------------------------------------------------------

def template_calls() -> list:
    """Every DynamoDB Task of the shipped instance templates, once per distinct (action, arguments): the action
    read from the Task's resource (through DefinitionSubstitutions), the Arguments as written."""
    calls = {}
    for path in INSTANCE_TEMPLATES:
        for name, resource in load_yaml(path)["Resources"].items():
            if resource["Type"] != "AWS::StepFunctions::StateMachine":
                continue
            properties = resource["Properties"]
            substitutions = properties.get("DefinitionSubstitutions", {})
            for state_name, state in properties["Definition"]["States"].items():
                arn = state.get("Resource", "")
                if arn.startswith("${"):
                    arn = substitutions[arn[2:-1]]
                    arn = arn.get("Fn::Sub", arn) if isinstance(arn, dict) else arn
                if ":aws-sdk:dynamodb:" not in str(arn):
                    continue
                action = arn.rsplit(":", 1)[1].split(".")[0]
                key = (action, repr(state["Arguments"]))
                calls.setdefault(key, (f"{path.stem}:{name}.{state_name}", action, state["Arguments"]))
    return sorted(calls.values())


TEMPLATE_CALLS = template_calls()


def concrete(arguments, rng: random.Random, key: str = "job-1"):
    """The Arguments with each JSONata expression replaced by a value of the type its place needs: the key for
    `id`, a number for `N`, a short string for `S`."""
    def fill(value, tag=None, name=None):
        if isinstance(value, dict):
            return {k: fill(v, k if k in ("S", "N") else tag, k if tag is None and k not in ("S", "N") else name)
                    for k, v in value.items()}
        if isinstance(value, str) and value.startswith("{%"):
            if name == "id":
                return key
            return rng.choice(["1", "5", "9"]) if tag == "N" else rng.choice(["a", "b"])
        if isinstance(value, str) and value.startswith("${"):
            return TABLE
        return value
    return fill(arguments)


def attribute_names(arguments: dict) -> list[str]:
    """The attribute names a call mentions: its Item's, its #names', and the bare names of its expressions."""
    import re

    names = set(arguments.get("Item", {})) | set(arguments.get("ExpressionAttributeNames", {}).values())
    for expression in (arguments.get("ConditionExpression", ""), arguments.get("UpdateExpression", "")):
        names |= set(re.findall(r"(?<![#:\w])([A-Za-z_]\w*)(?!\s*\()", expression))
    return sorted(names - {"AND", "OR", "NOT", "SET", "REMOVE", "ADD", "DELETE", "BETWEEN", "IN", "id"})


def test_the_templates_make_dynamodb_calls():
    assert TEMPLATE_CALLS, "no aws-sdk:dynamodb Task found in the shipped templates"
    actions = {action for _, action, _ in TEMPLATE_CALLS}
    assert actions <= {"putItem", "updateItem", "deleteItem", "getItem"}, actions
    assert any("ConditionExpression" in arguments for _, _, arguments in TEMPLATE_CALLS)


#: What an update meets on an item that lacks what it reads: AWS's errors, not the call's (which AWS accepted).
ITEM_ERRORS = ("The provided expression refers to an attribute that does not exist in the item",
               "An operand in the update expression has an incorrect data type",
               "The document path provided in the update expression is invalid for update")


@pytest.mark.parametrize("where, action, arguments", TEMPLATE_CALLS, ids=[where for where, _, _ in TEMPLATE_CALLS])
def test_template_call_is_valid_dynamodb(where, action, arguments):
    """AWS accepts each call the templates make: no syntax error, no reserved word used bare, every #name and
    :value defined and used. On items of any shape the call succeeds, fails its condition, or (an update reading
    an attribute the item lacks) meets one of the item's errors."""
    rng = random.Random(where)
    for _ in range(50):
        params = concrete(arguments, rng)
        item = with_equal_values(random_item(rng, attribute_names(arguments)), params, rng)
        try:
            after, response = call(action, params, item)
        except DynamoDbError as error:
            assert error.code == "ConditionalCheckFailedException" or error.message in ITEM_ERRORS, f"{where}: {error}"
            continue
        if action != "getItem":
            assert after is None or after["id"] == {"S": "job-1"}
        assert set(response) <= {"Attributes", "Item"}


def random_item(rng: random.Random, names: list[str]) -> dict | None:
    if rng.random() < 0.2:
        return None
    item = dict(KEY)
    for name in names:
        if rng.random() < 0.6:
            item[name] = {"N": rng.choice(["1", "5", "9"])} if rng.random() < 0.7 else {"S": rng.choice(["a", "b"])}
    return item


def with_equal_values(item: dict | None, params: dict, rng: random.Random) -> dict | None:
    """`item`, where the condition compares an attribute with a value (`a = :v`), holding that value half the time:
    a condition of many such terms then holds now and then."""
    import re

    if item is None:
        return None
    names = params.get("ExpressionAttributeNames", {})
    for name, value in re.findall(r"(#?\w+) = :(\w+)", params.get("ConditionExpression", "")):
        if rng.random() < 0.5:
            item[names.get(name, name)] = params["ExpressionAttributeValues"][f":{value}"]
    return item


@pytest.fixture(scope="module")
def moto_table():
    table = MotoTable()
    yield table
    table.close()


@pytest.mark.parametrize("where, action, arguments", TEMPLATE_CALLS, ids=[where for where, _, _ in TEMPLATE_CALLS])
def test_template_call_matches_moto(moto_table, where, action, arguments):
    """Each call the templates make, on generated items, against moto: the same item after, response and error.
    (moto raises a Python error when an ordering comparison meets values of two types; AWS evaluates it to false:
    those cases are skipped, and most must be compared.)"""
    rng = random.Random(where)
    compared, outcomes = 0, set()
    wanted = {None, "ConditionalCheckFailedException"} if "ConditionExpression" in arguments else set()
    # 30 cases, and more (up to 600) until a condition of many terms has both held and failed
    for case in range(600):
        if case >= 30 and wanted <= outcomes:
            break
        params = concrete(arguments, rng)
        item = with_equal_values(random_item(rng, attribute_names(arguments)), params, rng)
        try:
            after, response = call(action, params, item)
            code = None
        except DynamoDbError as error:
            after, response, code = item, {}, error.code
        try:
            their_after, their_response, their_code = moto_table.run(action, params, item)
        except MotoCrashed:
            continue
        compared += 1
        outcomes.add(code)
        assert (code, canonical_item(after)) == (their_code, canonical_item(their_after)), (params, item)
        assert {k: canonical_item(v) for k, v in response.items()} == \
               {k: canonical_item(v) for k, v in their_response.items()}, (params, item)
    assert compared >= 20, f"{where}: only {compared} of {case + 1} cases compared"
    if "ConditionExpression" in arguments:
        assert {None, "ConditionalCheckFailedException"} <= outcomes, f"{where}: only {outcomes} reached"


# --- conditions ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("condition, values, expected", [
    # comparators; numbers compare as decimals, strings by code point
    ("n = :v", {":v": N5}, True),
    ("n = :v", {":v": {"N": "5.000"}}, True),
    ("n = :v", {":v": {"S": "5"}}, False),  # another type is never equal
    ("n <> :v", {":v": {"S": "5"}}, True),
    ("n < :v", {":v": N10}, True),  # 5 < 10 as numbers ("5" > "10" as text)
    ("n < :v", {":v": S_A}, False),  # values of two types are not ordered, and it is no error
    ("s < :v", {":v": {"S": "abd"}}, True),
    ("s >= :v", {":v": {"S": "ab"}}, True),
    ("s < :v", {":v": {"S": "é"}}, True),
    ("bin < :v", {":v": {"B": "AAED"}}, True),  # binary compares as unsigned bytes
    # a gone attribute: every comparison false, except <>
    ("gone = :v", {":v": N5}, False),
    ("gone <> :v", {":v": N5}, True),
    ("gone < :v", {":v": N5}, False),
    ("gone = :v", {":v": {"NULL": True}}, False),  # NULL is a value, not an absence
    ("nul = :v", {":v": {"NULL": True}}, True),
    ("gone <> :v", {":v": {"NULL": True}}, True),
    ("gone = nothing", None, True),  # two absences are equal
    # sets are unordered; lists and maps compare whole
    ("ss = :v", {":v": {"SS": ["b", "a"]}}, True),
    ("ns = :v", {":v": {"NS": ["10.0", "1"]}}, True),
    ("l = :v", {":v": {"L": [N1, {"S": "two"}, {"N": "3"}]}}, True),
    ("l = :v", {":v": {"L": [{"S": "two"}, N1, {"N": "3"}]}}, False),
    ("m.a = :v", {":v": {"M": {"b": {"N": "7.0"}}}}, True),
    # BETWEEN is inclusive; IN is any of
    ("n BETWEEN :a AND :b", {":a": N5, ":b": N10}, True),
    ("n BETWEEN :a AND :b", {":a": {"N": "6"}, ":b": N10}, False),
    ("s BETWEEN :a AND :b", {":a": {"N": "1"}, ":b": N10}, False),
    ("n IN (:a, :b)", {":a": N1, ":b": {"N": "5.0"}}, True),
    ("n IN (:a)", {":a": {"S": "5"}}, False),
    ("gone IN (:a)", {":a": N1}, False),
    # functions
    ("attribute_exists(m.a.b)", None, True),
    ("attribute_exists(m.x.b)", None, False),
    ("attribute_not_exists(l[3])", None, True),
    ("attribute_exists(l[2])", None, True),
    ("attribute_exists(s[0])", None, False),  # an index into a string finds nothing
    ("attribute_type(nul, :t)", {":t": {"S": "NULL"}}, True),
    ("attribute_type(ns, :t)", {":t": {"S": "SS"}}, False),
    ("attribute_type(gone, :t)", {":t": {"S": "S"}}, False),
    ("begins_with(s, :v)", {":v": {"S": "ab"}}, True),
    ("begins_with(s, :v)", {":v": {"S": ""}}, True),
    ("begins_with(bin, :v)", {":v": {"B": "AA=="}}, True),
    ("begins_with(n, :v)", {":v": {"S": "5"}}, False),  # a number has no prefix
    ("contains(s, :v)", {":v": {"S": "bc"}}, True),
    ("contains(ss, :v)", {":v": {"S": "b"}}, True),
    ("contains(ss, :v)", {":v": {"S": "ab"}}, False),  # membership, not substring
    ("contains(ns, :v)", {":v": {"N": "10.00"}}, True),
    ("contains(l, :v)", {":v": {"S": "two"}}, True),
    ("contains(l, :v)", {":v": {"N": "3.0"}}, True),
    ("contains(m, :v)", {":v": {"S": "s"}}, False),  # a map contains nothing
    ("contains(bin, :v)", {":v": {"B": "AQ=="}}, True),
    ("size(s) = :v", {":v": {"N": "3"}}, True),
    ("size(l) = :v", {":v": {"N": "3"}}, True),
    ("size(m) = :v", {":v": {"N": "2"}}, True),
    ("size(ss) < :v", {":v": {"N": "3"}}, True),
    ("size(bin) = :v", {":v": {"N": "3"}}, True),
    ("size(gone) < :v", {":v": {"N": "3"}}, False),  # no size, no comparison
    ("size(n) < :v", {":v": {"N": "3"}}, False),  # a number has no size
    # precedence: comparisons, then NOT, then AND, then OR
    ("n = :five OR n = :one AND s = :one", {":five": N5, ":one": N1}, True),
    ("(n = :five OR n = :one) AND s = :one", {":five": N5, ":one": N1}, False),
    ("NOT n = :one AND s = :abc", {":one": N1, ":abc": S_ABC}, True),
    ("NOT (n = :five AND s = :abc)", {":five": N5, ":abc": S_ABC}, False),
    ("NOT (NOT n = :five)", {":five": N5}, True),
    ("n BETWEEN :one AND :ten AND s = :abc", {":one": N1, ":ten": N10, ":abc": S_ABC}, True),
    ("(n) = :five", {":five": N5}, True),  # an operand in parentheses
    ("n=:five AND\ts\n=:abc", {":five": N5, ":abc": S_ABC}, True),  # any white space, or none
    ("N = :five", {":five": N5}, False),  # attribute names are case sensitive
    ("n = :five and s = :abc", {":five": N5, ":abc": S_ABC}, True),  # keywords are not
])
def test_condition(condition, values, expected):
    assert holds(condition, values) is expected


def test_condition_placeholders_and_a_missing_item():
    names = {"#t": "token", "#a": "a", "#m": "m"}
    assert holds("#t = :v AND attribute_exists(#m.#a.b)", {":v": {"S": "tok"}}, names=names)
    assert holds("attribute_not_exists(id)", item=None)
    assert not holds("attribute_exists(id)", item=None)
    assert holds("#t <> :v", {":v": {"S": "tok"}}, item=None, names={"#t": "token"})


def test_one_text_with_other_names_means_other_paths():
    """Expressions are parsed once per text and bound once per names: the same text with other names reads other
    attributes."""
    assert holds("#a = :v", {":v": N5}, names={"#a": "n"})
    assert not holds("#a = :v", {":v": N5}, names={"#a": "s"})
    assert holds("#a = :v", {":v": S_ABC}, names={"#a": "s"})


# --- updates ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("expression, values, expected", [
    ("SET n = n + :v", {":v": {"N": "0.50"}}, {"n": {"N": "5.5"}}),  # stored without trailing zeros
    ("SET n = :v - n", {":v": N1}, {"n": {"N": "-4"}}),
    ("SET n = :v", {":v": {"N": "1E3"}}, {"n": {"N": "1000"}}),
    ("SET n = :v", {":v": {"N": "-0.0"}}, {"n": {"N": "0"}}),
    ("SET x = if_not_exists(n, :v), y = if_not_exists(gone, :v)", {":v": N1}, {"x": N5, "y": N1}),
    ("SET l = list_append(l, :v)", {":v": {"L": [S_A]}}, {"l": {"L": [N1, {"S": "two"}, {"N": "3"}, S_A]}}),
    ("SET l = list_append(:v, l)", {":v": {"L": [S_A]}}, {"l": {"L": [S_A, N1, {"S": "two"}, {"N": "3"}]}}),
    ("SET x = list_append(if_not_exists(gone, :e), :v)", {":e": {"L": []}, ":v": {"L": [S_A]}},
     {"x": {"L": [S_A]}}),
    ("SET l[1] = :v", {":v": S_A}, {"l": {"L": [N1, S_A, {"N": "3"}]}}),
    ("SET l[9] = :v", {":v": S_A}, {"l": {"L": [N1, {"S": "two"}, {"N": "3"}, S_A]}}),  # past the end: appended
    ("SET m.a.c = :v", {":v": S_A}, {"m": {"M": {"a": {"M": {"b": {"N": "7"}, "c": S_A}}, "s": {"S": "x"}}}}),
    ("SET a = n, n = :v", {":v": N1}, {"a": N5, "n": N1}),  # values come from the item before the update
    ("REMOVE l[0], l[2]", None, {"l": {"L": [{"S": "two"}]}}),  # indexes of the list before the update
    ("REMOVE m.a.b, gone, l[7]", None, {"m": {"M": {"a": {"M": {}}, "s": {"S": "x"}}}}),
    ("ADD n :v, fresh :v", {":v": {"N": "-5"}}, {"n": {"N": "0"}, "fresh": {"N": "-5"}}),
    ("ADD ss :v", {":v": {"SS": ["b", "c"]}}, {"ss": {"SS": ["a", "b", "c"]}}),
    ("ADD ns :v", {":v": {"NS": ["10.0", "2"]}}, {"ns": {"NS": ["1", "10", "2"]}}),
    ("DELETE ss :v", {":v": {"SS": ["a", "z"]}}, {"ss": {"SS": ["b"]}}),
    ("DELETE ss :v, gone :v", {":v": {"SS": ["a", "b"]}}, {"ss": None}),  # an empty set is removed
    ("DELETE ns :v", {":v": {"NS": ["1.0"]}}, {"ns": {"NS": ["10"]}}),
    ("SET a = :v REMOVE s ADD c :one DELETE ss :ss", {":v": S_A, ":one": N1, ":ss": {"SS": ["a"]}},
     {"a": S_A, "s": None, "c": N1, "ss": {"SS": ["b"]}}),
    ("remove s set a = :v", {":v": S_A}, {"a": S_A, "s": None}),  # sections in any order and case
])
def test_update(expression, values, expected):
    after, response = update(expression, values)
    wanted = {**ITEM, **{name: value for name, value in expected.items() if value is not None}}
    for name in [name for name, value in expected.items() if value is None]:
        del wanted[name]
    assert after == wanted
    assert response == {"Attributes": wanted}


def test_update_creates_the_item_it_does_not_find():
    assert update("SET a = :v", {":v": S_A}, item=None) == ({**KEY, "a": S_A}, {"Attributes": {**KEY, "a": S_A}})
    assert update("REMOVE a", item=None, return_values="NONE") == (KEY, {})
    params = {"TableName": TABLE, "Key": KEY}
    assert call("updateItem", params, None) == (KEY, {})
    assert call("updateItem", params, ITEM) == (ITEM, {})


@pytest.mark.parametrize("return_values, expression, expected", [
    ("NONE", "SET n = :v", {}),
    ("ALL_OLD", "SET n = :v", {"Attributes": ITEM}),
    ("UPDATED_OLD", "SET n = :v, fresh = :v", {"Attributes": {"n": N5}}),
    ("UPDATED_NEW", "SET n = :v, fresh = :v", {"Attributes": {"n": N1, "fresh": N1}}),
    # the attributes named, changed or not, and only the parts of them named
    ("UPDATED_OLD", "SET m.a.b = :v, l[2] = :v", {"Attributes": {"m": {"M": {"a": {"M": {"b": {"N": "7"}}}}},
                                                                  "l": {"L": [{"N": "3"}]}}}),
    ("UPDATED_NEW", "SET m.a.b = :v REMOVE s", {"Attributes": {"m": {"M": {"a": {"M": {"b": N1}}}}}}),
    ("UPDATED_OLD", "SET n = :same", {"Attributes": {"n": N5}}),
])
def test_update_return_values(return_values, expression, expected):
    values = {":v": N1} if ":v" in expression else {":same": N5}
    assert update(expression, values, return_values=return_values)[1] == expected


def test_update_return_values_of_a_new_item():
    assert update("SET a = :v", {":v": S_A}, item=None, return_values="ALL_OLD")[1] == {}
    assert update("SET a = :v", {":v": S_A}, item=None, return_values="UPDATED_OLD")[1] == {}
    assert update("SET a = :v", {":v": S_A}, item=None, return_values="UPDATED_NEW")[1] == {"Attributes": {"a": S_A}}


@pytest.mark.parametrize("expression, values, message", [
    ("SET x = gone", None, "The provided expression refers to an attribute that does not exist in the item"),
    ("SET x = gone + :v", {":v": N1}, "refers to an attribute that does not exist"),
    ("SET x = s + :v", {":v": N1}, "An operand in the update expression has an incorrect data type"),
    ("SET x = list_append(s, :v)", {":v": {"L": []}}, "incorrect data type"),
    ("ADD s :v", {":v": N1}, "incorrect data type"),
    ("ADD ss :v", {":v": {"NS": ["1"]}}, "incorrect data type"),
    ("DELETE ns :v", {":v": {"SS": ["1"]}}, "incorrect data type"),
    ("SET gone.a = :v", {":v": N1}, "The document path provided in the update expression is invalid for update"),
    ("SET s.a = :v", {":v": N1}, "invalid for update"),
    ("SET m[0] = :v", {":v": N1}, "invalid for update"),
    ("SET l[7].a = :v", {":v": N1}, "invalid for update"),
    ("REMOVE gone.a", None, "invalid for update"),
    ("SET n = :big + :big", {":big": {"N": "9.9999999999999999999999999999999999999E+125"}}, "Number overflow"),
    ("SET n = :v + :w", {":v": {"N": "1E+37"}, ":w": {"N": "0.1"}}, "more than 38 significant digits"),
])
def test_update_fails_on_the_item(expression, values, message):
    """Errors the update meets on the item: the condition held, and the call fails without changing anything."""
    error = error_of("updateItem", {"Key": KEY, "UpdateExpression": expression,
                                    **({"ExpressionAttributeValues": values} if values else {})})
    assert (error.code, message in error.message) == ("ValidationException", True), error.message


def test_a_false_condition_comes_before_the_update_errors():
    error = error_of("updateItem", {"Key": KEY, "UpdateExpression": "SET x = gone",
                                    "ConditionExpression": "attribute_exists(gone)"})
    assert error.code == "ConditionalCheckFailedException"
    assert error.message == "The conditional request failed"


# --- put, delete, get ---------------------------------------------------------------------------------------------

def test_put_item():
    new = {"id": {"S": "job-1"}, "n": {"N": "01.50"}, "ns": {"NS": ["2.0", "1"]}, "m": {"M": {"x": {"N": "1e1"}}}}
    stored = {"id": {"S": "job-1"}, "n": {"N": "1.5"}, "ns": {"NS": ["2", "1"]}, "m": {"M": {"x": {"N": "10"}}}}
    assert call("putItem", {"TableName": TABLE, "Item": new}, ITEM) == (stored, {})
    assert call("putItem", {"TableName": TABLE, "Item": new, "ReturnValues": "ALL_OLD"}, ITEM) == (
        stored, {"Attributes": ITEM})
    assert call("putItem", {"TableName": TABLE, "Item": new, "ReturnValues": "ALL_OLD"}, None) == (stored, {})
    same = {"id": {"S": "job-1"}, "s": {"S": ""}}  # empty strings are values (outside the key)
    assert call("putItem", {"TableName": TABLE, "Item": same}, None)[0] is same


def test_delete_item():
    assert call("deleteItem", {"TableName": TABLE, "Key": KEY, "ReturnValues": "ALL_OLD"}, ITEM) == (
        None, {"Attributes": ITEM})
    assert call("deleteItem", {"TableName": TABLE, "Key": KEY, "ReturnValues": "ALL_OLD"}, None) == (None, {})
    assert call("deleteItem", {"TableName": TABLE, "Key": KEY}, ITEM) == (None, {})


@pytest.mark.parametrize("projection, names, expected", [
    (None, None, ITEM),
    ("n, s", None, {"n": N5, "s": S_ABC}),
    ("#t, gone", {"#t": "token"}, {"token": {"S": "tok"}}),
    ("m.a.b, l[2], l[0]", None, {"m": {"M": {"a": {"M": {"b": {"N": "7"}}}}}, "l": {"L": [N1, {"N": "3"}]}}),
    ("m.gone", None, {}),
])
def test_get_item(projection, names, expected):
    params = {"TableName": TABLE, "Key": KEY, "ConsistentRead": True}
    if projection:
        params["ProjectionExpression"] = projection
    if names:
        params["ExpressionAttributeNames"] = names
    assert call("getItem", params, ITEM) == (ITEM, {"Item": expected})
    assert call("getItem", params, None) == (None, {})


def test_nothing_handed_in_is_changed():
    item, values = copy.deepcopy(ITEM), {":v": {"N": "1.50"}, ":ss": {"SS": ["a"]}, ":l": {"L": [N1]}}
    params = {"TableName": TABLE, "Key": copy.deepcopy(KEY), "ReturnValues": "ALL_NEW",
              "UpdateExpression": "SET m.a.b = :v, l[0] = :v, l = list_append(l, :l) ADD n :v DELETE ss :ss",
              "ExpressionAttributeValues": values}
    params["UpdateExpression"] = "SET m.a.b = :v, l[0] = :v, x = list_append(l, :l) ADD n :v DELETE ss :ss"
    before = copy.deepcopy((item, params))
    after, response = call("updateItem", params, item)
    assert (item, params) == before
    assert after["m"]["M"]["a"]["M"]["b"] == {"N": "1.5"} and ITEM["m"]["M"]["a"]["M"]["b"] == {"N": "7"}
    assert after["l"]["L"][0] == {"N": "1.5"} and after["ss"] == {"SS": ["b"]}


# --- keys ---------------------------------------------------------------------------------------------------------

def test_key_of():
    assert key_of({"Key": KEY}) == "job-1"
    assert key_of({"Item": {**ITEM, "id": {"S": "job-2"}}}) == "job-2"
    numbers = Table(hash_key="pk", key_type="N")
    assert numbers.key_of({"Key": {"pk": {"N": "1.50"}}}) == "1.5"
    assert numbers.call("putItem", {"TableName": TABLE, "Item": {"pk": {"N": "1.50"}}}, None) == ({"pk": {"N": "1.5"}}, {})
    with pytest.raises(ValueError, match="key_type"):
        Table(key_type="BOOL")


@pytest.mark.parametrize("params, message", [
    ({"Key": {"id": {"S": ""}}}, "The AttributeValue for a key attribute cannot contain an empty string value. Key: id"),
    ({"Key": {"id": {"N": "1"}}}, "The provided key element does not match the schema"),
    ({"Key": {"id": {"S": "a"}, "x": {"S": "b"}}}, "The provided key element does not match the schema"),
    ({"Key": {"pk": {"S": "a"}}}, "The provided key element does not match the schema"),
    ({"Item": {"n": N1}}, "Missing the key id in the item"),
    ({"Item": {"id": N1}}, "Type mismatch for key id expected: S actual: N"),
    ({"Key": {"id": {"S": "x" * 2049}}}, "Size of hashkey has exceeded the maximum size limit of2048 bytes"),
])
def test_key_errors(params, message):
    with pytest.raises(DynamoDbError) as caught:
        key_of(params)
    assert caught.value.code == "ValidationException"
    assert message in caught.value.message
    action = "putItem" if "Item" in params else "updateItem"
    assert message in error_of(action, params).message


# --- validation ---------------------------------------------------------------------------------------------------

C, U = "ConditionExpression", "UpdateExpression"


@pytest.mark.parametrize("action, params, message", [
    # syntax
    ("deleteItem", {C: "n = "}, 'Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "= "'),
    ("deleteItem", {C: "n == :v", "ExpressionAttributeValues": {":v": N1}}, 'Syntax error; token: "="'),
    ("deleteItem", {C: "n = 5"}, 'Syntax error; token: "5"'),  # no literals: values are placeholders
    ("deleteItem", {C: "n = :v AND"}, 'Syntax error; token: "<EOF>"'),
    ("deleteItem", {C: "NOT NOT n = :v", "ExpressionAttributeValues": {":v": N1}}, 'Syntax error; token: "NOT"'),
    ("deleteItem", {C: "n = :v $", "ExpressionAttributeValues": {":v": N1}}, 'Syntax error; token: "$"'),
    ("deleteItem", {C: "(n = :v", "ExpressionAttributeValues": {":v": N1}}, 'Syntax error; token: "<EOF>"'),
    ("deleteItem", {C: "   "}, "Invalid ConditionExpression: The expression can not be empty;"),
    ("updateItem", {U: "SET"}, 'Invalid UpdateExpression: Syntax error; token: "<EOF>", near: "SET"'),
    ("updateItem", {U: "PUT a = :v", "ExpressionAttributeValues": {":v": N1}}, 'Syntax error; token: "PUT"'),
    ("updateItem", {U: "ADD n n"}, 'Syntax error; token: "n"'),  # ADD takes a value
    ("updateItem", {U: ""}, "Invalid UpdateExpression: The expression can not be empty;"),
    # names, values, reserved words
    ("deleteItem", {C: "token = :v", "ExpressionAttributeValues": {":v": N1}},
     "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: token"),
    ("updateItem", {U: "SET a = Size"}, "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved "
                                        "keyword: Size"),
    ("deleteItem", {C: "#x = :v", "ExpressionAttributeValues": {":v": N1}},
     "An expression attribute name used in the document path is not defined; attribute name: #x"),
    ("deleteItem", {C: "n = :w", "ExpressionAttributeValues": {":v": N1}},
     "An expression attribute value used in expression is not defined; attribute value: :w"),
    ("deleteItem", {C: "n = :v", "ExpressionAttributeValues": {":v": N1, ":w": N1}},
     "Value provided in ExpressionAttributeValues unused in expressions: keys: {:w}"),
    ("updateItem", {U: "SET n = :v", "ExpressionAttributeValues": {":v": N1}, "ExpressionAttributeNames": {"#a": "a"}},
     "Value provided in ExpressionAttributeNames unused in expressions: keys: {#a}"),
    ("deleteItem", {"ExpressionAttributeNames": {"#a": "a"}},
     "ExpressionAttributeNames can only be specified when using expressions"),
    ("updateItem", {"ExpressionAttributeValues": {":v": N1}},
     "ExpressionAttributeValues can only be specified when using expressions: UpdateExpression and "
     "ConditionExpression are null"),
    ("deleteItem", {C: "n = :v", "ExpressionAttributeValues": {}}, "ExpressionAttributeValues must not be empty"),
    ("deleteItem", {C: "#a = :v", "ExpressionAttributeNames": {"a": "a"}, "ExpressionAttributeValues": {":v": N1}},
     'ExpressionAttributeNames contains invalid key: Syntax error; key: "a"'),
    ("deleteItem", {C: "n = :v", "ExpressionAttributeValues": {":v": {"SS": []}}},
     "ExpressionAttributeValues contains invalid value: One or more parameter values were invalid: An string set  "
     "may not be empty for key :v"),
    # parentheses and functions
    ("deleteItem", {C: "((n = :v))", "ExpressionAttributeValues": {":v": N1}},
     "Invalid ConditionExpression: The expression has redundant parentheses;"),
    ("deleteItem", {C: "attribute_exists(n) = :v", "ExpressionAttributeValues": {":v": N1}},
     "The function is not allowed to be used this way in an expression; function: attribute_exists"),
    ("deleteItem", {C: "size(n)"}, "The function is not allowed to be used this way in an expression; function: size"),
    ("deleteItem", {C: "exists(n)"}, "Invalid ConditionExpression: Invalid function name; function: exists"),
    ("deleteItem", {C: "ATTRIBUTE_EXISTS(n)"}, "Invalid function name; function: ATTRIBUTE_EXISTS"),
    ("deleteItem", {C: "if_not_exists(n, :v)", "ExpressionAttributeValues": {":v": N1}},
     "The function is not allowed in a condition expression; function: if_not_exists"),
    ("updateItem", {U: "SET a = size(s)"}, "The function is not allowed in an update expression; function: size"),
    ("deleteItem", {C: "begins_with(s)"}, "Incorrect number of operands for operator or function; operator or "
                                          "function: begins_with, number of operands: 1"),
    ("deleteItem", {C: "attribute_exists(:v)", "ExpressionAttributeValues": {":v": N1}},
     "Operator or function requires a document path; operator or function: attribute_exists"),
    ("updateItem", {U: "SET a = if_not_exists(:v, :v)", "ExpressionAttributeValues": {":v": N1}},
     "Operator or function requires a document path; operator or function: if_not_exists"),
    ("deleteItem", {C: "n = n"}, "The first operand must be distinct from the remaining operands for this operator "
                                 "or function; operator: =, first operand: [n]"),
    ("deleteItem", {C: "#a <> n", "ExpressionAttributeNames": {"#a": "n"}}, "operator: <>, first operand: [n]"),
    # operand types known from the values
    ("deleteItem", {C: "n < :v", "ExpressionAttributeValues": {":v": {"BOOL": True}}},
     "Incorrect operand type for operator or function; operator or function: <, operand type: BOOL"),
    ("deleteItem", {C: "begins_with(s, :v)", "ExpressionAttributeValues": {":v": N1}},
     "operator or function: begins_with, operand type: N"),
    ("deleteItem", {C: "attribute_type(s, :v)", "ExpressionAttributeValues": {":v": {"S": "STRING"}}},
     "Invalid attribute type name found; type: STRING, valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}"),
    ("deleteItem", {C: "n BETWEEN :a AND :b", "ExpressionAttributeValues": {":a": N10, ":b": N1}},
     "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: "
     "AttributeValue: {N:10}, upper bound operand: AttributeValue: {N:1}"),
    ("deleteItem", {C: "n BETWEEN :a AND :b", "ExpressionAttributeValues": {":a": N1, ":b": S_A}},
     "The BETWEEN operator requires same data type for lower and upper bounds"),
    ("deleteItem", {C: "n IN (" + ", ".join([":v"] * 101) + ")", "ExpressionAttributeValues": {":v": N1}},
     "The IN operator is provided with too many operands; number of operands: 101"),
    ("updateItem", {U: "ADD n :v", "ExpressionAttributeValues": {":v": S_A}},
     "Incorrect operand type for operator or function; operator: ADD, operand type: STRING"),
    ("updateItem", {U: "DELETE ss :v", "ExpressionAttributeValues": {":v": N1}}, "operator: DELETE, operand type: "
                                                                                 "NUMBER"),
    ("updateItem", {U: "SET n = n + :v", "ExpressionAttributeValues": {":v": S_A}},
     "operator or function: +, operand type: S"),
    ("updateItem", {U: "SET l = list_append(l, :v)", "ExpressionAttributeValues": {":v": S_A}},
     "operator or function: list_append, operand type: S"),
    # paths an update writes
    ("updateItem", {U: "SET a = :v, a = :v", "ExpressionAttributeValues": {":v": N1}},
     "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these "
     "paths; path one: [a], path two: [a]"),
    ("updateItem", {U: "SET m.a = :v REMOVE #m", "ExpressionAttributeValues": {":v": N1},
                    "ExpressionAttributeNames": {"#m": "m"}}, "paths overlap with each other; must remove or rewrite "
                                                              "one of these paths; path one: [m, a], path two: [m]"),
    ("updateItem", {U: "SET l[0] = :v REMOVE l", "ExpressionAttributeValues": {":v": N1}}, "paths overlap"),
    ("updateItem", {U: "SET m.a = :v REMOVE m[0]", "ExpressionAttributeValues": {":v": N1}},
     "Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [m, a], "
     "path two: [m, [0]]"),
    ("updateItem", {U: "SET a = :v SET b = :v", "ExpressionAttributeValues": {":v": N1}},
     'Invalid UpdateExpression: The "SET" section can only be used once in an update expression;'),
    ("updateItem", {U: "SET id = :v", "ExpressionAttributeValues": {":v": S_A}},
     "One or more parameter values were invalid: Cannot update attribute id. This attribute is part of the key"),
    ("updateItem", {U: "REMOVE #k", "ExpressionAttributeNames": {"#k": "id"}}, "Cannot update attribute id"),
    # attribute values
    ("putItem", {"Item": {**KEY, "ss": {"SS": ["a", "a"]}}},
     "One or more parameter values were invalid: Input collection [a, a] contains duplicates."),
    ("putItem", {"Item": {**KEY, "ns": {"NS": ["1", "1.0"]}}}, "Input collection contains duplicates"),
    ("putItem", {"Item": {**KEY, "n": {"N": "abc"}}}, "The parameter cannot be converted to a numeric value: abc"),
    ("putItem", {"Item": {**KEY, "n": {"N": "1" * 39}}}, "Attempting to store more than 38 significant digits"),
    ("putItem", {"Item": {**KEY, "n": {"N": "1E126"}}}, "Number overflow"),
    ("putItem", {"Item": {**KEY, "n": {"N": "1E-131"}}}, "Number underflow"),
    ("putItem", {"Item": {**KEY, "z": {"NULL": False}}}, "Null attribute value types must have the value of true"),
    ("putItem", {"Item": {**KEY, "z": {"S": "a", "N": "1"}}}, "Supplied AttributeValue has more than one datatypes"),
    ("putItem", {"Item": {**KEY, "z": {}}}, "Supplied AttributeValue is empty"),
    # ReturnValues
    ("putItem", {"Item": KEY, "ReturnValues": "ALL_NEW"}, "Return values set to invalid value"),
    ("updateItem", {"ReturnValues": "ALL"}, "Value 'ALL' at 'returnValues' failed to satisfy constraint"),
])
def test_validation_error(action, params, message):
    if action != "putItem":
        params = {"Key": KEY, **params}
    error = error_of(action, params)
    assert error.code == "ValidationException"
    assert message in error.message, error.message


def test_validation_comes_before_the_condition():
    """A call AWS refuses fails the same way whatever the item: its condition is never evaluated."""
    params = {"Key": KEY, C: "attribute_exists(gone)", U: "SET a = :v", "ExpressionAttributeValues": {":v": N1,
                                                                                                         ":w": N1}}
    assert error_of("updateItem", params).code == "ValidationException"
    assert error_of("updateItem", params, item=None).code == "ValidationException"


@pytest.mark.parametrize("action, params, message", [
    ("getItem", {"Key": KEY, "ExpressionAttributeValues": {":v": N1}}, 'Unknown parameter in input: '
                                                                       '"ExpressionAttributeValues"'),
    ("putItem", {"ReturnValues": "NONE"}, 'Missing required parameter in input: "Item"'),
    ("updateItem", {"Key": KEY, C: 5}, "Invalid type for parameter ConditionExpression"),
    ("putItem", {"Item": {**KEY, "n": {"N": 5}}}, "Invalid type for parameter Item.n.N"),
    ("getItem", {"Key": KEY, "ConsistentRead": "yes"}, "Invalid type for parameter ConsistentRead"),
])
def test_parameters_the_sdk_refuses(action, params, message):
    error = error_of(action, params)
    assert error.code == "ParamValidationError"
    assert message in error.message


def test_what_the_model_does_not_cover_says_so():
    with pytest.raises(NotImplementedError, match="Expected"):
        call("putItem", {"TableName": TABLE, "Item": KEY, "Expected": {}}, None)
    with pytest.raises(ValueError, match="query"):
        call("query", {"TableName": TABLE}, None)
