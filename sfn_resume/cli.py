"""The `sfn-resume` command: parse, call inwards, print, return an exit code (EXIT_CODES)."""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import os
import shlex
import sys
import tempfile
from pathlib import Path

import yaml

from . import __version__, asl, examples
from .config import STDIN, ConfigError, load_config, parse_json, parse_yaml, read_input
from .nested import MAX_OUTPUTS, SURFACED_OUTPUTS, build_parent_template, child_templates, generic_parameters, \
    include_parameters, surfaced_outputs
from .options import REMOVAL_POLICIES
from .patterns import show
from .service_catalog import build_portfolio_template
from .template import build_template, flat_outputs, pause_state

USAGE_ERROR = 2
#: AWS (or the endpoint boto3 is pointed at) refused or did not answer: access denied, throttling, a timeout.
AWS_ERROR = 3
INTERRUPTED = 130
#: What each exit code means, for every command (`--help` and docs/OPERATING.md's "CLI exit codes" say the same).
EXIT_CODES = {
    0: "done; for check, the event would resume (or fail) the workflow",
    1: "a negative answer: check, the event would not act (the output says why); redrive, some messages stay; "
       "resume and fail, the run failed or did not answer",
    USAGE_ERROR: "a usage error: a bad option, file or config, an output that exists, a missing extra, no AWS "
                 "region or credentials, no such stack; resume, fail and forget refusing what they are handed "
                 "(one line on stderr; nothing written)",
    AWS_ERROR: "AWS refused or did not answer: access denied, throttling, an endpoint that does not answer",
    INTERRUPTED: "interrupted (Ctrl-C)",
}
#: CloudFormation's template limits.
MAX_RESOURCES = 500
MAX_TEMPLATE_BYTES_INLINE = 51_200
MAX_TEMPLATE_BYTES_S3 = 1_000_000
PARAMETER_FORMATS = ("overrides", "overrides-json", "json", "cfn-include")

#: Each command's examples, (what it does, the command): `--help` prints each on lines of its own, which no terminal
#: width rewraps. In this order they are a session in an empty folder (tests/test_packaging.py runs it so).
COMMAND_EXAMPLES = {
    "init": [
        ("the services of the examples catalogue", "sfn-resume init --list"),
        ("a commented config for one, its sample events, state and workflow beside it",
         "sfn-resume init translate --with-samples -o translate.yaml"),
        ("a config of two instances (two services)", "sfn-resume init two-services -o two-services.yaml"),
    ],
    "check": [("would this event resume that workflow?",
               "sfn-resume check translate.yaml --event events/success.json --state state.json")],
    "parameters": [
        ("the generic template's Parameters for the config, as --parameter-overrides words",
         "sfn-resume parameters translate.yaml"),
        ("the file `aws cloudformation deploy --parameter-overrides file://...` takes",
         "sfn-resume parameters translate.yaml --format overrides-json -o translate-parameters.json"),
    ],
    "synth": [
        ("the generic template (everything a Parameter)", "sfn-resume synth -o sfn-resume.yaml"),
        ("the same, keeping the table when the stack is deleted",
         "sfn-resume synth --removal-policy RETAIN -o sfn-resume-retain.yaml"),
        ("a template with the config's instances built in", "sfn-resume synth translate.yaml -o translate-stack.yaml"),
        ("a parent with one child stack per instance, the children beside it",
         "sfn-resume synth two-services.yaml --nested -o parent.yaml"),
    ],
    "pause-state": [("the pause state to paste into your workflow", "sfn-resume pause-state translate.yaml")],
    "splice": [("the workflow with the pause inserted after a state",
                "sfn-resume splice translate.yaml --workflow workflow.json --after StartTranslation \\\n"
                "    -o workflow-with-pause.json")],
    "catalog": [("the Service Catalog portfolio", "sfn-resume catalog -o portfolio.yaml")],
    "status": [
        ("hand-overs waiting, the dead-letter queue, alarms firing", "sfn-resume status --stack translate-resume"),
        ("where one job's hand-over is", "sfn-resume status --stack translate-resume JOB_ID"),
    ],
    "redrive": [("what redrive would do with the undelivered events",
                 "sfn-resume redrive --stack translate-resume --dry-run")],
    "resume": [("hand a job's event to its pause by hand",
                "sfn-resume resume --stack translate-resume JOB_ID --event events/success.json"),
               ("the event came before its pause: store it for the pause to come",
                "sfn-resume resume --stack translate-resume JOB_ID --event events/success.json --early")],
    "fail": [("fail a job's pause by hand", "sfn-resume fail --stack translate-resume JOB_ID --cause 'job lost'")],
    "forget": [("remove an early event stored by mistake", "sfn-resume forget --stack translate-resume JOB_ID")],
    "local": [("the embedded emulator, for any AWS client", "sfn-resume local --port 5005")],
    "verify": [("explore every interleaving of a template's hand-over (about two minutes)",
                "sfn-resume verify sfn-resume.yaml"),
               ("one scenario, the verdict as JSON", "sfn-resume verify sfn-resume.yaml --scenario one-pause --json")],
    "demo": [("deploy, pause, send the event, resume: in process", "sfn-resume demo")],
}
HELP_EXAMPLES = [example for command in COMMAND_EXAMPLES.values() for example in command]
OVERWRITE_POLICY = ("An output file that exists is replaced only with --force (writing the same content again is "
                    "allowed); files are written whole or not at all.")


