"""DynamoDB's single-item API as Step Functions' AWS SDK integration calls it, as pure functions: the model the
protocol checker (issue 22) runs the shipped definitions against.

`call(action, params, item)` takes a Task's `Arguments` for `aws-sdk:dynamodb:putItem|updateItem|deleteItem|getItem`
(PascalCase, DynamoDB JSON) and the item stored under the call's key before it (`None`: no item), and returns the
item after it (`None`: absent) with the response the integration hands to the state (`Attributes` per
`ReturnValues`, `Item` for getItem, else `{}`). Where AWS fails the call it raises `DynamoDbError(code, message)`
with AWS's error code (the state sees `DynamoDb.<code>`) and a message close to AWS's. `key_of(params)` names the
item a call reads or writes. Nothing handed in is mutated; what comes back shares the unchanged parts of what went in,
so treat items and responses as immutable.

What it models, as the DynamoDB Developer Guide and API reference describe it (moto's and dynalite's checks against
AWS where the guide is silent; tests/protocol/test_dynamodb.py compares it with moto and lists where they differ):
- ConditionExpression: `= <> < <= > >=`, `BETWEEN`, `IN`, `NOT`/`AND`/`OR` (that precedence), parentheses, the
  functions attribute_exists, attribute_not_exists, attribute_type, begins_with, contains, size; document paths with
  `#name` placeholders, `a.b` and `a[0]`. A comparison with a missing attribute is false, except `<>`, which is
  true; values of different types are never equal nor ordered; numbers compare as decimals.
- UpdateExpression: SET (`+`, `-`, if_not_exists, list_append), REMOVE, ADD (numbers, sets), DELETE (sets); every
  value is computed on the item as it was before the call. An update creates the item when there is none.
- The checks AWS makes before it touches the item, in AWS's order: syntax; reserved words used bare; unknown or
  misplaced functions; a `#name` or `:value` used but not defined, or defined but not used; two actions on
  overlapping paths; a section given twice; operand types known from the values; an empty, mistyped or missing key;
  an update of the key attribute; attribute values (empty sets, duplicates, numbers beyond 38 digits or the range).
  Then the condition (ConditionalCheckFailedException), then the update's own errors (a missing operand, a wrong
  type, an invalid document path).
- Numbers are stored as DynamoDB returns them: no exponent, no leading or trailing zeros ("1.50" reads "1.5").

Out of scope (each raises `NotImplementedError` naming the parameter, so nothing passes silently): tables with a
sort key or secondary indexes, the legacy parameters (Expected, AttributeUpdates, AttributesToGet,
ConditionalOperator), ReturnConsumedCapacity, ReturnItemCollectionMetrics, ReturnValuesOnConditionCheckFailure.
Not modelled at all: the 400 KB item size limit; throttling and service errors (the checker injects those itself);
eventual consistency (a read returns the item it is given: a checker models a stale read by handing an older item);
TTL (an expired item is an item until the caller removes it). `size()` of a string counts its UTF-8 bytes (the
guide: "a number representing an attribute's size in bytes"); the tests use ASCII, where bytes and characters agree.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from decimal import Context, Decimal
from functools import lru_cache

from .dynamodb_reserved_words import RESERVED_WORDS

ACTIONS = ("putItem", "updateItem", "deleteItem", "getItem")
RETURN_VALUES = ("ALL_NEW", "UPDATED_OLD", "ALL_OLD", "NONE", "UPDATED_NEW")
#: Parameters each action takes (the SDK refuses others before sending), and those this model does not cover.
_PARAMETERS = {
    "putItem": {"TableName", "Item", "ConditionExpression", "ExpressionAttributeNames", "ExpressionAttributeValues",
                "ReturnValues"},
    "updateItem": {"TableName", "Key", "UpdateExpression", "ConditionExpression", "ExpressionAttributeNames",
                   "ExpressionAttributeValues", "ReturnValues"},
    "deleteItem": {"TableName", "Key", "ConditionExpression", "ExpressionAttributeNames",
                   "ExpressionAttributeValues", "ReturnValues"},
    "getItem": {"TableName", "Key", "ConsistentRead", "ProjectionExpression", "ExpressionAttributeNames"},
}
_UNSUPPORTED = {"Expected", "AttributeUpdates", "AttributesToGet", "ConditionalOperator", "ReturnConsumedCapacity",
                "ReturnItemCollectionMetrics", "ReturnValuesOnConditionCheckFailure"}
_REQUIRED = {"putItem": ("TableName", "Item"), "updateItem": ("TableName", "Key"),
             "deleteItem": ("TableName", "Key"), "getItem": ("TableName", "Key")}
#: Which expression parameters each action has, as AWS names them in "can only be specified" messages.
_EXPRESSIONS = {"putItem": ("ConditionExpression",), "deleteItem": ("ConditionExpression",),
                "updateItem": ("UpdateExpression", "ConditionExpression"), "getItem": ("ProjectionExpression",)}


class DynamoDbError(Exception):
    """A call that AWS fails: `code` is AWS's error code (`ValidationException`, `ConditionalCheckFailedException`;
    `ParamValidationError` when the SDK itself refuses the parameters before sending them)."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def _invalid(message: str) -> DynamoDbError:
    return DynamoDbError("ValidationException", message)


def _bad_parameter(message: str) -> DynamoDbError:
    return DynamoDbError("ParamValidationError", f"Parameter validation failed: {message}")


# --- numbers ------------------------------------------------------------------------------------------------------

_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")
#: Wide enough that adding or subtracting any two numbers DynamoDB stores is exact.
_EXACT = Context(prec=300)


def _checked(number: Decimal) -> Decimal:
    """`number` reduced (no trailing zeros), or the error AWS gives for storing it."""
    if not number:
        return Decimal(0)
    number = number.normalize(_EXACT)
    if number.adjusted() > 125:
        raise _invalid("Number overflow. Attempting to store a number with magnitude larger than supported range")
    if number.adjusted() < -130:
        raise _invalid("Number underflow. Attempting to store a number with magnitude smaller than supported range")
    if len(number.as_tuple().digits) > 38:
        raise _invalid("Attempting to store more than 38 significant digits in a Number")
    return number


def _number_text(number: Decimal) -> str:
    return format(_checked(number), "f")


@lru_cache(maxsize=65536)
def _canonical_number(text: str) -> str:
    """The text DynamoDB stores and returns for the number `text`, or AWS's error for it."""
    if not _NUMBER.match(text):
        raise _invalid(f"The parameter cannot be converted to a numeric value: {text}")
    return _number_text(Decimal(text))


# --- attribute values ---------------------------------------------------------------------------------------------

_TYPES = ("S", "N", "B", "BOOL", "NULL", "SS", "NS", "BS", "L", "M")
_SET_TYPES = ("SS", "NS", "BS")
#: How AWS names a type in ADD/DELETE operand errors.
_TYPE_WORDS = {"S": "STRING", "N": "NUMBER", "B": "BINARY", "NULL": "NULL", "BOOL": "BOOLEAN", "L": "LIST", "M": "MAP"}


def _type_of(value: dict) -> str:
    for tag in value:
        return tag
    raise AssertionError("an attribute value checked by _attribute_value has one type")


def _show(values: list) -> str:
    return "[" + ", ".join(str(value) for value in values) + "]"


def _bytes(text: str) -> bytes:
    return base64.b64decode(text)


