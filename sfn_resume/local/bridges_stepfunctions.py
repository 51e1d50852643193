"""Bridges for moto 5.2.5's Step Functions: CloudFormation-created machines, task parameters, names, races.

Gap numbers as in docs/EMULATOR.md. Each bridge is one function registered with `patching.bridge`.
"""
from __future__ import annotations

import json
import threading
from functools import lru_cache
from typing import Any, Callable

from sfn_resume.local.patching import Patches, bridge


def _lower_first(key: str) -> str:
    return key[:1].lower() + key[1:]


def _api_cased(value: Any) -> Any:
    """CloudFormation's PascalCase property trees -> the API's camelCase (LoggingConfiguration etc.)."""
    if isinstance(value, dict):
        return {_lower_first(k): _api_cased(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_api_cased(v) for v in value]
    return value


def definition_from_properties(properties: dict[str, Any]) -> str:
    """The deployed definition text, as CloudFormation builds it.

    `Definition` (an object) is serialised to JSON; then every `${Key}` of `DefinitionSubstitutions` is replaced
    by its value. Placeholders sit inside JSON strings, so values are inserted JSON-escaped.
    """
    if "Definition" in properties:
        text = json.dumps(properties["Definition"])
    else:
        text = properties.get("DefinitionString", "")
    for key, value in (properties.get("DefinitionSubstitutions") or {}).items():
        text = text.replace("${" + key + "}", json.dumps(str(value))[1:-1])
    return text


_CONFIGURATIONS = {"LoggingConfiguration": "loggingConfiguration", "TracingConfiguration": "tracingConfiguration",
                   "EncryptionConfiguration": "encryptionConfiguration"}
#: What DescribeStateMachine shows when a configuration is not given (logging off, no tracing, an AWS-owned key).
_UNSET = {"loggingConfiguration": {"Level": "OFF", "IncludeExecutionData": False},
          "tracingConfiguration": {"Enabled": False}, "encryptionConfiguration": {"Type": "AWS_OWNED_KEY"}}


@bridge("cfn-state-machine", gap="1: CFN state machines invisible to the executing backend; Definition deployed empty")
def bridge_cfn_state_machine(patches: Patches) -> None:
    """Create/update/delete `AWS::StepFunctions::StateMachine` in the backend the API uses.

    moto writes CFN machines into the plain backend, which `execute_state_machine` mode never reads, and reads
    only `DefinitionString`. Here the backend is chosen like the API does (`responses.get_backend`) and the
    definition is `Definition`/`DefinitionString` with `DefinitionSubstitutions` applied. An update applies every
    property an update can change in place (definition, role, logging, tracing, encryption); the type and the name
    are create-only (see `bridges_stack_failures`).

    Gap 1 in docs/EMULATOR.md (what AWS does, the source).
    """
    from moto.stepfunctions.models import StateMachine
    from moto.stepfunctions.responses import get_backend
    from moto.stepfunctions.utils import cfn_to_api_tags

    def create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        properties = cloudformation_json["Properties"]
        backend = get_backend(account_id, region_name)
        optional = {}
        for cfn_key, api_key in _CONFIGURATIONS.items():
            if properties.get(cfn_key):
                optional[api_key] = _api_cased(properties[cfn_key])
        return backend.create_state_machine(
            properties.get("StateMachineName", resource_name),
            definition_from_properties(properties),
            properties.get("RoleArn", ""),
            tags=cfn_to_api_tags(properties.get("Tags", [])),
            sm_type=properties.get("StateMachineType", "STANDARD"),
            **optional,
        )

    def delete(cls, resource_name, cloudformation_json, account_id, region_name):
        get_backend(account_id, region_name).delete_state_machine(resource_name)

    def update(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name):
        properties = cloudformation_json.get("Properties", {})
        name = properties.get("StateMachineName", original_resource.name)
        if name != original_resource.name:
            new_resource = create(cls, name, cloudformation_json, account_id, region_name)
            delete(cls, original_resource.arn, cloudformation_json, account_id, region_name)
            return new_resource
        # every configuration is applied, and one the template no longer gives goes back to the service's default
        configurations = {api_key: _api_cased(properties.get(cfn_key) or _UNSET[api_key])
                          for cfn_key, api_key in _CONFIGURATIONS.items()}
        return get_backend(account_id, region_name).update_state_machine(
            original_resource.arn,
            definition=definition_from_properties(properties) or None,
            role_arn=properties.get("RoleArn"),
            logging_configuration=configurations["loggingConfiguration"],
            tracing_configuration=configurations["tracingConfiguration"],
            encryption_configuration=configurations["encryptionConfiguration"],
        )

    patches.set(StateMachine, "create_from_cloudformation_json", classmethod(create))
    patches.set(StateMachine, "delete_from_cloudformation_json", classmethod(delete))
    patches.set(StateMachine, "update_from_cloudformation_json", classmethod(update))


@bridge("cfn-state-machine-arn", gap="42: Fn::GetAtt [StateMachine, Arn] fails the stack (moto knows Name and "
                                  "others, not Arn)")
def bridge_cfn_state_machine_arn(patches: Patches) -> None:
    """Give `AWS::StepFunctions::StateMachine` the `Arn` attribute CloudFormation defines for it.

    moto 5.2.5's `StateMachine.has_cfn_attr` lists Name, DefinitionString, RoleArn, StateMachineName and Tags, so a
    template that reads a machine's ARN with `Fn::GetAtt` (what AWS CDK writes for `CfnStateMachine.attr_arn`, and
    for the `SfnResume` construct's ARNs) is refused at CreateStack; `Ref` gives the same ARN.

    Gap 42 in docs/EMULATOR.md (what AWS does, the source).
    """
    from moto.stepfunctions.models import StateMachine

    has_cfn_attr = StateMachine.has_cfn_attr.__func__
    get_cfn_attribute = StateMachine.get_cfn_attribute

    def has_arn(cls, attribute: str) -> bool:
        return attribute == "Arn" or has_cfn_attr(cls, attribute)

    def arn_attribute(self, attribute_name: str) -> Any:
        return self.arn if attribute_name == "Arn" else get_cfn_attribute(self, attribute_name)

    patches.set(StateMachine, "has_cfn_attr", classmethod(has_arn))
    patches.set(StateMachine, "get_cfn_attribute", arn_attribute)


@lru_cache(maxsize=None)
def _botocore_session():
    import botocore.session

    return botocore.session.get_session()


_MODELS_LOCK = threading.Lock()


def operation_model(service_name: str, api_action: str):
    """A botocore operation model, named in any casing (`startExecution`, `start_execution`), or None; loaded once:
    executions start together, and each load of a service model costs about half a second of CPU, so they wait
    for the first one instead of all loading it."""
    with _MODELS_LOCK:
        return _load_operation_model(service_name, api_action)


@lru_cache(maxsize=None)
def _load_operation_model(service_name: str, api_action: str):
    from moto.stepfunctions.parser.utils import camel_to_snake_case

    model = _botocore_session().get_service_model(service_name)
    wanted = camel_to_snake_case(api_action)
    for operation_name in model.operation_names:
        if camel_to_snake_case(operation_name) == wanted:
            return model.operation_model(operation_name)
    return None


@bridge("task-parameters", gap="2: task parameters reach botocore in ASL casing (sfn TaskToken/Output, "
                              "states:startExecution StateMachineArn), null ones at all")
def bridge_task_parameters(patches: Patches) -> None:
    """Map a task's PascalCase arguments onto botocore's member names, as Step Functions does.

    moto's `_normalise_parameters` is a no-op for the AWS SDK integrations and for the optimized
    `states:startExecution`, so `sfn:sendTaskSuccess` gets `TaskToken`/`Output` where botocore wants
    `taskToken`/`output`, and the pause state's StartExecution `StateMachineArn`. The port already has the mapper
    (`_to_boto_request`); it only needs the operation's input shape. DynamoDB's members are PascalCase already, so
    its calls are unchanged; integrations with their own normalisation (Lambda, API Gateway) keep it. A parameter
    whose value is null (a path to nothing) is left out, as Step Functions' SDK does: the service then answers
    with its own validation error (DynamoDB: "Value null at 'item' failed to satisfy constraint"), where moto
    fails in botocore's serializer (`'NoneType' object has no attribute 'items'`).

    Gap 2 in docs/EMULATOR.md (what AWS does, the source).
    """
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service import (
        StateTaskService,
    )

    def _normalise_parameters(self, parameters, boto_service_name=None, service_action_name=None):
        model = operation_model(
            self._get_boto_service_name(boto_service_name), service_action_name or self.resource.api_action
        )
        if model is not None and model.input_shape is not None:
            self._to_boto_request(parameters, model.input_shape)
        for key in [key for key, value in parameters.items() if value is None]:
            del parameters[key]

    patches.set(StateTaskService, "_normalise_parameters", _normalise_parameters)


@bridge("execution-names", gap="8: StartExecution without a name gives every execution the name None")
def bridge_execution_names(patches: Patches) -> None:
    """Name an execution started without a name with a UUID, as Step Functions does.

    moto uses `None` as the name, so every pause machine run (the pause state passes no name) would get the ARN
    `...:None`, and `$states.context.Execution.Name` would be null.

    Gap 8 in docs/EMULATOR.md (what AWS does, the source).
    """
    import uuid

    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    original = StepFunctionsParserBackend.start_execution

    def start_execution(self, state_machine_arn, name=None, *args, **kwargs):
        return original(self, state_machine_arn, name or str(uuid.uuid4()), *args, **kwargs)

    patches.set(StepFunctionsParserBackend, "start_execution", start_execution)


@bridge("send-task-failure-cause", gap="8: SendTaskFailure drops `cause`")
def bridge_send_task_failure_cause(patches: Patches) -> None:
    """Pass SendTaskFailure's `cause` to the backend (moto's response handler reads only `error`).

    Gap 8 in docs/EMULATOR.md (what AWS does, the source).
    """
    from moto.core.responses import EmptyResult
    from moto.stepfunctions.responses import StepFunctionResponse

    def send_task_failure(self):
        self.stepfunction_backend.send_task_failure(
            self._get_param("taskToken"), error=self._get_param("error"), cause=self._get_param("cause")
        )
        return EmptyResult()

    patches.set(StepFunctionResponse, "send_task_failure", send_task_failure)


@bridge("parser-scope-per-instance", gap="11: the ASL parser's query-language scope stack is shared by all threads")
def bridge_parser_scope_per_instance(patches: Patches) -> None:
    """Give every `Preprocessor` its own query-language scope stack.

    `Preprocessor._query_language_per_scope` is a class-level list, so concurrent parses (executions started
    together, some states JSONata) push and pop each other's scopes. A per-instance list is what was meant.

    Gap 11 in docs/EMULATOR.md (what AWS does, the source).
    """
    from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor

    def scopes(self) -> list:
        return self.__dict__.setdefault("_sfn_resume_query_language_per_scope", [])

    patches.set(Preprocessor, "_query_language_per_scope", property(scopes))


@bridge("send-task-during-start", gap="12: SendTask* fails while another execution has not parsed its definition yet")
def bridge_send_task_during_start(patches: Patches) -> None:
    """Skip executions whose worker has no environment yet when looking for a task token's owner.

    SendTaskSuccess/Failure/Heartbeat scan every execution's `exec_worker.env`, which is None until that
    execution's thread has parsed its definition: the scan raised AttributeError (HTTP 500). Such an
    execution cannot own a token yet, so skipping it is exact.

    Gap 12 in docs/EMULATOR.md (what AWS does, the source).
    """
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    original = StepFunctionsParserBackend._get_executions

    def _get_executions(self, execution_status=None):
        return [
            execution
            for execution in original(self, execution_status)
            if execution.exec_worker is not None and execution.exec_worker.env is not None
        ]

    patches.set(StepFunctionsParserBackend, "_get_executions", _get_executions)


#: Step Functions' limit on a state's input and output, a task's result, an execution's input and output, and
#: SendTaskSuccess's `output`: "256 KiB of data as a UTF-8 encoded string" (Step Functions service quotas).
MAX_PAYLOAD_BYTES = 262_144


def payload_bytes(value: Any) -> int:
    """A state's data as Step Functions measures it: the UTF-8 bytes of its JSON text, written compactly (no space
    after `,` and `:`, characters unescaped), as its APIs return state data; a text given as such (an API's input)
    counts as it is."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, separators=(",", ":"),
                                                            default=str)
    return len(text.encode("utf-8"))


@bridge("payload-size-in-utf8", gap="26: a state's payload size is measured on ASCII-escaped, spaced JSON, and "
                                    "a payload of exactly 256 KiB is refused")
def bridge_payload_size_in_utf8(patches: Patches) -> None:
    """Measure a state's payload as Step Functions does (`payload_bytes`), and allow up to 262,144 bytes.

    moto's `is_within_size_quota` serializes with `json.dumps`' defaults: `ensure_ascii=True`, so a non-ASCII
    character counts as its `\\uXXXX` escape (6 bytes for `ジ`, 3 in UTF-8), and an event of 135,000 UTF-8 bytes
    fails with `States.DataLimitExceeded` at 270,000; and `", "`/`": "` separators, a byte more per member and per
    item, so a payload a little under the limit fails. It also refuses a payload of exactly the limit (`<`). AWS:
    "The maximum input or output size for a task, state, or execution is 256 KiB of data as a UTF-8 encoded string"
    (Step Functions Developer Guide, "Step Functions service quotas"). The modules that imported the function get
    the fixed one.
    """
    from moto.stepfunctions.parser import quotas
    from moto.stepfunctions.parser.asl.component.state import state
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import state_task_lambda
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import state_task_service

    def is_within_size_quota(value) -> bool:
        return payload_bytes(value) <= MAX_PAYLOAD_BYTES

    for module in (quotas, state, state_task_lambda, state_task_service):
        patches.set(module, "is_within_size_quota", is_within_size_quota)


@bridge("data-limit-not-caught-by-all", gap="53: States.ALL catches States.DataLimitExceeded")
def bridge_data_limit_not_caught_by_all(patches: Patches) -> None:
    """`States.ALL` in a Retry or Catch does not match `States.DataLimitExceeded`: the run fails.

    moto's `ErrorEqualsDecl` matches every error with `States.ALL`, so a Catch sends a state whose data is over the
    limit to its handler, and the run goes on. AWS: "States.DataLimitExceeded: A terminal error that can't be
    caught by the States.ALL error type" (Step Functions Developer Guide, "Handling errors in Step Functions
    workflows"). A Retry or Catch that names `States.DataLimitExceeded` itself still matches it.

    Gap 53 in docs/EMULATOR.md (what AWS does, the source).
    """
    from moto.stepfunctions.parser.asl.component.common.error_name.error_equals_decl import ErrorEqualsDecl
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import StatesErrorNameType

    data_limit = StatesErrorName(typ=StatesErrorNameType.StatesStatesDataLimitExceeded)

    def matching(inner, self, env):
        error_name = env.stack[-1]
        inner(self, env)  # pops the error, pushes whether it matches
        if error_name == data_limit and data_limit not in self.error_names:
            env.stack[-1] = False

    patches.wrap(ErrorEqualsDecl, "_eval_body", matching)


@bridge("send-task-success-output-limit", gap="54: SendTaskSuccess accepts an output over 262,144 bytes")
def bridge_send_task_success_output_limit(patches: Patches) -> None:
    """Refuse a SendTaskSuccess `output` over 262,144 bytes of UTF-8 with `InvalidOutput`, as Step Functions does.

    moto hands any output to the waiting task, whose result is then over the state data limit: the paused run fails
    with `States.DataLimitExceeded`, and the caller is told nothing. AWS refuses the call: `output` has "Maximum
    length of 262144", and "InvalidOutput: The provided JSON output data is not valid" (Step Functions API
    Reference, SendTaskSuccess); the task keeps waiting for an answer it can take.

    Gap 54 in docs/EMULATOR.md (what AWS does, the source).
    """
    from moto.core.exceptions import AWSError
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    class InvalidOutput(AWSError):
        TYPE = "InvalidOutput"
        STATUS = 400

    def sized(inner, self, task_token, outcome):
        if outcome is not None and payload_bytes(outcome) > MAX_PAYLOAD_BYTES:
            raise InvalidOutput(f"The output is {payload_bytes(outcome)} bytes of UTF-8, over the limit of "
                                f"{MAX_PAYLOAD_BYTES}")
        return inner(self, task_token, outcome)

    patches.wrap(StepFunctionsParserBackend, "send_task_success", sized)


#: Parse trees kept, by definition text: a state machine version's definition never changes, and a long server
#: session (every test of a run) creates many machines.
PARSE_TREES_KEPT = 256
#: The parse trees, kept across installs: every `local_aws()` installs the bridges again, and its stacks create the
#: same definitions as the last one's.
_parse_tree: Callable[[str], Any] | None = None
#: Executions of one machine start together: one parses, the others wait for it.
_parsing = threading.Lock()


@bridge("parse-once-per-definition", gap="32: every execution parses its state machine's definition again")
def bridge_parse_once_per_definition(patches: Patches) -> None:
    """Parse each definition text once; build every execution's program from that parse tree.

    moto's `ExecutionWorker` runs ANTLR's lexer and parser on the definition at every execution, and
    CreateStateMachine runs them once more to validate it; in ANTLR's pure-Python runtime that was half the CPU a
    hand-over costs in the emulator (tens of ms for the pause machine's definition, more under load). The parse
    tree depends on the text alone and the Preprocessor only reads it, so it is kept, keyed by the text (a new
    version, a new text, is parsed anew). The program itself (moto's evaluation components) is still built per
    execution by moto's own Preprocessor (a few ms): components keep per-execution state lazily
    (`EvalComponent.heap_key`, set on first use without a lock, names each retrier's counters in the execution's
    heap), so one program shared by concurrent executions would not be safe.

    Gap 32 in docs/EMULATOR.md (what AWS does, the source).
    """
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
    from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor

    global _parse_tree
    original = AmazonStateLanguageParser.parse
    if _parse_tree is None:  # moto's parse, so a bad definition raises as it did (never cached)
        _parse_tree = lru_cache(maxsize=PARSE_TREES_KEPT)(lambda definition: original(definition)[1])

    def parse(definition: str):
        with _parsing:
            tree = _parse_tree(definition)
        return Preprocessor().visit(tree), tree

    patches.set(AmazonStateLanguageParser, "parse", staticmethod(parse))


#: The interpreter's modules that create a client per task, by `from ...boto_client import boto_client_for`.
_TASK_CLIENT_MODULES = tuple(f"moto.stepfunctions.parser.asl.component.state.exec.{name}" for name in (
    "state_task.lambda_eval_utils",
    "state_map.item_reader.eval.resource_eval_s3",
    "state_map.result_writer.resource_eval.resource_eval_s3",
    *(f"state_task.service.state_task_service_{service}" for service in (
        "aws_sdk", "batch", "dynamodb", "ecs", "events", "glue", "sfn", "sns", "sqs", "unsupported")),
))


@bridge("task-clients-reused", gap="33: every task state creates a new boto3 client")
def bridge_task_clients_reused(patches: Patches) -> None:
    """Reuse one boto3 client per region, service and endpoint for the interpreter's task states.

    moto's `boto_client_for` builds a new client at every task (DynamoDB, Step Functions, ...): a few ms of CPU
    each, two to three per hand-over. Its clients differ only by region, service and where they send (moto's
    in-process interception, or the server at localhost:$MOTO_PORT); boto3 clients are thread-safe. The task's
    credentials are not part of the client (moto ignores them), so neither are they of the key.

    Gap 33 in docs/EMULATOR.md (what AWS does, the source).
    """
    import importlib

    from moto.stepfunctions.parser.asl.utils import boto_client

    original = boto_client.boto_client_for
    creating = threading.Lock()
    clients: dict[tuple, Any] = {}

    def boto_client_for(region: str, service: str, state_credentials: Any = None):
        key = (region, service, boto_client.botocore_stubber.enabled, boto_client.moto_server_port())
        with creating:
            if key not in clients:
                clients[key] = original(region, service, state_credentials)
            return clients[key]

    for name in _TASK_CLIENT_MODULES:
        module = importlib.import_module(name)
        if module.boto_client_for is not original:
            raise RuntimeError(f"{name} no longer creates its clients with moto's boto_client_for")
        patches.set(module, "boto_client_for", boto_client_for)


@bridge("jsonata-string-checked-once", gap="34: a JSONata expression whose value is a string is evaluated twice")
def bridge_jsonata_string_checked_once(patches: Patches) -> None:
    """Accept a JSONata expression's string value without evaluating the expression again.

    moto's `validate_jsonata_expression_output` (`asl/jsonata/validations.py`) checks a string result by evaluating
    the whole expression once more inside `$type(...)`, whose answer for a string is always "string", a supported
    type: every string-valued expression (job ids, tokens, the event as text) cost two evaluations, a large share
    of a hand-over's CPU in the emulator. A value the engine gives as a Python `str` is a JSONata string (the jsonata
    bridge turns any other result into plain JSON values or an error), so the check is skipped. The check of a
    null result, which tells null from undefined by evaluating `$exists(...)`, is kept.

    Gap 34 in docs/EMULATOR.md (what AWS does, the source).
    """
    from moto.stepfunctions.parser.asl.jsonata import validations

    def _validate_string_output(env, expression: str, rich_jsonata_expression: str) -> None:
        return None

    patches.set(validations, "_validate_string_output", _validate_string_output)


@bridge("response-keys-found-once", gap="55: moto's response serializer works out every member's possible keys "
                                        "again for every value")
def bridge_response_keys_found_once(patches: Patches) -> None:
    """Keep the keys a response member may be found under, per kind of object, member name and model shape.

    moto 5.2.5 writes every response by walking the service's model: for each member of each value it builds a
    context (with the member's dotted path) and the alias providers (an explicit alias, the model's serialization
    name, a prefix of the shape's or the class's name, snake case), asks each for a key, then looks the value up. A
    DynamoDB attribute value is a structure of ten members, so an item of seven attributes costs seventy such
    rounds: a Scan of 300 items took about 150 ms of CPU, and a server's time went mostly there. The keys depend only
    on the picker, the object's class (its `Meta` aliases, its name), the member's name and its shape (its
    serialization name, its parent), which a service model keeps for the process: they are worked out once for
    each, then every value is looked up under them as before. A picker with response transformers (which read the
    member's path) is left to moto.

    Gap 55 in docs/EMULATOR.md (what AWS does, the source).
    """
    from moto.core.serialize import AttributePicker, ResponseSerializer
    from moto.core.utils import MISSING, get_value

    original_get_value = ResponseSerializer.get_value
    keys_of: dict[tuple, tuple[str, ...]] = {}

    def first_found(obj: Any, keys: tuple[str, ...]) -> Any:
        for key in keys:
            value = get_value(obj, key, MISSING)
            if value is not MISSING:
                return value
        return None

    def picked(self, context):
        """`AttributePicker.__call__`, the keys worked out once."""
        found = (type(self), type(context.obj), context.key, context.shape)
        if found not in keys_of:
            keys_of[found] = tuple(dict.fromkeys(self.get_possible_keys(context)))
        value = first_found(context.obj, keys_of[found])
        key_path = f"{context.key_path}.{context.key}"
        for transform_path, transform in self.response_transformers.items():
            if key_path.endswith(transform_path):
                return transform(value)
        return value

    def serializer_get_value(self, value, key, shape):
        """Without transformers, a value whose keys are known is looked up without a context."""
        picker = self._value_picker
        if isinstance(picker, AttributePicker) and not picker.response_transformers:
            keys = keys_of.get((type(picker), type(value), key, shape))
            if keys is not None:
                return first_found(value, keys)
        return original_get_value(self, value, key, shape)

    patches.set(AttributePicker, "__call__", picked)
    patches.set(ResponseSerializer, "get_value", serializer_get_value)


@bridge("server-routes-found-once", gap="56: the server finds each request's service by listing moto's package and "
                                        "trying every service's URL patterns, under one lock")
def bridge_server_routes_found_once(patches: Patches) -> None:
    """Keep the backend found for each host name the server's requests give.

    moto's `DomainDispatcherApplication.get_backend_for_host` (`moto/moto_server/werkzeug_app.py`) lists moto's
    package directory (an `isdir` per entry) and matches the host against every service's URL patterns, at every
    request and under the lock all requests share: a few percent of a busy server's CPU, and a point where its
    threads wait for each other. The answer depends on the host name alone (the package and the patterns do not
    change while the server runs), so it is kept per host.

    Gap 56 in docs/EMULATOR.md (what AWS does, the source).
    """
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    original = DomainDispatcherApplication.get_backend_for_host

    def get_backend_for_host(self, host):
        found = self.__dict__.setdefault("_sfn_resume_backends", {})
        if host not in found:
            found[host] = original(self, host)
        return found[host]

    patches.set(DomainDispatcherApplication, "get_backend_for_host", get_backend_for_host)


@bridge("server-task-calls-in-process", gap="57: in server mode, every call a state machine makes goes out over HTTP "
                                            "and back into the same process")
def bridge_server_task_calls_in_process(patches: Patches) -> None:
    """Serve the calls of the process's own boto3 clients (the interpreter's Task states) in process, in server mode
    too.

    In process, moto's `botocore_stubber` answers every boto3 call from the backends; the server leaves it off, so
    the interpreter's clients are pointed at http://localhost:$MOTO_PORT (gap 9) and each Task's call is written as
    an HTTP request, sent over a socket, taken by a new server thread, routed, dispatched by Flask and answered the
    same way back: in a busy server, a fifth of its CPU went to carrying its own calls to itself. With the stubber on,
    the call is the same botocore request, answered by the same response handlers and backends, as in process
    (`local_aws()`); requests from other programs still come over HTTP. The server's process makes no other boto3
    call.

    Gap 57 in docs/EMULATOR.md (what AWS does, the source).
    """
    from moto.core.models import botocore_stubber

    patches.set(botocore_stubber, "enabled", True)


@bridge("program-text-only-on-error", gap="58: building an execution's program writes the whole definition out as "
                                          "text twice, for error messages it does not raise")
def bridge_program_text_only_on_error(patches: Patches) -> None:
    """Build the message of a definition without `StartAt` or `States` only when one is missing.

    moto's `Preprocessor.visitProgram_decl` passes `props.get(..., raise_on_missing=ValueError(f"... {ctx.getText()}"))`
    for both, so every execution's program build joins the text of every token of its definition twice (ANTLR's
    pure-Python `getText`, recursively): about a tenth of a busy server's CPU, for two exceptions never raised.
    Here the program is built from the same props, and the text is written only into an error actually raised.

    Gap 58 in docs/EMULATOR.md (what AWS does, the source).
    """
    from moto.stepfunctions.parser.asl.parse import preprocessor as moto_preprocessor

    def visitProgram_decl(self, ctx):
        self._open_query_language_scope(ctx)
        props = moto_preprocessor.TypedProps()
        for child in ctx.children:
            props.add(self.visit(child))
        if props.get(moto_preprocessor.QueryLanguage) is None:
            props.add(self._get_current_query_language())
        for required in (moto_preprocessor.StartAt, moto_preprocessor.States):
            if props.get(required) is None:
                raise ValueError(f"No '{required}' definition for Program in context: '{ctx.getText()}'.")
        program = moto_preprocessor.Program(
            query_language=props.get(typ=moto_preprocessor.QueryLanguage) or moto_preprocessor.QueryLanguage(),
            start_at=props.get(typ=moto_preprocessor.StartAt),
            states=props.get(typ=moto_preprocessor.States),
            timeout_seconds=props.get(moto_preprocessor.TimeoutSeconds),
            comment=props.get(typ=moto_preprocessor.Comment),
            version=props.get(typ=moto_preprocessor.Version),
        )
        self._close_query_language_scope()
        return program

    patches.set(moto_preprocessor.Preprocessor, "visitProgram_decl", visitProgram_decl)