def _epilog(examples_list: list[tuple[str, str]], exit_codes: bool = False) -> str:
    text = "examples:\n" + "\n".join(f"  # {what}\n  {command}" for what, command in examples_list)
    if exit_codes:
        text += "\n\nexit codes:\n" + "\n".join(f"  {code:<3} {meaning}" for code, meaning in EXIT_CODES.items())
    return text


EPILOG = _epilog(HELP_EXAMPLES, exit_codes=True)


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except ConfigError as error:
        for problem in error.problems:
            print(f"sfn-resume: {problem}", file=sys.stderr)
        return AWS_ERROR if getattr(error, "from_aws", False) else USAGE_ERROR
    except KeyboardInterrupt:
        print("sfn-resume: interrupted", file=sys.stderr)
        return INTERRUPTED


def _command(commands, name: str, summary: str, description: str, run) -> argparse.ArgumentParser:
    """A subcommand with its description and examples in --help."""
    command = commands.add_parser(name, help=summary, description=description, epilog=_epilog(COMMAND_EXAMPLES[name]),
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
    command.set_defaults(run=run)
    return command


def _add_output(parser, what: str = "file to write (default: standard output)") -> None:
    parser.add_argument("-o", "--output", help=what)
    parser.add_argument("--force", action="store_true", help="replace OUTPUT if it exists with other content")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sfn-resume",
        description="Synthesize CloudFormation for the Step Functions pause/resume pattern, and try it locally. "
                    "Every file input may be - (standard input). " + OVERWRITE_POLICY,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"sfn-resume {__version__}")
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

    init = _command(commands, "init", "write a starting config for a service from the examples catalogue",
                    "Write the catalogue's commented config for SERVICE: its event patterns, both id paths and where "
                    "each value comes from. With --with-samples, also its sample events, workflow state and workflow, "
                    "beside OUTPUT in the catalogue's layout (events/success.json, state.json, ...).", _init)
    init.add_argument("service", nargs="?", metavar="SERVICE", help="a service of the catalogue (see --list)")
    init.add_argument("--list", action="store_true", help="list the catalogue's services")
    init.add_argument("--name", metavar="SUFFIX", help="the instance's nameSuffix (default: the example's)")
    init.add_argument("--with-samples", action="store_true",
                      help="write the service's samples beside OUTPUT (needs --output)")
    _add_output(init)

    synth = _command(commands, "synth", "write a CloudFormation template (YAML)",
                     "Write the generic template (every setting a Parameter), or one built from CONFIG.", _synth)
    synth.add_argument("config", nargs="?", help="config file (YAML or JSON, - for stdin); omit for the generic template")
    _add_output(synth)
    synth.add_argument("--nested", action="store_true",
                       help="write a parent template with one child stack per instance to OUTPUT, and the child "
                            "(the generic template) beside it: sfn-resume.yaml, and sfn-resume-retain.yaml (or "
                            "-retain-on-update-or-delete.yaml) for instances with that removalPolicy")
    synth.add_argument("--removal-policy", choices=REMOVAL_POLICIES, default="DESTROY",
                       help="the generic template's table removal policy (default DESTROY); without CONFIG only")

    parameters = _command(
        commands, "parameters", "print the generic template's Parameters for a config's instance",
        "Print the generic template's Parameter values that give CONFIG's instance, so one config drives the "
        "generic template too: as --parameter-overrides words for `aws cloudformation deploy` (overrides, shell-"
        "quoted, one per line), as the JSON list of those words that `deploy --parameter-overrides file://FILE` "
        "takes (overrides-json), as the [{ParameterKey, ParameterValue}] list that `create-stack --parameters "
        "file://FILE` takes (json), or as the object AWS CDK's `CfnInclude(parameters=...)` takes (cfn-include: "
        "the values the config sets, lists as lists). The table's removalPolicy is no Parameter: deploy "
        "templates/sfn-resume-retain.yaml (synth --removal-policy) for RETAIN.", _parameters)
    parameters.add_argument("config", help="config file (YAML or JSON, - for stdin)")
    parameters.add_argument("--instance", help="nameSuffix of the instance (needed when the config has several)")
    parameters.add_argument("--format", choices=PARAMETER_FORMATS, default="overrides",
                            help="overrides (default), overrides-json, json or cfn-include")
    _add_output(parameters)

    catalog = _command(commands, "catalog", "write the Service Catalog portfolio template (YAML)",
                       "Write a portfolio with one product that provisions the generic template from a URL, a "
                       "least-privilege launch role and its constraint.", _catalog)
    _add_output(catalog)

    pause = _command(commands, "pause-state", "print the pause state (ASL JSON) of a config's instance(s)",
                     "Print the pause state of CONFIG's instance (all of them, keyed by nameSuffix, without "
                     "--instance), to paste into a workflow.", _pause_state)
    pause.add_argument("config", help="config file (YAML or JSON, - for stdin)")
    pause.add_argument("--instance", help="nameSuffix of one instance (default: all, keyed by nameSuffix)")
    transition = pause.add_mutually_exclusive_group()
    transition.add_argument("--next", dest="next_state", help="the state to continue to (default: End)")
    transition.add_argument("--no-end", dest="end", action="store_false",
                            help="print neither Next nor End, for a tool that adds its own (a CDK CustomState)")
    _add_pause_options(pause)

    splice = _command(
        commands, "splice", "insert the pause state into a workflow definition, after a given state",
        "Insert CONFIG's pause state into the ASL definition in --workflow (JSON or YAML), after the state --after, "
        "which then continues to the pause; the pause takes over that state's Next (or End). States in Parallel "
        "branches and Map item processors are found too (not in a Map's EXPRESS child executions, where a pause "
        "cannot wait). The pause is JSONata when the workflow or the state is. Writes the definition in the "
        "workflow's format.", _splice)
    splice.add_argument("config", help="config file (YAML or JSON, - for stdin)")
    splice.add_argument("--workflow", required=True, help="the workflow's ASL definition (JSON or YAML file, - for stdin)")
    splice.add_argument("--after", required=True, metavar="STATE", help="the state the pause follows")
    splice.add_argument("--name", help="the pause state's name (default: WaitFor<STATE>)")
    splice.add_argument("--instance", help="nameSuffix of the instance (needed when the config has several)")
    _add_output(splice)
    splice.add_argument("--partition", default="aws", choices=PARTITIONS, help="partition of the ARNs (default: aws)")

    check = _command(
        commands, "check", "would this event resume (or fail) a paused workflow? (exit 0 yes, 1 no)",
        "Match a sample EventBridge event against each instance's patterns, extract the job id on both sides, and "
        "say what the workflow would receive. Exit 0 when the event would resume or fail the workflow, 1 when it "
        "would not act (or both patterns match it), 2 on bad input.", _check)
    check.add_argument("config", help="config file (YAML or JSON, - for stdin)")
    check.add_argument("--event", required=True, help="a sample EventBridge event (JSON file, - for stdin)")
    check.add_argument("--state", help="a sample of the workflow's state at the pause (JSON file, - for stdin)")
    check.add_argument("--instance", help="nameSuffix of the instance to check (default: all)")

    status = _command(
        commands, "status", "where each job's hand-over is; or a summary of a deployed instance",
        "Read a deployed instance (the stack's outputs) from the AWS endpoint boto3 is configured for "
        "(AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL). With JOB_IDs: one line each, saying where its "
        "hand-over is. Without: the table's items by shape, the dead-letter queue, the alarms in ALARM. "
        "Needs the 'aws' extra. Exit 0 when it could answer, 2 on bad input, 3 when AWS refused or did not answer.",
        _status)
    status.add_argument("job_ids", nargs="*", metavar="JOB_ID", help="job ids to look up (default: a summary)")
    _add_stack_options(status)
    status.add_argument("--limit", default=str(DEFAULT_SCAN_LIMIT),
                        help=f"the summary reads at most this many items (default: {DEFAULT_SCAN_LIMIT})")

    redrive = _command(
        commands, "redrive", "put the events in the dead-letter queue through the hand-over again",
        "For each message in the instance's dead-letter queue: start the state machine its rule targets, "
        "with the input the rule's InputTransformer gives, and delete the message once started. Messages "
        "that cannot be used stay, with the reason. Redriving an event twice is harmless. Needs the 'aws' extra. "
        "Exit 0 when every message was started (or would be), 1 when some stay, 2 on bad input, 3 when AWS "
        "refused or did not answer.", _redrive)
    _add_stack_options(redrive)
    redrive.add_argument("--dry-run", action="store_true", help="list what it would do; start and delete nothing")
    redrive.add_argument("--max", dest="max_messages", help="handle at most this many messages (default: all)")

    _add_resume_command(commands)
    _add_fail_command(commands)
    _add_forget_command(commands)
    _add_verify_command(commands)

    local = _command(commands, "local", "serve the embedded emulator on 127.0.0.1 (Ctrl-C stops it)",
                     "Serve moto with this project's bridges on 127.0.0.1: print the endpoint and the exports for "
                     "the AWS CLI and boto3, then one line per deploy and per failed execution. Needs the 'local' "
                     "extra.", _local)
    local.add_argument("--port", type=int, default=5005, help="port (default: 5005)")
    local.add_argument("--fault-rate", type=float, default=0.0, metavar="R",
                       help="fail this share (0 to 1) of the DynamoDB and Step Functions calls that state machines "
                            "make, with the retriable errors AWS returns: throttling, 500s, and 500s after the call "
                            "went through (default: 0, none)")
    local.add_argument("--seed", type=int, metavar="S",
                       help="which calls fail: the same seed fails the same calls again (default: a random one, "
                            "printed)")
    local.add_argument("--verbose", action="store_true", help="also moto's own warnings and one line per request")

    _command(commands, "demo", "run the Translate example end to end in the embedded emulator",
             "Deploy the generic template into the embedded emulator, in this process, start a workflow that pauses, "
             "send the job's event and watch it resume. Needs the 'local' extra.", _demo)
    return parser