def _attribute_value(value: object, where: str) -> dict:
    """`value` checked as DynamoDB checks an AttributeValue, with its numbers in DynamoDB's form; the same object when
    nothing needed rewriting."""
    if type(value) is not dict:
        raise _bad_parameter(f"Invalid type for parameter {where}, value: {value!r}, type: {type(value)}, "
                             "valid types: <class 'dict'>")
    if len(value) != 1:
        if not value:
            raise _invalid("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")
        raise _invalid("Supplied AttributeValue has more than one datatypes set, must contain exactly one of the "
                       "supported datatypes")
    ((tag, inner),) = value.items()
    if tag == "S":
        if type(inner) is not str:
            raise _bad_parameter(f"Invalid type for parameter {where}.S, value: {inner!r}, type: {type(inner)}, "
                                 "valid types: <class 'str'>")
        return value
    if tag == "N":
        if type(inner) is not str:
            raise _bad_parameter(f"Invalid type for parameter {where}.N, value: {inner!r}, type: {type(inner)}, "
                                 "valid types: <class 'str'>")
        canonical = _canonical_number(inner)
        return value if canonical == inner else {"N": canonical}
    if tag == "B":
        _binary(inner, f"{where}.B")
        return value
    if tag == "BOOL":
        if type(inner) is not bool:
            raise _bad_parameter(f"Invalid type for parameter {where}.BOOL, value: {inner!r}, type: {type(inner)}, "
                                 "valid types: <class 'bool'>")
        return value
    if tag == "NULL":
        if inner is not True:
            raise _invalid("One or more parameter values were invalid: Null attribute value types must have the "
                           "value of true")
        return value
    if tag in _SET_TYPES:
        return _set_value(tag, inner, where)
    if tag == "L":
        if type(inner) is not list:
            raise _bad_parameter(f"Invalid type for parameter {where}.L, value: {inner!r}, type: {type(inner)}, "
                                 "valid types: <class 'list'>")
        checked = [_attribute_value(element, f"{where}.L[{index}]") for index, element in enumerate(inner)]
        return value if all(new is old for new, old in zip(checked, inner, strict=True)) else {"L": checked}
    if tag == "M":
        if type(inner) is not dict:
            raise _bad_parameter(f"Invalid type for parameter {where}.M, value: {inner!r}, type: {type(inner)}, "
                                 "valid types: <class 'dict'>")
        checked_map = {name: _attribute_value(element, f"{where}.M.{name}") for name, element in inner.items()}
        return value if all(checked_map[name] is inner[name] for name in inner) else {"M": checked_map}
    raise _bad_parameter(f'Unknown parameter in {where}: "{tag}", must be one of: {", ".join(_TYPES)}')


def _binary(inner: object, where: str) -> None:
    if type(inner) is not str:
        raise _bad_parameter(f"Invalid type for parameter {where}, value: {inner!r}, type: {type(inner)}, "
                             "valid types: <class 'str'> (base64, as in Step Functions' JSON)")
    try:
        base64.b64decode(inner, validate=True)
    except binascii.Error:
        raise _bad_parameter(f"Invalid base64 for parameter {where}: {inner!r}") from None


def _set_value(tag: str, inner: object, where: str) -> dict:
    if type(inner) is not list:
        raise _bad_parameter(f"Invalid type for parameter {where}.{tag}, value: {inner!r}, type: {type(inner)}, "
                             "valid types: <class 'list'>")
    if not inner:
        raise _invalid({"SS": "One or more parameter values were invalid: An string set  may not be empty",
                        "NS": "One or more parameter values were invalid: An number set  may not be empty",
                        "BS": "One or more parameter values were invalid: Binary sets should not be empty"}[tag])
    for element in inner:
        if tag == "BS":
            _binary(element, f"{where}.BS")
        elif type(element) is not str:
            raise _bad_parameter(f"Invalid type for parameter {where}.{tag}, value: {element!r}, "
                                 f"type: {type(element)}, valid types: <class 'str'>")
    if tag == "NS":
        canonical = [_canonical_number(element) for element in inner]
        if len(set(canonical)) != len(canonical):
            raise _invalid("Input collection contains duplicates")
        return {"NS": inner} if canonical == inner else {"NS": canonical}
    if len(set(inner)) != len(inner):
        suffix = "of type BS contains duplicates." if tag == "BS" else " contains duplicates."
        raise _invalid(f"One or more parameter values were invalid: Input collection {_show(inner)}{suffix}")
    return {tag: inner}


# --- comparing values ---------------------------------------------------------------------------------------------

def _equal(left: dict | None, right: dict | None) -> bool:
    """DynamoDB's `=`: the same type and value (sets unordered, numbers as decimals); two missing values are equal."""
    if left is None or right is None:
        return left is right
    tag = _type_of(left)
    if tag not in right:
        return False
    a, b = left[tag], right[tag]
    if tag == "N":
        return a == b or Decimal(a) == Decimal(b)
    if tag in ("S", "BOOL", "NULL"):
        return a == b
    if tag == "B":
        return _bytes(a) == _bytes(b)
    if tag == "SS":
        return set(a) == set(b)
    if tag == "NS":
        return {Decimal(x) for x in a} == {Decimal(x) for x in b}
    if tag == "BS":
        return {_bytes(x) for x in a} == {_bytes(x) for x in b}
    if tag == "L":
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    return a.keys() == b.keys() and all(_equal(a[name], b[name]) for name in a)


def _order(left: dict | None, right: dict | None) -> int | None:
    """-1, 0 or 1 when DynamoDB can order the two values (both present, the same type, N, S or B), else None."""
    if left is None or right is None:
        return None
    tag = _type_of(left)
    if tag not in right:
        return None
    if tag == "N":
        a, b = Decimal(left["N"]), Decimal(right["N"])
    elif tag == "S":
        # Python orders str by code point, which is the order of their UTF-8 bytes, DynamoDB's order.
        a, b = left["S"], right["S"]
    elif tag == "B":
        a, b = _bytes(left["B"]), _bytes(right["B"])
    else:
        return None
    return (a > b) - (a < b)


def _contains(container: dict | None, operand: dict | None) -> bool:
    if container is None or operand is None:
        return False
    tag = _type_of(container)
    inner = container[tag]
    if tag == "S":
        return "S" in operand and operand["S"] in inner
    if tag == "B":
        return "B" in operand and _bytes(operand["B"]) in _bytes(inner)
    if tag == "SS":
        return "S" in operand and operand["S"] in inner
    if tag == "NS":
        return "N" in operand and Decimal(operand["N"]) in {Decimal(x) for x in inner}
    if tag == "BS":
        return "B" in operand and _bytes(operand["B"]) in {_bytes(x) for x in inner}
    if tag == "L":
        return any(_equal(element, operand) for element in inner)
    return False


def _begins_with(value: dict | None, prefix: dict | None) -> bool:
    if value is None or prefix is None:
        return False
    if "S" in value:
        return "S" in prefix and value["S"].startswith(prefix["S"])
    if "B" in value:
        return "B" in prefix and _bytes(value["B"]).startswith(_bytes(prefix["B"]))
    return False


def _size(value: dict | None) -> dict | None:
    if value is None:
        return None
    tag = _type_of(value)
    inner = value[tag]
    if tag == "S":
        return {"N": str(len(inner.encode()))}
    if tag == "B":
        return {"N": str(len(_bytes(inner)))}
    if tag in ("SS", "NS", "BS", "L", "M"):
        return {"N": str(len(inner))}
    return None


