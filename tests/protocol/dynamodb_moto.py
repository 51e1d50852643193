"""moto's DynamoDB as the reference the model is compared with: one in-process table, each call made on a given
starting item, and the outcome (item after, Attributes, error code) in the model's form."""

import base64
from decimal import Decimal

import boto3
from moto import mock_aws

TABLE = "protocol-model"
KEY = {"id": {"S": "job-1"}}


class MotoCrashed(Exception):
    """moto failed with a Python error of its own (not an AWS error): there is no behaviour of moto's to compare."""


def canonical(value):
    """A value in one form for comparing: numbers as decimals, sets sorted, binary as bytes."""
    if isinstance(value, dict) and len(value) == 1:
        ((tag, inner),) = value.items()
        if tag == "N":
            return ("N", Decimal(inner).normalize())
        if tag == "NS":
            return ("NS", tuple(sorted(Decimal(x).normalize() for x in inner)))
        if tag in ("SS",):
            return (tag, tuple(sorted(inner)))
        if tag == "BS":
            return (tag, tuple(sorted(base64.b64decode(x) for x in inner)))
        if tag == "B":
            return (tag, base64.b64decode(inner))
        if tag == "L":
            return ("L", tuple(canonical(x) for x in inner))
        if tag == "M":
            return ("M", canonical_item(inner))
        return (tag, inner)
    raise AssertionError(f"not an attribute value: {value!r}")


def canonical_item(item):
    if item is None:
        return None
    return tuple(sorted((name, canonical(value)) for name, value in item.items()))


def _to_boto(value):
    """The model's JSON (binary as base64 text, as Step Functions passes it) as boto3 takes it (bytes)."""
    if isinstance(value, dict):
        out = {}
        for tag, inner in value.items():
            if tag == "B":
                out[tag] = base64.b64decode(inner)
            elif tag == "BS":
                out[tag] = [base64.b64decode(x) for x in inner]
            elif tag == "L":
                out[tag] = [_to_boto(x) for x in inner]
            elif tag == "M":
                out[tag] = {name: _to_boto(x) for name, x in inner.items()}
            else:
                out[tag] = inner
        return out
    return value


def _from_boto(value):
    tag, inner = next(iter(value.items()))
    if tag == "B":
        return {"B": base64.b64encode(inner).decode()}
    if tag == "BS":
        return {"BS": [base64.b64encode(x).decode() for x in inner]}
    if tag == "L":
        return {"L": [_from_boto(x) for x in inner]}
    if tag == "M":
        return {"M": {name: _from_boto(x) for name, x in inner.items()}}
    return value


def _item_from_boto(item):
    return None if item is None else {name: _from_boto(value) for name, value in item.items()}


def _params_to_boto(params):
    out = dict(params)
    for name in ("Item", "Key", "ExpressionAttributeValues"):
        if name in out:
            out[name] = {key: _to_boto(value) for key, value in out[name].items()}
    return out


class MotoTable:
    """A table `id` (String) in moto, in process."""

    def __init__(self):
        self._mock = mock_aws()
        self._mock.start()
        self.client = boto3.client("dynamodb", region_name="us-east-1", aws_access_key_id="testing",
                                   aws_secret_access_key="testing")
        self.client.create_table(TableName=TABLE, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                                 AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                                 BillingMode="PAY_PER_REQUEST")

    def close(self):
        self._mock.stop()

    def run(self, action: str, params: dict, item: dict | None):
        """(item after, response, error code) for `action` with `params` on a table holding `item` under KEY."""
        self.client.delete_item(TableName=TABLE, Key=KEY)
        if item is not None:
            self.client.put_item(TableName=TABLE, Item=_params_to_boto({"Item": item})["Item"])
        method = {"putItem": self.client.put_item, "updateItem": self.client.update_item,
                  "deleteItem": self.client.delete_item, "getItem": self.client.get_item}[action]
        response, code = {}, None
        try:
            response = method(**_params_to_boto({**params, "TableName": TABLE}))
        except self.client.exceptions.ClientError as error:
            code = error.response["Error"]["Code"]
        except Exception as error:  # moto's own failure (TypeError, ValueError...), not an AWS error
            raise MotoCrashed(repr(error)) from error
        after = self.client.get_item(TableName=TABLE, Key=KEY, ConsistentRead=True).get("Item")
        response = {name: (_item_from_boto(value)) for name, value in response.items()
                    if name in ("Attributes", "Item")}
        return _item_from_boto(after), response, code