PARTITIONS = ("aws", "aws-cn", "aws-us-gov")
DEFAULT_SCAN_LIMIT = 1000


def _add_stack_options(parser) -> None:
    parser.add_argument("--stack", required=True, help="the name of the stack that holds the instance")
    parser.add_argument("--instance", help="its nameSuffix, when the stack holds several instances")
    parser.add_argument("--json", action="store_true", help="print JSON (keys: docs/OPERATING.md, Operating it)")


def _add_pause_options(parser) -> None:
    parser.add_argument("--query-language", choices=asl.QUERY_LANGUAGES, default=asl.JSONPATH,
                        help="the state's query language, as the workflow's (default: jsonpath)")
    parser.add_argument("--partition", default="aws", choices=PARTITIONS, help="partition of the ARNs (default: aws)")


def _init(args) -> int:
    if args.list:
        if args.service or args.name or args.output or args.with_samples:
            raise ConfigError(["--list: takes no SERVICE, --name, --with-samples or --output"])
        known = examples.examples()
        width = max(map(len, known))
        for name, service in known.items():
            print(f"{name:<{width}}  {service.title}")
        return 0
    if not args.service:
        raise ConfigError(["init: name a SERVICE (`sfn-resume init --list` lists them)"])
    service = examples.service(args.service)
    text = examples.starting_config(args.service, args.name, args.with_samples)
    if not args.with_samples:
        _write_files({args.output: text}, args.force)
        return 0
    samples = service.samples()
    if not args.output:
        raise ConfigError(["--with-samples: needs --output CONFIG_FILE: the samples are written beside it"])
    if not samples:
        raise ConfigError([f"--with-samples: {args.service!r} is a config of several services and has no samples of "
                           "its own; `sfn-resume init SERVICE --with-samples` writes each service's"])
    folder = Path(args.output).parent
    files = {args.output: text, **{str(folder / name): content for name, content in samples.items()}}
    _write_files(files, args.force, make_folders=[str(folder / "events")])
    print(f"sfn-resume: wrote {args.output} and beside it {', '.join(samples)}", file=sys.stderr)
    return 0