# --- document paths -----------------------------------------------------------------------------------------------

def _get(item: dict, path: tuple) -> dict | None:
    value = item.get(path[0])
    for step in path[1:]:
        if value is None:
            return None
        if type(step) is int:
            elements = value.get("L")
            value = elements[step] if elements is not None and step < len(elements) else None
        else:
            members = value.get("M")
            value = members.get(step) if members is not None else None
    return value


def _path_text(path: tuple) -> str:
    return "[" + ", ".join(f"[{step}]" if type(step) is int else step for step in path) + "]"


def _overlap_error(paths: tuple, label: str) -> str | None:
    """AWS's check that no two paths of one expression touch the same document part: its error, if any."""
    conflict = None
    for index, second in enumerate(paths):
        for first in paths[:index]:
            for a, b in zip(first, second, strict=False):  # a prefix is an overlap
                if type(a) is not type(b):
                    conflict = conflict or (first, second)
                    break
                if a != b:
                    break
            else:
                return (f"Invalid {label}: Two document paths overlap with each other; must remove or rewrite one of "
                        f"these paths; path one: {_path_text(first)}, path two: {_path_text(second)}")
    if conflict:
        return (f"Invalid {label}: Two document paths conflict with each other; must remove or rewrite one of these "
                f"paths; path one: {_path_text(conflict[0])}, path two: {_path_text(conflict[1])}")
    return None


# --- parsing ------------------------------------------------------------------------------------------------------

_TOKEN = re.compile(r"(#[A-Za-z0-9_]*)|(:[A-Za-z0-9_]*)|([A-Za-z_][A-Za-z0-9_]*)|([0-9]+)|(<>|<=|>=|[=<>+\-(),.\[\]])")
_TOKEN_KINDS = ("#", ":", "word", "index", "op")
_SPACE = " \t\r\n"
_COMPARATORS = ("=", "<>", "<", "<=", ">", ">=")
_CONDITION_FUNCTIONS = {"attribute_exists": 1, "attribute_not_exists": 1, "attribute_type": 2, "begins_with": 2,
                        "contains": 2, "size": 1}
_UPDATE_FUNCTIONS = {"if_not_exists": 2, "list_append": 2}
_MAX_IN_OPERANDS = 100


class _SyntaxError(Exception):
    pass


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class _Parsed:
    """An expression parsed once per text: its tree, the placeholders it uses (in order), and the errors found that
    no call's names or values can change, `early` (reported before undefined placeholders) and `late` (after)."""
    tree: object
    names: tuple
    values: tuple
    early: str | None
    late: str | None


class _Parser:
    """Recursive descent over DynamoDB's expression grammars; dynalite's grammar (checked against AWS) decides the
    corners the Developer Guide leaves open."""

    #: Whether a path's names may start with "_" (dynalite: in update expressions only).
    LEADING_UNDERSCORE = False
    # Error categories in the order AWS reports them, if several are present.
    EARLY = ("parens", "function_name", "misused", "reserved", "section")
    LATE = ("operands", "function")

    def __init__(self, text: str, keywords: tuple):
        self.text = text
        self.keywords = keywords
        self.tokens = self._tokenize(text)
        self.position = 0
        self.names: list[str] = []
        self.values: list[str] = []
        self.errors: dict[str, str] = {}

    def _tokenize(self, text: str) -> list[_Token]:
        tokens = []
        position = 0
        while True:
            while position < len(text) and text[position] in _SPACE:
                position += 1
            if position == len(text):
                break
            match = _TOKEN.match(text, position)
            if not match:
                tokens.append(_Token("bad", text[position], position, position + 1))
                self.tokens = tokens
                self.position = len(tokens) - 1
                self._fail()
            tokens.append(_Token(_TOKEN_KINDS[match.lastindex - 1], match.group(), position, match.end()))
            position = match.end()
        tokens.append(_Token("eof", "<EOF>", len(text), len(text)))
        return tokens

    def parsed(self, tree: object) -> _Parsed:
        early = next((self.errors[kind] for kind in self.EARLY if kind in self.errors), None)
        late = next((self.errors[kind] for kind in self.LATE if kind in self.errors), None)
        return _Parsed(tree, tuple(dict.fromkeys(self.names)), tuple(dict.fromkeys(self.values)), early, late)

    # tokens

    def peek(self, ahead: int = 0) -> _Token:
        return self.tokens[min(self.position + ahead, len(self.tokens) - 1)]

    def take(self) -> _Token:
        token = self.tokens[self.position]
        self.position = min(self.position + 1, len(self.tokens) - 1)
        return token

    def is_op(self, text: str, ahead: int = 0) -> bool:
        token = self.peek(ahead)
        return token.kind == "op" and token.text == text

    def is_keyword(self, word: str) -> bool:
        token = self.peek()
        return token.kind == "word" and token.text.upper() == word

    def expect_op(self, text: str) -> None:
        if not self.is_op(text):
            self._fail()
        self.take()

    def _fail(self):
        token = self.tokens[self.position]
        before = self.tokens[self.position - 1].start if self.position > 0 else token.start
        after = self.tokens[self.position + 1].end if self.position + 1 < len(self.tokens) else token.end
        raise _SyntaxError(f'Syntax error; token: "{token.text}", near: "{self.text[before:after]}"')

    def flag(self, kind: str, message: str) -> None:
        self.errors.setdefault(kind, message)

    def snapshot(self) -> tuple:
        return self.position, len(self.names), len(self.values), dict(self.errors)

    def restore(self, state: tuple) -> None:
        self.position, names, values, errors = state
        del self.names[names:], self.values[values:]
        self.errors = errors

    # paths and operands, shared by both grammars

    def path(self, leading_underscore: bool) -> tuple:
        steps = [self.path_name(leading_underscore)]
        while True:
            if self.is_op("."):
                self.take()
                steps.append(self.path_name(leading_underscore))
            elif self.is_op("["):
                self.take()
                if self.peek().kind != "index":
                    self._fail()
                steps.append(int(self.take().text))
                self.expect_op("]")
            else:
                return ("path", tuple(steps))

    def path_name(self, leading_underscore: bool):
        token = self.peek()
        if token.kind == "#":
            self.take()
            self.names.append(token.text)
            return ("#", token.text)
        if (token.kind == "word" and token.text.upper() not in self.keywords
                and (leading_underscore or token.text[0] != "_")):
            self.take()
            if token.text.upper() in RESERVED_WORDS:
                self.flag("reserved", f"Attribute name is a reserved keyword; reserved keyword: {token.text}")
            return token.text
        self._fail()

    def value(self) -> tuple:
        token = self.take()
        self.values.append(token.text)
        return ("value", token.text)

    def arguments(self, operand) -> list:
        self.expect_op("(")
        arguments = [operand()]
        while self.is_op(","):
            self.take()
            arguments.append(operand())
        self.expect_op(")")
        return arguments

    def is_call(self) -> bool:
        token = self.peek()
        return token.kind == "word" and token.text.upper() not in self.keywords and self.is_op("(", 1)

    def operand(self):
        """A value, a function call, or a document path."""
        token = self.peek()
        if token.kind == ":":
            return self.value()
        if self.is_call():
            return self.call()
        return self.path(self.LEADING_UNDERSCORE)

    def check_arity(self, name: str, arguments: list, wanted: int) -> None:
        if len(arguments) != wanted:
            self.flag("operands", "Incorrect number of operands for operator or function; operator or function: "
                                  f"{name}, number of operands: {len(arguments)}")

    def require_path(self, name: str, argument: tuple) -> None:
        if argument[0] != "path":
            self.flag("function", f"Operator or function requires a document path; operator or function: {name}")


class _ConditionParser(_Parser):
    KEYWORDS = ("AND", "OR", "NOT", "BETWEEN", "IN")

    def __init__(self, text: str):
        super().__init__(text, self.KEYWORDS)

    def parse(self) -> _Parsed:
        tree = self.disjunction()
        if self.peek().kind != "eof":
            self._fail()
        self.check_not_size(tree)
        return self.parsed(tree)

    def disjunction(self):
        tree = self.conjunction()
        while self.is_keyword("OR"):
            self.take()
            tree = ("or", tree, self.conjunction())
        return tree

    def conjunction(self):
        tree = self.negation()
        while self.is_keyword("AND"):
            self.take()
            tree = ("and", tree, self.negation())
        return tree

    def negation(self):
        # dynalite and moto agree with AWS that NOT takes no second NOT ("NOT (NOT a)" does).
        if self.is_keyword("NOT"):
            self.take()
            return ("not", self.parenthesized())
        return self.parenthesized()

    def parenthesized(self):
        if not self.is_op("("):
            return self.comparison()
        # "(" opens a condition, or an operand as in "(a) = :v": try the condition first.
        state = self.snapshot()
        first_error = None
        try:
            self.take()
            inner = self.disjunction()
            self.expect_op(")")
            if not self.starts_comparison():
                self.check_not_size(inner)
                if inner[0] == "group":
                    self.flag("parens", "The expression has redundant parentheses;")
                return ("group", inner)
        except _SyntaxError as error:
            first_error = error
        self.restore(state)
        try:
            return self.comparison()
        except _SyntaxError:
            if first_error:
                raise first_error from None
            raise

    def starts_comparison(self) -> bool:
        token = self.peek()
        return (token.kind == "op" and token.text in _COMPARATORS) or self.is_keyword("BETWEEN") or self.is_keyword("IN")

    def comparison(self):
        left = self.operand_in_parentheses()
        token = self.peek()
        if token.kind == "op" and token.text in _COMPARATORS:
            self.take()
            right = self.operand_in_parentheses()
            self.check_misused(left, right)
            return ("compare", token.text, left, right)
        if self.is_keyword("BETWEEN"):
            self.take()
            low = self.operand_in_parentheses()
            if not self.is_keyword("AND"):
                self._fail()
            self.take()
            high = self.operand_in_parentheses()
            self.check_misused(left, low, high)
            return ("between", left, low, high)
        if self.is_keyword("IN"):
            self.take()
            candidates = self.arguments(self.operand_in_parentheses)
            self.check_misused(left, *candidates)
            if len(candidates) > _MAX_IN_OPERANDS:
                self.flag("operands", "The IN operator is provided with too many operands; number of operands: "
                                      f"{len(candidates)}")
            return ("in", left, tuple(candidates))
        if left[0] == "call":
            return left
        self._fail()

    def operand_in_parentheses(self):
        if self.is_op("("):
            self.take()
            doubled = self.is_op("(")
            operand = self.operand_in_parentheses()
            self.expect_op(")")
            if doubled:
                self.flag("parens", "The expression has redundant parentheses;")
            return operand
        return self.operand()

    def call(self):
        name = self.take().text
        arguments = self.arguments(self.operand_in_parentheses)
        if name in _UPDATE_FUNCTIONS:
            self.flag("function_name", f"The function is not allowed in a condition expression; function: {name}")
        elif name not in _CONDITION_FUNCTIONS:
            self.flag("function_name", f"Invalid function name; function: {name}")
        else:
            self.check_misused(*arguments)
            self.check_arity(name, arguments, _CONDITION_FUNCTIONS[name])
            if name in ("attribute_exists", "attribute_not_exists") and arguments:
                self.require_path(name, arguments[0])
        return ("call", name, tuple(arguments))

    def check_misused(self, *operands) -> None:
        """Only size() is an operand; the other functions are conditions."""
        for operand in operands:
            if operand[0] == "call" and operand[1] != "size":
                self.flag("misused", "The function is not allowed to be used this way in an expression; function: "
                                     f"{operand[1]}")

    def check_not_size(self, tree) -> None:
        """size() is an operand, not a condition."""
        if tree[0] == "call" and tree[1] == "size":
            self.flag("misused", "The function is not allowed to be used this way in an expression; function: size")


class _UpdateParser(_Parser):
    KEYWORDS = ("SET", "REMOVE", "ADD", "DELETE")
    LEADING_UNDERSCORE = True

    def __init__(self, text: str):
        super().__init__(text, self.KEYWORDS)

    def parse(self) -> _Parsed:
        actions = []
        sections = set()
        while True:
            token = self.peek()
            section = token.text.upper() if token.kind == "word" else None
            if section not in self.KEYWORDS:
                self._fail()
            self.take()
            if section in sections:
                self.flag("section", f'The "{section}" section can only be used once in an update expression;')
            sections.add(section)
            actions.append(self.action(section))
            while self.is_op(","):
                self.take()
                actions.append(self.action(section))
            if self.peek().kind == "eof":
                return self.parsed(tuple(actions))

    def action(self, section: str) -> tuple:
        path = self.path(self.LEADING_UNDERSCORE)
        if section == "SET":
            self.expect_op("=")
            return ("SET", path, self.set_value())
        if section == "REMOVE":
            return ("REMOVE", path, None)
        if self.peek().kind != ":":
            self._fail()
        return (section, path, self.value())

    def set_value(self):
        if self.is_op("("):
            # "(a + b)" or an operand in parentheses that the sum starts with, as in "(a) + b"
            state = self.snapshot()
            try:
                self.take()
                value = self.sum()
                self.expect_op(")")
                if not (self.is_op("+") or self.is_op("-")):
                    return value
            except _SyntaxError:
                pass
            self.restore(state)
        return self.sum()

    def sum(self):
        left = self.operand_in_parentheses()
        if self.is_op("+") or self.is_op("-"):
            operator = self.take().text
            return (operator, left, self.operand_in_parentheses())
        return left

    def operand_in_parentheses(self):
        if self.is_op("("):
            self.take()
            operand = self.operand()
            self.expect_op(")")
            return operand
        return self.operand()

    def call(self):
        name = self.take().text
        arguments = self.arguments(self.operand_in_parentheses)
        if name in _CONDITION_FUNCTIONS:
            self.flag("function_name", f"The function is not allowed in an update expression; function: {name}")
        elif name not in _UPDATE_FUNCTIONS:
            self.flag("function_name", f"Invalid function name; function: {name}")
        else:
            self.check_arity(name, arguments, 2)
            if name == "if_not_exists" and arguments:
                self.require_path(name, arguments[0])
        return ("call", name, tuple(arguments))


class _ProjectionParser(_Parser):
    def __init__(self, text: str):
        super().__init__(text, ())

    def parse(self) -> _Parsed:
        paths = [self.path(self.LEADING_UNDERSCORE)]
        while self.is_op(","):
            self.take()
            paths.append(self.path(self.LEADING_UNDERSCORE))
        if self.peek().kind != "eof":
            self._fail()
        return self.parsed(tuple(paths))