def _synth(args) -> int:
    config = load_config(args.config) if args.config else None
    if config and args.removal_policy != "DESTROY":
        raise ConfigError([f"--removal-policy: {args.removal_policy!r} is for the generic template (no CONFIG); "
                           "in a config, set removalPolicy per instance"])
    if args.nested:
        return _synth_nested(args, config)
    outputs = flat_outputs(config) if config else 0
    if outputs > MAX_OUTPUTS:
        raise ConfigError([f"{args.config}: {len(config.instances)} instances do not fit one flat "
                           f"template ({outputs} outputs; CloudFormation allows {MAX_OUTPUTS}): use --nested"])
    template = build_template(config, args.removal_policy)
    text = template.to_yaml()
    size, resources = len(text.encode()), len(template.resources)
    if resources > MAX_RESOURCES or size > MAX_TEMPLATE_BYTES_S3:  # outputs (checked above) usually bind first
        raise ConfigError([f"{args.config}: {len(config.instances)} instances do not fit one flat "
                           f"template ({resources} resources, {size:,} bytes; CloudFormation allows {MAX_RESOURCES} "
                           f"resources and {MAX_TEMPLATE_BYTES_S3:,} bytes from S3): use --nested"])
    _write_files({args.output: text}, args.force)
    if size > MAX_TEMPLATE_BYTES_INLINE:  # said once the template is out: a refused write says only why
        print(f"sfn-resume: note: the template is {size:,} bytes, above the {MAX_TEMPLATE_BYTES_INLINE:,} bytes "
              "CloudFormation takes inline: deploy it through S3 (`aws cloudformation deploy --s3-bucket BUCKET`, "
              "a TemplateURL; docs/IAC.md)", file=sys.stderr)
    return 0