_PARSERS = {"ConditionExpression": _ConditionParser, "UpdateExpression": _UpdateParser,
            "ProjectionExpression": _ProjectionParser}


@lru_cache(maxsize=4096)
def _parse(label: str, text: str) -> _Parsed:
    """`text` parsed once, or AWS's error for its syntax."""
    if not text.strip(_SPACE):
        raise _invalid(f"Invalid {label}: The expression can not be empty;")
    try:
        return _PARSERS[label](text).parse()
    except _SyntaxError as error:
        raise _invalid(f"Invalid {label}: {error}") from None


# --- binding names and compiling ----------------------------------------------------------------------------------
# An expression bound to its ExpressionAttributeNames becomes Python closures over (item, values), made once per
# (text, names): evaluating one is a few function calls.

_ABSENT = object()


def _missing_operand():
    return _invalid("The provided expression refers to an attribute that does not exist in the item")


def _wrong_type():
    return _invalid("An operand in the update expression has an incorrect data type")


def _invalid_path():
    return _invalid("The document path provided in the update expression is invalid for update")


class _Binder:
    """Resolves `#names` in a parsed tree, compiles it, and collects the checks that depend on the call's values."""

    def __init__(self, label: str, names: dict):
        self.label = label
        self.names = names
        self.value_checks: list = []
        self.distinct_error: str | None = None

    def resolve(self, node: tuple) -> tuple:
        steps = []
        for step in node[1]:
            if type(step) is tuple:
                step = self.names[step[1]]
            steps.append(step)
        return tuple(steps)

    def operand_type_check(self, operator: str, node: tuple, allowed: tuple) -> None:
        """An operand whose type is known before the item is read (a value, size()) must suit the operator."""
        label = self.label
        if node[0] == "value":
            placeholder = node[1]

            def check(values: dict) -> None:
                tag = _type_of(values[placeholder])
                if tag not in allowed:
                    raise _invalid(f"Invalid {label}: Incorrect operand type for operator or function; operator or "
                                   f"function: {operator}, operand type: {tag}")
            self.value_checks.append(check)
        elif node[0] == "call" and node[1] == "size" and "N" not in allowed:
            self.value_checks.append(lambda values: _raise(_invalid(
                f"Invalid {label}: Incorrect operand type for operator or function; operator or function: {operator}, "
                "operand type: N")))

    def check_distinct(self, operator: str, left: tuple, right: tuple) -> None:
        if left[0] == right[0] == "path" and self.distinct_error is None:
            path = self.resolve(left)
            if path == self.resolve(right):
                self.distinct_error = (f"Invalid {self.label}: The first operand must be distinct from the remaining "
                                       f"operands for this operator or function; operator: {operator}, first operand: "
                                       f"{_path_text(path)}")


def _raise(error: Exception):
    raise error


class _ConditionBinder(_Binder):
    def condition(self, node: tuple):
        kind = node[0]
        if kind == "group":
            return self.condition(node[1])
        if kind in ("and", "or"):
            left, right = self.condition(node[1]), self.condition(node[2])
            if kind == "and":
                return lambda item, values: left(item, values) and right(item, values)
            return lambda item, values: left(item, values) or right(item, values)
        if kind == "not":
            inner = self.condition(node[1])
            return lambda item, values: not inner(item, values)
        if kind == "compare":
            return self.compare(node[1], node[2], node[3])
        if kind == "between":
            return self.between(node[1], node[2], node[3])
        if kind == "in":
            subject = self.operand(node[1])
            candidates = tuple(self.operand(candidate) for candidate in node[2])

            def is_in(item, values):
                value = subject(item, values)
                return value is not None and any(_equal(value, candidate(item, values)) for candidate in candidates)
            return is_in
        return self.function(node[1], node[2])

    def compare(self, operator: str, left_node: tuple, right_node: tuple):
        self.check_distinct(operator, left_node, right_node)
        left, right = self.operand(left_node), self.operand(right_node)
        if operator == "=":
            return lambda item, values: _equal(left(item, values), right(item, values))
        if operator == "<>":
            return lambda item, values: not _equal(left(item, values), right(item, values))
        for node in (left_node, right_node):
            self.operand_type_check(operator, node, ("N", "S", "B"))
        wanted = {"<": (-1,), "<=": (-1, 0), ">": (1,), ">=": (1, 0)}[operator]
        return lambda item, values: _order(left(item, values), right(item, values)) in wanted

    def between(self, subject_node: tuple, low_node: tuple, high_node: tuple):
        subject, low, high = (self.operand(node) for node in (subject_node, low_node, high_node))
        for node in (subject_node, low_node, high_node):
            self.operand_type_check("BETWEEN", node, ("N", "S", "B"))
        if low_node[0] == high_node[0] == "value":
            label, low_name, high_name = self.label, low_node[1], high_node[1]

            def check_bounds(values: dict) -> None:
                low_value, high_value = values[low_name], values[high_name]
                low_tag, high_tag = _type_of(low_value), _type_of(high_value)
                bounds = (f"lower bound operand: AttributeValue: {{{low_tag}:{low_value[low_tag]}}}, upper bound "
                          f"operand: AttributeValue: {{{high_tag}:{high_value[high_tag]}}}")
                if low_tag != high_tag:
                    raise _invalid(f"Invalid {label}: The BETWEEN operator requires same data type for lower and "
                                   f"upper bounds; {bounds}")
                if _order(low_value, high_value) == 1:
                    raise _invalid(f"Invalid {label}: The BETWEEN operator requires upper bound to be greater than or "
                                   f"equal to lower bound; {bounds}")
            self.value_checks.append(check_bounds)

        def is_between(item, values):
            value = subject(item, values)
            above = _order(value, low(item, values))
            if above is None or above < 0:
                return False
            below = _order(value, high(item, values))
            return below is not None and below <= 0
        return is_between

    def function(self, name: str, nodes: tuple):
        if name in ("attribute_exists", "attribute_not_exists"):
            path = self.resolve(nodes[0])
            if name == "attribute_exists":
                return lambda item, values: _get(item, path) is not None
            return lambda item, values: _get(item, path) is None
        if name == "attribute_type":
            return self.attribute_type(nodes)
        self.check_distinct(name, nodes[0], nodes[1])
        subject, operand = self.operand(nodes[0]), self.operand(nodes[1])
        if name == "begins_with":
            for node in nodes:
                self.operand_type_check(name, node, ("S", "B"))
            return lambda item, values: _begins_with(subject(item, values), operand(item, values))
        return lambda item, values: _contains(subject(item, values), operand(item, values))

    def attribute_type(self, nodes: tuple):
        subject = self.operand(nodes[0])
        label = self.label
        if nodes[1][0] != "value":
            raise _invalid(f"Invalid {label}: Incorrect operand type for operator or function; operator or function: "
                           "attribute_type, operand type: {NS,SS,L,BS,N,M,B,BOOL,NULL,S}")
        placeholder = nodes[1][1]

        def check_type_name(values: dict) -> None:
            value = values[placeholder]
            if "S" not in value:
                raise _invalid(f"Invalid {label}: Incorrect operand type for operator or function; operator or "
                               f"function: attribute_type, operand type: {_type_of(value)}")
            if value["S"] not in _TYPES:
                raise _invalid(f"Invalid {label}: Invalid attribute type name found; type: {value['S']}, valid types: "
                               "{B,NULL,SS,BOOL,L,BS,N,NS,S,M}")
        self.value_checks.append(check_type_name)

        def has_type(item, values):
            value = subject(item, values)
            return value is not None and values[placeholder]["S"] in value
        return has_type

    def operand(self, node: tuple):
        kind = node[0]
        if kind == "value":
            placeholder = node[1]
            return lambda item, values: values[placeholder]
        if kind == "path":
            path = self.resolve(node)
            if len(path) == 1:
                name = path[0]
                return lambda item, values: item.get(name)
            return lambda item, values: _get(item, path)
        # size(), the only function that is an operand (the parser flagged any other)
        inner_node = node[2][0]
        self.operand_type_check("size", inner_node, ("S", "B", "SS", "NS", "BS", "L", "M"))
        inner = self.operand(inner_node)
        return lambda item, values: _size(inner(item, values))


class _UpdateBinder(_Binder):
    def value(self, node: tuple):
        """A SET action's value as a closure over (old item, values), raising AWS's errors for a missing operand or a
        wrong type."""
        kind = node[0]
        if kind == "value":
            placeholder = node[1]
            return lambda item, values: values[placeholder]
        if kind == "path":
            path = self.resolve(node)

            def read(item, values):
                value = _get(item, path)
                if value is None:
                    raise _missing_operand()
                return value
            return read
        if kind in ("+", "-"):
            left, right = self.value(node[1]), self.value(node[2])
            for operand in node[1:]:
                self.operand_type_check(kind, operand, ("N",))
            combine = _EXACT.add if kind == "+" else _EXACT.subtract

            def arithmetic(item, values):
                a, b = left(item, values), right(item, values)
                if "N" not in a or "N" not in b:
                    raise _wrong_type()
                return {"N": _number_text(combine(Decimal(a["N"]), Decimal(b["N"])))}
            return arithmetic
        name, arguments = node[1], node[2]
        if name == "if_not_exists":
            path = self.resolve(arguments[0])
            fallback = self.value(arguments[1])

            def if_not_exists(item, values):
                value = _get(item, path)
                return value if value is not None else fallback(item, values)
            return if_not_exists
        first, second = self.value(arguments[0]), self.value(arguments[1])
        for operand in arguments:
            self.operand_type_check(name, operand, ("L",))

        def list_append(item, values):
            a, b = first(item, values), second(item, values)
            if "L" not in a or "L" not in b:
                raise _wrong_type()
            return {"L": a["L"] + b["L"]}
        return list_append

    def set_operand_check(self, section: str, node: tuple) -> None:
        """ADD takes a number or a set, DELETE a set: known from the value before the item is read."""
        label, placeholder = self.label, node[1]

        def check(values: dict) -> None:
            tag = _type_of(values[placeholder])
            if tag in _SET_TYPES or (section == "ADD" and tag == "N"):
                return
            raise _invalid(f"Invalid {label}: Incorrect operand type for operator or function; operator: {section}, "
                           f"operand type: {_TYPE_WORDS[tag]}")
        self.value_checks.append(check)


@dataclass(frozen=True)
class _Bound:
    """An expression bound to its names: `test` (a condition's closure), `actions` (an update's: section, path, and
    the SET value's closure or the ADD/DELETE value's placeholder, in the order written), `paths` (the paths an
    update writes or a projection reads), `value_checks` (what the call's values must pass), `error` (a distinct-
    operand or overlapping-path error, reported after undefined values as AWS does)."""
    test: object = None
    actions: tuple = ()
    paths: tuple = ()
    value_checks: tuple = ()
    error: str | None = None


@lru_cache(maxsize=4096)
def _bind(label: str, text: str, names: tuple) -> _Bound:
    """The expression `text` bound to the names its placeholders resolve to (`names`, in the order of the parsed
    placeholders; None where undefined). Keyed by strings, so a cache hit costs a few hashes."""
    parsed = _parse(label, text)
    resolved = {placeholder: name for placeholder, name in zip(parsed.names, names, strict=True) if name is not None}
    if label == "ConditionExpression":
        binder = _ConditionBinder(label, resolved)
        test = binder.condition(parsed.tree)
        return _Bound(test=test, value_checks=tuple(binder.value_checks), error=binder.distinct_error)
    if label == "ProjectionExpression":
        binder = _Binder(label, resolved)
        paths = tuple(binder.resolve(path) for path in parsed.tree)
        return _Bound(paths=paths, error=_overlap_error(paths, label))
    binder = _UpdateBinder(label, resolved)
    paths = tuple(binder.resolve(path) for _, path, _ in parsed.tree)
    actions = []
    for (section, _, operand), path in zip(parsed.tree, paths, strict=True):
        if section == "SET":
            actions.append((section, path, binder.value(operand)))
        elif section == "REMOVE":
            actions.append((section, path, None))
        else:
            binder.set_operand_check(section, operand)
            actions.append((section, path, operand[1]))
    return _Bound(actions=tuple(actions), paths=paths, value_checks=tuple(binder.value_checks),
                  error=_overlap_error(paths, label))


# --- applying an update -------------------------------------------------------------------------------------------

def _write(members: dict, path: tuple, change) -> dict:
    """`members` (an item, or a map's members) with `change(old value or None)` at `path`: a new dict sharing what it
    does not change; `_ABSENT` removes."""
    name = path[0]
    if len(path) == 1:
        new = change(members.get(name))
        changed = dict(members)
        if new is _ABSENT:
            changed.pop(name, None)
        else:
            changed[name] = new
        return changed
    changed = dict(members)
    changed[name] = _write_in(members.get(name), path[1:], change)
    return changed


def _write_in(container: dict | None, path: tuple, change) -> dict:
    step = path[0]
    if type(step) is int:
        elements = container.get("L") if container is not None else None
        if elements is None:
            raise _invalid_path()
        changed = list(elements)
        if len(path) == 1:
            new = change(elements[step] if step < len(elements) else None)
            if new is _ABSENT:
                if step < len(changed):
                    del changed[step]
            elif step < len(changed):
                changed[step] = new
            else:
                changed.append(new)  # a SET past the end appends
            return {"L": changed}
        if step >= len(elements):
            raise _invalid_path()
        changed[step] = _write_in(elements[step], path[1:], change)
        return {"L": changed}
    members = container.get("M") if container is not None else None
    if members is None:
        raise _invalid_path()
    return {"M": _write(members, path, change)}


def _add(operand: dict):
    tag = _type_of(operand)

    def change(old: dict | None) -> dict:
        if old is None:
            return operand
        if tag not in old:
            raise _wrong_type()
        if tag == "N":
            return {"N": _number_text(_EXACT.add(Decimal(old["N"]), Decimal(operand["N"])))}
        present = _set_keys(tag, old[tag])
        return {tag: old[tag] + [x for x, key in zip(operand[tag], _set_keys(tag, operand[tag]), strict=True) if key not in present]}
    return change


def _delete(operand: dict):
    tag = _type_of(operand)

    def change(old: dict | None):
        if old is None:
            return _ABSENT
        if tag not in old:
            raise _wrong_type()
        removed = _set_keys(tag, operand[tag])
        kept = [x for x, key in zip(old[tag], _set_keys(tag, old[tag]), strict=True) if key not in removed]
        return {tag: kept} if kept else _ABSENT
    return change


def _set_keys(tag: str, elements: list) -> list:
    if tag == "NS":
        return [Decimal(x) for x in elements]
    if tag == "BS":
        return [_bytes(x) for x in elements]
    return elements