def _synth_nested(args, config) -> int:
    if config is None or not args.output:
        raise ConfigError(["--nested: needs a CONFIG and --output PARENT.yaml (the child templates are written "
                           "beside it)"])
    if len(config.instances) > MAX_OUTPUTS:
        raise ConfigError([f"{args.config}: {len(config.instances)} instances: a parent template holds at most "
                           f"{MAX_OUTPUTS} (one output each); split the config"])
    folder = Path(args.output).resolve().parent
    children = {str(folder / name): policy for name, policy in child_templates(config).items()}
    if str(Path(args.output).resolve()) in children:
        raise ConfigError([f"--output: {args.output!r} is the name of a child template written beside the parent; "
                           "choose another name"])
    if surfaced_outputs(len(config.instances)) != SURFACED_OUTPUTS:
        print(f"sfn-resume: note: the parent surfaces only {', '.join(surfaced_outputs(len(config.instances)))} of "
              f"each child (CloudFormation allows {MAX_OUTPUTS} outputs); the rest are the child stacks' outputs",
              file=sys.stderr)
    files = {path: build_template(removal_policy=policy).to_yaml() for path, policy in children.items()}
    files[args.output] = build_parent_template(config).to_yaml()
    _write_files(files, args.force)
    return 0


def _parameters(args) -> int:
    instance = _one_instance(load_config(args.config), args.instance, args.config)
    values = generic_parameters(instance)
    words = [f"{key}={value}" for key, value in values.items()]
    if args.format == "json":
        text = json.dumps([{"ParameterKey": key, "ParameterValue": value} for key, value in values.items()], indent=2)
    elif args.format == "cfn-include":
        text = json.dumps(include_parameters(instance), indent=2)
    elif args.format == "overrides-json":
        text = json.dumps(words, indent=2)
    else:
        text = " \\\n".join(shlex.quote(word) for word in words)
    _write_files({args.output: text + "\n"}, args.force)
    if instance.removalPolicy != "DESTROY":
        print(f"sfn-resume: note: removalPolicy {instance.removalPolicy} is no Parameter: deploy the template "
              f"`sfn-resume synth --removal-policy {instance.removalPolicy}` writes", file=sys.stderr)
    return 0


def _catalog(args) -> int:
    _write_files({args.output: build_portfolio_template().to_yaml()}, args.force)
    return 0


def _pause_state(args) -> int:
    config = load_config(args.config)
    instances = [config.instance(args.instance)] if args.instance else list(config.instances)
    states = {i.nameSuffix: pause_state(i, args.next_state, args.partition, args.query_language, args.end)
              for i in instances}
    result = next(iter(states.values())) if len(states) == 1 else states
    print(json.dumps(result, indent=2))
    return 0


def _splice(args) -> int:
    from .splice import splice

    _one_stdin(args.config, args.workflow)
    instance = _one_instance(load_config(args.config), args.instance, args.config)
    where = "standard input" if args.workflow == STDIN else args.workflow
    text = read_input(args.workflow, f"--workflow: {where}: ", "the workflow")
    # A file's format is its extension's; standard input's is JSON when it starts as a JSON object
    as_json = args.workflow.lower().endswith(".json") or (args.workflow == STDIN and text.lstrip().startswith("{"))
    prefix = f"--workflow: {where}: "
    definition = parse_json(text, prefix) if as_json else parse_yaml(text, prefix)
    spliced = splice(definition, instance, args.after, args.name, args.partition, source=f"--workflow {where}")
    _write_files({args.output: json.dumps(spliced, indent=2) + "\n" if as_json else yaml.safe_dump(spliced, sort_keys=False)}, args.force)
    machine = f"SfnResume-{instance.nameSuffix}-Pause"
    print(f"sfn-resume: the workflow's role needs states:StartExecution on {machine} (attach the stack's "
          "PauseStatePolicyArn output)", file=sys.stderr)
    return 0


def _check(args) -> int:
    from .check import check_instance, read_json, require_object

    _one_stdin(args.config, args.event, args.state)
    config = load_config(args.config)
    instances = [config.instance(args.instance)] if args.instance else list(config.instances)
    event = require_object(read_json(args.event, "--event"), "--event", args.event)
    state = require_object(read_json(args.state, "--state"), "--state", args.state) if args.state else None
    acting = 0
    for instance in instances:
        verdict = check_instance(instance, event, state)
        print(f"{verdict.name_suffix}:")
        for line in verdict.lines:
            print(f"  {line}")
        acting += verdict.acts
    return 0 if acting else 1