def _index_order(path: tuple) -> tuple:
    """REMOVE of several list elements: the highest index first, so each index means the element it meant before."""
    return tuple((0, -step) if type(step) is int else (1, step) for step in path)


def _apply(update: _Bound, item: dict, values: dict) -> dict:
    # Every SET value is computed on the item as it was before the call.
    changes = []
    for section, path, operand in update.actions:
        if section == "SET":
            value = operand(item, values)
            changes.append((path, lambda old, value=value: value))
        elif section == "ADD":
            changes.append((path, _add(values[operand])))
        elif section == "DELETE":
            changes.append((path, _delete(values[operand])))
    # Then the REMOVEs, of what the item held before the update: an index past the end of the list then removes
    # nothing, not an element a SET just appended.
    removals = sorted((path for section, path, _ in update.actions if section == "REMOVE"), key=_index_order)
    updated = dict(item)  # the one top-level copy, changed in place; below it, each change copies what it changes
    for path, change in changes:
        _write_top(updated, path, change)
    for path in removals:
        if len(path) == 1 or _get(item, path) is not None:
            _write_top(updated, path, _remove)
        else:
            _write(item, path, _remove)  # the parent must still be a document path
    return updated


def _write_top(item: dict, path: tuple, change) -> None:
    """`_write` on an item that is the caller's own copy: changed in place at the top, copied below."""
    name = path[0]
    if len(path) == 1:
        new = change(item.get(name))
        if new is _ABSENT:
            item.pop(name, None)
        else:
            item[name] = new
    else:
        item[name] = _write_in(item.get(name), path[1:], change)


def _remove(old: dict | None):
    return _ABSENT


# --- projections (getItem, UPDATED_OLD/UPDATED_NEW) ---------------------------------------------------------------

def _project(item: dict, paths: tuple) -> dict:
    tree: dict = {}
    for path in paths:
        node = tree
        for step in path[:-1]:
            node = node.setdefault(step, {})
        node[path[-1]] = True
    return _project_members(item, tree)


def _project_members(members: dict, tree: dict) -> dict:
    projected = {}
    for name, subtree in tree.items():
        value = members.get(name)
        if value is not None and subtree is not True:
            value = _project_value(value, subtree)
        if value is not None:
            projected[name] = value
    return projected


def _project_value(value: dict, tree: dict) -> dict | None:
    if "M" in value and all(type(step) is str for step in tree):
        members = _project_members(value["M"], tree)
        return {"M": members} if members else None
    if "L" in value and all(type(step) is int for step in tree):
        elements = value["L"]
        kept = []
        for index in sorted(tree):
            if index < len(elements):
                element = elements[index] if tree[index] is True else _project_value(elements[index], tree[index])
                if element is not None:
                    kept.append(element)
        return {"L": kept} if kept else None
    return None


# --- the API ------------------------------------------------------------------------------------------------------

_EMPTY: dict = {}


@dataclass(frozen=True)
class Table:
    """One table whose key is a partition key alone: its name and type (S, N or B). `key_of` and `call` are the
    module's functions for a table keyed by `id` (String), as the project's token table is."""

    hash_key: str = "id"
    key_type: str = "S"

    def __post_init__(self):
        if self.key_type not in ("S", "N", "B"):
            raise ValueError(f"key_type {self.key_type!r}: a key is of type S, N or B")

    def key_of(self, params: dict) -> str:
        """The key of the item a call reads or writes, as text (a number in DynamoDB's form, binary in base64), or
        the error AWS gives for the call's key."""
        if "Key" in params:
            return self._key(params["Key"])
        if "Item" in params:
            return self._item_key(params["Item"])
        raise _bad_parameter('Missing required parameter in input: "Key"')

    def _key(self, key: object) -> str:
        if type(key) is not dict:
            raise _bad_parameter(f"Invalid type for parameter Key, value: {key!r}, type: {type(key)}, "
                                 "valid types: <class 'dict'>")
        for name, value in key.items():
            _attribute_value(value, f"Key.{name}")
        value = key.get(self.hash_key)
        if len(key) != 1 or value is None or self.key_type not in value:
            raise _invalid("The provided key element does not match the schema")
        return self._key_text(value)

    def _item_key(self, item: object) -> str:
        if type(item) is not dict:
            raise _bad_parameter(f"Invalid type for parameter Item, value: {item!r}, type: {type(item)}, "
                                 "valid types: <class 'dict'>")
        value = item.get(self.hash_key)
        if value is None:
            raise _invalid(f"One or more parameter values were invalid: Missing the key {self.hash_key} in the item")
        value = _attribute_value(value, f"Item.{self.hash_key}")
        if self.key_type not in value:
            raise _invalid(f"One or more parameter values were invalid: Type mismatch for key {self.hash_key} "
                           f"expected: {self.key_type} actual: {_type_of(value)}")
        return self._key_text(value)

    def _key_text(self, value: dict) -> str:
        text = value[self.key_type]
        if self.key_type == "N":
            return _canonical_number(text)
        size = len(_bytes(text)) if self.key_type == "B" else len(text.encode())
        if not size:
            raise _invalid("One or more parameter values are not valid. The AttributeValue for a key attribute cannot "
                           f"contain an empty {'string' if self.key_type == 'S' else 'binary'} value. "
                           f"Key: {self.hash_key}")
        if size > 2048:
            raise _invalid("One or more parameter values were invalid: Size of hashkey has exceeded the maximum size "
                           "limit of2048 bytes")
        return text

    def call(self, action: str, params: dict, item: dict | None) -> tuple[dict | None, dict]:
        """Run `action` with `params` on `item` (what the table holds under `key_of(params)`, or None); returns the
        item after the call (None when there is none) and the integration's response."""
        if action not in _PARAMETERS:
            raise ValueError(f"action {action!r}: this model knows {', '.join(ACTIONS)}")
        _check_parameters(action, params)
        return_values = params.get("ReturnValues", "NONE")
        if return_values not in RETURN_VALUES:
            raise _invalid(f"1 validation error detected: Value '{return_values}' at 'returnValues' failed to satisfy "
                           f"constraint: Member must satisfy enum value set: [{', '.join(RETURN_VALUES)}]")
        if action in ("putItem", "deleteItem") and return_values not in ("NONE", "ALL_OLD"):
            raise _invalid("Return values set to invalid value")
        _check_expression_parameters(action, params)
        if action == "putItem":
            new_item = _item_values(params["Item"])
        key_name = self.hash_key
        names, values = _expression_attributes(params)
        update = condition = projection = None
        used_names: set = set()
        used_values: set = set()
        if "UpdateExpression" in params:
            update = _bound("UpdateExpression", params["UpdateExpression"], names, values, used_names, used_values)
        if "ConditionExpression" in params:
            condition = _bound("ConditionExpression", params["ConditionExpression"], names, values, used_names,
                               used_values)
        if "ProjectionExpression" in params:
            projection = _bound("ProjectionExpression", params["ProjectionExpression"], names, _EMPTY, used_names,
                                used_values)
        _check_all_used(names, values, used_names, used_values)
        if action == "putItem":
            self._item_key(new_item)
        else:
            self._key(params["Key"])
        if update is not None:
            for path in update.paths:
                if path[0] == key_name:
                    raise _invalid(f"One or more parameter values were invalid: Cannot update attribute {key_name}. "
                                   "This attribute is part of the key")

        if action == "getItem":
            if item is None:
                return item, {}
            return item, {"Item": _project(item, projection.paths) if projection is not None else item}
        if condition is not None and not condition.test(item if item is not None else _EMPTY, values):
            raise DynamoDbError("ConditionalCheckFailedException", "The conditional request failed")
        if action == "putItem":
            return new_item, _old_attributes(return_values, item)
        if action == "deleteItem":
            return None, _old_attributes(return_values, item)
        if item is None:
            # An update creates the item it does not find.
            base = {key_name: _attribute_value(params["Key"][key_name], f"Key.{key_name}")}
        else:
            base = item
        new_item = _apply(update, base, values) if update is not None else base
        return new_item, _update_attributes(return_values, item, new_item, update)