def _one_stdin(*paths) -> None:
    if sum(path == STDIN for path in paths) > 1:
        raise ConfigError(["-: standard input can be read once; give at most one input as -"])


def _one_instance(config, name_suffix: str | None, source: str):
    if name_suffix:
        return config.instance(name_suffix)
    if len(config.instances) == 1:
        return config.instances[0]
    raise ConfigError([f"--instance: {source} has {len(config.instances)} instances; choose one of "
                       f"{', '.join(i.nameSuffix for i in config.instances)}"])


def _status(args) -> int:
    from . import operate

    _require_extra("status", "aws", ("boto3",))
    limit = _count(args.limit, "--limit")
    if "" in args.job_ids:
        raise ConfigError(["JOB_ID: '' is not allowed; expected a job id (a non-empty string)"])
    with operate.aws_errors():
        aws = operate.connect()
        instance = operate.find_instance(aws, args.stack, args.instance)
        if args.job_ids:
            jobs = operate.job_states(aws, instance, args.job_ids)
            _print(args.json, operate.jobs_json(jobs), operate.jobs_lines(jobs))
        else:
            summary = operate.summary(aws, instance, limit)
            _print(args.json, operate.summary_json(summary), operate.summary_lines(summary))
    return 0


def _redrive(args) -> int:
    from . import operate

    _require_extra("redrive", "aws", ("boto3",))
    max_messages = _count(args.max_messages, "--max") if args.max_messages is not None else None
    with operate.aws_errors():
        aws = operate.connect()
        report = operate.redrive(aws, operate.find_instance(aws, args.stack, args.instance), args.dry_run, max_messages)
    _print(args.json, operate.redrive_json(report), operate.redrive_lines(report))
    return 1 if any(message.action == operate.KEPT for message in report.messages) else 0


def _add_resume_command(commands) -> None:
    resume = _command(
        commands, "resume", "hand an event to the pause on a job, through the stack's resume machine",
        "Start the instance's resume machine with the input its rule gives a real event ({id, jobId, event}): the "
        "event resumes the pause waiting on JOB_ID, or (--early) waits for the pause to come, or is ignored when the "
        "job's hand-over is done already. Waits for the run and says which (docs/OPERATING.md, A workflow is stuck). Refused, "
        "with the reason and nothing started: an event the stack's resume rule would not hand over (a failure "
        "event: use fail; one that matches no pattern; another job's), and a job no pause waits on, without "
        "--early.", _resume)
    resume.add_argument("job_id", metavar="JOB_ID", help="the job id the pause waits on")
    resume.add_argument("--event", required=True, metavar="FILE",
                        help="the event (a JSON object, as EventBridge delivers it; '-' reads standard input)")
    resume.add_argument("--early", action="store_true",
                        help="the event comes before its pause: hand it over though no pause waits on JOB_ID yet")
    _add_stack_options(resume)


def _resume(args) -> int:
    from . import operate
    from .check import read_json, require_object

    _require_extra("resume", "aws", ("boto3",))
    _require_job_id(args.job_id)
    event = require_object(read_json(args.event, "--event"), "--event", args.event)
    return _hand_over(args, lambda aws, instance: operate.resume(aws, instance, args.job_id, event, args.early))


def _add_fail_command(commands) -> None:
    fail = _command(
        commands, "fail", "fail the pause on a job (SfnResume.JobFailed by default), through the stack's pause machine",
        "Start the instance's pause machine with a failure event for JOB_ID and the error and cause to fail its pause "
        "with, as the failure rule does for a real failure event: the pause waiting on JOB_ID fails, or (--early) the "
        "failure waits for the pause to come, or is ignored when the job's hand-over is done already (docs/OPERATING.md, A "
        "workflow is stuck). A job no pause waits on is refused without --early, with the reason.", _fail)
    fail.add_argument("job_id", metavar="JOB_ID", help="the job id the pause waits on")
    fail.add_argument("--error", default=asl.JOB_FAILED_ERROR, help=f"the error (default: {asl.JOB_FAILED_ERROR})")
    fail.add_argument("--cause", default=None, help="the cause (default: says it was failed by hand)")
    fail.add_argument("--early", action="store_true",
                      help="the pause is still to come: store the failure though no pause waits on JOB_ID yet")
    _add_stack_options(fail)


def _fail(args) -> int:
    from . import operate

    _require_extra("fail", "aws", ("boto3",))
    _require_job_id(args.job_id)
    cause = operate.DEFAULT_CAUSE if args.cause is None else args.cause
    operate.check_failure(args.error, cause)
    return _hand_over(args, lambda aws, instance: operate.fail(aws, instance, args.job_id, args.error, cause,
                                                               args.early))


def _add_verify_command(commands) -> None:
    from .protocol.scope import NAMES, SCOPES
    from .protocol.world import PROPERTIES

    verify = _command(
        commands, "verify", "explore every interleaving of a template's hand-over protocol (exit 0 none broke it)",
        "Read the state machines, rules and pause states of each sfn-resume instance in TEMPLATE (a shipped one, or "
        "your edited copy), and explore, breadth first, every interleaving of each scenario of the scope: runs "
        "restarted after any call, calls failing with every error their API documents, events redelivered, "
        "dead-lettered and redriven, the clock passing every expiry. The properties: a pause is answered at most "
        "once, only with an event of its own job, and never silently lost (docs/DESIGN.md). Exit 0 when nothing "
        "broke them (the counts explored are printed), 1 with the shortest trace to a violation, 2 on bad input. "
        "Needs the 'verify' extra.", _verify)
    verify.add_argument("templates", nargs="+", metavar="TEMPLATE", help="CloudFormation template (YAML or JSON)")
    verify.add_argument("--parameter", action="append", default=[], metavar="KEY=VALUE",
                        help="a Parameter's value (default: its Default; stand-ins for those without)")
    verify.add_argument("--scope", choices=SCOPES, default="default",
                        help="default (one fault per trace: under a minute a template) or large (every pair of "
                             "faults: some 22 minutes)")
    verify.add_argument("--scenario", choices=NAMES, help="explore only this scenario")
    verify.add_argument("--property", action="append", choices=PROPERTIES, dest="properties", metavar="PROPERTY",
                        help=f"check only this property (repeatable; default: all: {', '.join(PROPERTIES)})")
    verify.add_argument("--json", action="store_true", help="print the verdicts as JSON")


def _verify(args) -> int:
    _require_extra("verify", "verify", ("jsonata",))
    from .protocol.cfn import TemplateError
    from .protocol.verify import as_json, summary_line, trace_lines, verify
    from .protocol.world import PROPERTIES

    parameters = {}
    for given in args.parameter:
        key, equals, value = given.partition("=")
        if not equals or not key:
            raise ConfigError([f"--parameter {given!r}: write KEY=VALUE"])
        parameters[key] = value
    for template in args.templates:
        if not Path(template).is_file():
            raise ConfigError([f"{template}: no such file"])

    def progress(label, verdict):
        if not args.json:
            print(f"{label}: {summary_line(verdict)}", flush=True)
            if verdict.violation:
                print(f"  {verdict.violation.message}\n" + "\n".join(trace_lines(verdict)), flush=True)

    try:
        results = verify([Path(t) for t in args.templates], parameters, args.scope, args.scenario, progress,
                         tuple(args.properties or PROPERTIES))
    except TemplateError as error:
        raise ConfigError([str(error)]) from None
    for result in results:
        if result.same_as and not args.json:
            print(f"{result.template}: {result.instance}: the same machines as {result.same_as}: its verdicts stand")
        if result.stand_ins and not args.json:
            print(f"{result.template}: stand-ins for Parameters without a default: "
                  + ", ".join(f"{k}={v}" for k, v in sorted(result.stand_ins.items())))
    if args.json:
        print(json.dumps(as_json(results), indent=2))
    violated = any(r.violated for r in results)
    if not args.json:
        total = sum(v.worlds for r in results if not r.same_as for v in r.verdicts)
        print(f"sfn-resume verify: {'a property is broken' if violated else 'nothing found'} "
              f"({total:,} states explored, scope {args.scope})")
    return 1 if violated else 0


def _add_forget_command(commands) -> None:
    forget = _command(
        commands, "forget", "remove an early event that waits for its pause (one stored by mistake)",
        "Delete the early event stored for JOB_ID (by `resume --early`, `fail --early`, or an event that came before "
        "its pause), so that no pause to come takes it. Anything but an early event is refused, with the reason, "
        "and nothing is written; so is an early event a pause takes meanwhile.", _forget)
    forget.add_argument("job_id", metavar="JOB_ID", help="the job id the early event waits on")
    _add_stack_options(forget)


def _forget(args) -> int:
    from . import operate

    _require_extra("forget", "aws", ("boto3",))
    _require_job_id(args.job_id)
    with operate.aws_errors():
        aws = operate.connect()
        report = operate.forget(aws, operate.find_instance(aws, args.stack, args.instance), args.job_id)
    _print(args.json, operate.forget_json(report), [operate.forget_line(report)])
    return 0