def _check_parameters(action: str, params: object) -> None:
    if type(params) is not dict:
        raise _bad_parameter(f"Invalid type for the parameters, value: {params!r}, valid types: <class 'dict'>")
    for name in params:
        if name not in _PARAMETERS[action]:
            if name in _UNSUPPORTED:
                raise NotImplementedError(f"{action} parameter {name}: outside this model (sfn_resume/protocol/"
                                          "dynamodb.py says what it covers)")
            raise _bad_parameter(f'Unknown parameter in input: "{name}", must be one of: '
                                 f"{', '.join(sorted(_PARAMETERS[action]))}")
    for name in _REQUIRED[action]:
        if name not in params:
            raise _bad_parameter(f'Missing required parameter in input: "{name}"')
    for name in ("TableName", "ConditionExpression", "UpdateExpression", "ProjectionExpression", "ReturnValues"):
        if name in params and type(params[name]) is not str:
            raise _bad_parameter(f"Invalid type for parameter {name}, value: {params[name]!r}, "
                                 f"type: {type(params[name])}, valid types: <class 'str'>")
    for name in ("Item", "Key", "ExpressionAttributeNames", "ExpressionAttributeValues"):
        if name in params and type(params[name]) is not dict:
            raise _bad_parameter(f"Invalid type for parameter {name}, value: {params[name]!r}, "
                                 f"type: {type(params[name])}, valid types: <class 'dict'>")
    if "ConsistentRead" in params and type(params["ConsistentRead"]) is not bool:
        raise _bad_parameter(f"Invalid type for parameter ConsistentRead, value: {params['ConsistentRead']!r}, "
                             f"type: {type(params['ConsistentRead'])}, valid types: <class 'bool'>")


def _check_expression_parameters(action: str, params: dict) -> None:
    expressions = _EXPRESSIONS[action]
    if "ExpressionAttributeNames" in params and not any(name in params for name in expressions):
        raise _invalid("ExpressionAttributeNames can only be specified when using expressions")
    with_values = [name for name in expressions if name != "ProjectionExpression"]
    if "ExpressionAttributeValues" in params and not any(name in params for name in with_values):
        raise _invalid("ExpressionAttributeValues can only be specified when using expressions: "
                       f"{' and '.join(with_values)} {'are' if len(with_values) > 1 else 'is'} null")


def _item_values(item: dict) -> dict:
    checked = {name: _attribute_value(value, f"Item.{name}") for name, value in item.items()}
    return item if all(checked[name] is item[name] for name in item) else checked


_NAME_PLACEHOLDER = re.compile(r"#[0-9A-Za-z_]+")
_VALUE_PLACEHOLDER = re.compile(r":[0-9A-Za-z_]+")


def _expression_attributes(params: dict) -> tuple[dict, dict]:
    names = params.get("ExpressionAttributeNames")
    if names is not None:
        if not names:
            raise _invalid("ExpressionAttributeNames must not be empty")
        for placeholder, name in names.items():
            if not _NAME_PLACEHOLDER.fullmatch(placeholder):
                raise _invalid(f'ExpressionAttributeNames contains invalid key: Syntax error; key: "{placeholder}"')
            if type(name) is not str:
                raise _bad_parameter(f"Invalid type for parameter ExpressionAttributeNames.{placeholder}, value: "
                                     f"{name!r}, type: {type(name)}, valid types: <class 'str'>")
            if not name:
                raise _invalid(f"ExpressionAttributeNames contains invalid value: Empty attribute name for key "
                               f"{placeholder}")
    values = params.get("ExpressionAttributeValues")
    if values is not None:
        if not values:
            raise _invalid("ExpressionAttributeValues must not be empty")
        for placeholder in values:
            if not _VALUE_PLACEHOLDER.fullmatch(placeholder):
                raise _invalid(f'ExpressionAttributeValues contains invalid key: Syntax error; key: "{placeholder}"')
        checked = {}
        for placeholder, value in values.items():
            try:
                checked[placeholder] = _attribute_value(value, f"ExpressionAttributeValues.{placeholder}")
            except DynamoDbError as error:
                if error.code != "ValidationException":
                    raise
                raise _invalid(f"ExpressionAttributeValues contains invalid value: {error.message} for key "
                               f"{placeholder}") from None
        values = checked
    return names or _EMPTY, values or _EMPTY


def _bound(label: str, text: str, names: dict, values: dict, used_names: set, used_values: set) -> _Bound:
    """The expression parsed and bound (each cached), with its errors raised in AWS's order: syntax, then what the
    text alone shows, then undefined names and values, then what depends on them."""
    parsed = _parse(label, text)
    if parsed.early:
        raise _invalid(f"Invalid {label}: {parsed.early}")
    if parsed.late:
        raise _invalid(f"Invalid {label}: {parsed.late}")
    for placeholder in parsed.names:
        if placeholder not in names:
            raise _invalid(f"Invalid {label}: An expression attribute name used in the document path is not defined; "
                           f"attribute name: {placeholder}")
    for placeholder in parsed.values:
        if placeholder not in values:
            raise _invalid(f"Invalid {label}: An expression attribute value used in expression is not defined; "
                           f"attribute value: {placeholder}")
    bound = _bind(label, text, tuple(names[placeholder] for placeholder in parsed.names))
    if bound.error:
        raise _invalid(bound.error)
    for check in bound.value_checks:
        check(values)
    used_names.update(parsed.names)
    used_values.update(parsed.values)
    return bound


def _check_all_used(names: dict, values: dict, used_names: set, used_values: set) -> None:
    unused = [placeholder for placeholder in names if placeholder not in used_names]
    if unused:
        raise _invalid(f"Value provided in ExpressionAttributeNames unused in expressions: keys: {{{', '.join(unused)}}}")
    unused = [placeholder for placeholder in values if placeholder not in used_values]
    if unused:
        raise _invalid(f"Value provided in ExpressionAttributeValues unused in expressions: keys: "
                       f"{{{', '.join(unused)}}}")


def _old_attributes(return_values: str, old: dict | None) -> dict:
    return {"Attributes": old} if return_values == "ALL_OLD" and old else {}


def _update_attributes(return_values: str, old: dict | None, new: dict, update: _Bound | None) -> dict:
    if return_values == "NONE":
        return {}
    if return_values == "ALL_NEW":
        return {"Attributes": new}
    if return_values == "ALL_OLD":
        return {"Attributes": old} if old else {}
    # UPDATED_*: the paths the update names, as they were before or are after.
    source = old if return_values == "UPDATED_OLD" else new
    attributes = _project(source, update.paths) if source and update is not None else {}
    return {"Attributes": attributes} if attributes else {}


_DEFAULT_TABLE = Table()
key_of = _DEFAULT_TABLE.key_of
call = _DEFAULT_TABLE.call