def _hand_over(args, act) -> int:
    """Run `resume` or `fail`; 1 when the run failed or did not answer: the hand-over may not have happened."""
    from . import operate

    with operate.aws_errors():
        aws = operate.connect()
        report = act(aws, operate.find_instance(aws, args.stack, args.instance))
    if report.event_id_generated:
        print(f"sfn-resume: note: the event has no id: it was given {report.event_id} (the protocol recognises a "
              "duplicate by its id)", file=sys.stderr)
    _print(args.json, operate.hand_over_json(report), [operate.hand_over_line(report)])
    return 1 if report.outcome in operate.UNSURE else 0


def _require_job_id(job_id: str) -> None:
    if not job_id:
        raise ConfigError(["JOB_ID: '' is not allowed; expected a job id (a non-empty string)"])


def _count(text: str, option: str) -> int:
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        raise ConfigError([f"{option}: {show(text)} is not allowed; expected a whole number of at least 1"])
    return int(text)


def _print(as_json: bool, data: dict, lines: list[str]) -> None:
    print(json.dumps(data, indent=2) if as_json else "\n".join(lines))


def _require_extra(command: str, extra: str, modules: tuple[str, ...]) -> None:
    """One line naming the extra to install, instead of an ImportError's traceback."""
    missing = [module for module in modules if importlib.util.find_spec(module) is None]
    if missing:
        verb = "is" if len(missing) == 1 else "are"
        raise ConfigError([f"{command}: needs the '{extra}' extra ({', '.join(missing)} {verb} not installed): "
                           f"pip install 'sfn-resume[{extra}]'"])


def _require_emulator(command: str) -> None:
    _require_extra(command, "local", ("moto", "jsonata", "boto3"))
    from .local.patching import PINNED_MOTO_VERSION

    found = importlib.metadata.version("moto")
    if found != PINNED_MOTO_VERSION:
        raise ConfigError([f"{command}: the emulator's bridges are written for moto {PINNED_MOTO_VERSION}, and moto "
                           f"{found} is installed: pip install 'sfn-resume[local]' (it pins moto)"])


def _local(args) -> int:
    _require_emulator("local")
    from .local.server import ServeError, serve

    try:
        return serve(port=args.port, verbose=args.verbose, fault_rate=args.fault_rate, seed=args.seed)
    except ServeError as error:
        raise ConfigError([str(error)]) from None


def _demo(args) -> int:
    _require_emulator("demo")
    from .local.demo import run_demo

    return run_demo()


def _check_outputs(files: dict, force: bool, make_folders=()) -> None:
    """Every output file can be written: its folder exists (or is one of `make_folders`, in an existing folder) and
    is writable, it is no folder, and it exists only with the same content or when --force allows replacing it.
    Checked for all before any is written, so a refusal writes nothing."""
    for output, text in files.items():
        if not output:
            continue
        path = Path(output)
        folder = path.parent
        if str(folder) in make_folders and not folder.exists():
            folder = folder.parent  # the command creates it
        if path.is_dir():
            raise ConfigError([f"--output: {output!r} is a directory; expected a file name"])
        if not folder.is_dir():
            raise ConfigError([f"--output: {output!r}: the directory {str(folder)!r} does not exist; "
                               "create it first or choose another path"])
        if not os.access(folder, os.W_OK | os.X_OK):
            raise ConfigError([f"--output: {output!r}: the directory {str(folder)!r} is not writable; "
                               "choose another path"])
        if path.exists() and not force and not _holds(output, text):
            raise ConfigError([f"--output: {output!r} exists with other content; use --force to replace it"])


def _write_files(files: dict, force: bool, make_folders=()) -> None:
    """Print (the key None), or write every file once all can be; a file that holds the same content is left."""
    _check_outputs(files, force, make_folders)
    for folder in make_folders:
        try:
            Path(folder).mkdir(exist_ok=True)
        except OSError as error:
            raise ConfigError([f"--output: cannot create {folder!r} ({error.strerror})"]) from None
    for path, text in files.items():
        if path is None or not _holds(path, text):
            _write(text, path)


def _holds(path: str, text: str | None) -> bool:
    if text is None:
        return False
    try:
        return Path(path).read_text(encoding="utf-8") == text
    except (OSError, UnicodeDecodeError):
        return False


def _write(text: str, output: str | None) -> None:
    """Print, or write the file atomically: a failure never leaves a half-written template."""
    if not output:
        sys.stdout.write(text)
        return
    directory = Path(output).resolve().parent
    try:
        handle, temporary = tempfile.mkstemp(dir=directory, prefix=".sfn-resume-", suffix=".tmp")
    except OSError as error:
        raise ConfigError([f"--output: cannot write {output!r} ({error.strerror})"]) from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp's 0600 is for secrets: a template is read by others
        os.replace(temporary, output)
    except BaseException:
        os.unlink(temporary)
        raise


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


if __name__ == "__main__":
    sys.exit(main())
