"""The `sfn-resume` command: parse, call inwards, print, return an exit code."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

import yaml

from . import __version__, asl, catalogue
from .config import REMOVAL_POLICIES, ConfigError, load_config, parse_json, read_text
from .catalog import build_portfolio_template
from .nested import MAX_OUTPUTS, SURFACED_OUTPUTS, build_parent_template, child_templates, surfaced_outputs
from .patterns import show
from .template import build_template, flat_outputs, pause_state

USAGE_ERROR = 2
#: CloudFormation's template limits.
MAX_RESOURCES = 500
MAX_TEMPLATE_BYTES_INLINE = 51_200
MAX_TEMPLATE_BYTES_S3 = 1_000_000

#: (what it does, the command): `--help` prints each on lines of its own, which no terminal width rewraps.
HELP_EXAMPLES = [
    ("the services of the examples catalogue", "sfn-resume init --list"),
    ("a commented starting config for one of them", "sfn-resume init translate --name MyTranslateResume -o my.yaml"),
    ("the generic template (everything a Parameter)", "sfn-resume synth -o templates/sfn-resume.yaml"),
    ("a template with the config's instances built in", "sfn-resume synth examples/translate/config.yaml"),
    ("a parent with one child stack per instance",
     "sfn-resume synth examples/two-services/config.yaml --nested -o parent.yaml"),
    ("the pause state to paste into your workflow", "sfn-resume pause-state examples/translate/config.yaml"),
    ("the workflow with the pause inserted after a state",
     "sfn-resume splice examples/translate/config.yaml --workflow workflow.json --after StartTranslation"),
    ("would this event resume that workflow?",
     "sfn-resume check examples/translate/config.yaml --event examples/translate/events/success.json \\\n"
     "    --state examples/translate/state.json"),
    ("hand-overs waiting, the dead-letter queue, alarms firing", "sfn-resume status --stack translate-resume"),
    ("where one job's hand-over is", "sfn-resume status --stack translate-resume JOB_ID"),
    ("what redrive would do with the undelivered events", "sfn-resume redrive --stack translate-resume --dry-run"),
    ("hand a job's event to its pause by hand", "sfn-resume resume --stack translate-resume JOB_ID --event event.json"),
    ("fail a job's pause by hand", "sfn-resume fail --stack translate-resume JOB_ID --cause 'job lost'"),
    ("the embedded emulator, for any AWS client", "sfn-resume local --port 5005"),
    ("deploy, pause, send the event, resume: in process", "sfn-resume demo"),
]
EPILOG = "examples:\n" + "\n".join(f"  # {what}\n  {command}" for what, command in HELP_EXAMPLES)


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except ConfigError as error:
        for problem in error.problems:
            print(f"sfn-resume: {problem}", file=sys.stderr)
        return USAGE_ERROR


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sfn-resume",
        description="Synthesize CloudFormation for the Step Functions pause/resume pattern, and try it locally.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"sfn-resume {__version__}")
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

    init = commands.add_parser("init", help="write a starting config for a service from the examples catalogue",
                               description="Write the catalogue's commented config for SERVICE: its event patterns, "
                                           "both id paths and where each value comes from.")
    init.add_argument("service", nargs="?", metavar="SERVICE", help="a service of the catalogue (see --list)")
    init.add_argument("--list", action="store_true", help="list the catalogue's services")
    init.add_argument("--name", metavar="SUFFIX", help="the instance's nameSuffix (default: the example's)")
    init.add_argument("-o", "--output", help="file to write (default: standard output)")
    init.add_argument("--force", action="store_true", help="overwrite OUTPUT if it exists")
    init.set_defaults(run=_init)

    synth = commands.add_parser("synth", help="write a CloudFormation template (YAML)",
                                description="Write the generic template, or one built from CONFIG.")
    synth.add_argument("config", nargs="?", help="config file (YAML or JSON); omit for the generic template")
    synth.add_argument("-o", "--output", help="file to write (default: standard output)")
    synth.add_argument("--nested", action="store_true",
                       help="write a parent template with one child stack per instance to OUTPUT, and the child "
                            "(the generic template) beside it: sfn-resume.yaml, and sfn-resume-retain.yaml (or "
                            "-retain-on-update-or-delete.yaml) for instances with that removalPolicy")
    synth.add_argument("--removal-policy", choices=REMOVAL_POLICIES, default="DESTROY",
                       help="the generic template's table removal policy (default DESTROY); without CONFIG only")
    synth.set_defaults(run=_synth)

    catalog = commands.add_parser("catalog", help="write the Service Catalog portfolio template (YAML)",
                                  description="Write a portfolio with one product that provisions the generic "
                                              "template from a URL, a least-privilege launch role and its constraint.")
    catalog.add_argument("-o", "--output", help="file to write (default: standard output)")
    catalog.set_defaults(run=_catalog)

    pause = commands.add_parser("pause-state", help="print the pause state (ASL JSON) of a config's instance(s)")
    pause.add_argument("config", help="config file (YAML or JSON)")
    pause.add_argument("--instance", help="nameSuffix of one instance (default: all, keyed by nameSuffix)")
    pause.add_argument("--next", dest="next_state", help="the state to continue to (default: End)")
    _add_pause_options(pause)
    pause.set_defaults(run=_pause_state)

    splice = commands.add_parser(
        "splice", help="insert the pause state into a workflow definition, after a given state",
        description="Insert CONFIG's pause state into the ASL definition in --workflow (JSON or YAML), after the "
                    "state --after, which then continues to the pause; the pause takes over that state's Next (or "
                    "End). States in Parallel branches and Map item processors are found too. The pause is JSONata "
                    "when the workflow or the state is. Writes the definition in the workflow file's format.")
    splice.add_argument("config", help="config file (YAML or JSON)")
    splice.add_argument("--workflow", required=True, help="the workflow's ASL definition (JSON or YAML file)")
    splice.add_argument("--after", required=True, metavar="STATE", help="the state the pause follows")
    splice.add_argument("--name", help="the pause state's name (default: WaitFor<STATE>)")
    splice.add_argument("--instance", help="nameSuffix of the instance (needed when the config has several)")
    splice.add_argument("-o", "--output", help="file to write (default: standard output)")
    splice.add_argument("--partition", default="aws", choices=PARTITIONS, help="partition of the ARNs (default: aws)")
    splice.set_defaults(run=_splice)

    check = commands.add_parser(
        "check", help="would this event resume (or fail) a paused workflow? (exit 0 yes, 1 no)",
        description="Match a sample EventBridge event against each instance's patterns, extract the job id on both "
                    "sides, and say what the workflow would receive. Exit 0 when the event would resume or fail the "
                    "workflow, 1 when it would not act, 2 on bad input.")
    check.add_argument("config", help="config file (YAML or JSON)")
    check.add_argument("--event", required=True, help="a sample EventBridge event (JSON file)")
    check.add_argument("--state", help="a sample of the workflow's state at the pause (JSON file)")
    check.add_argument("--instance", help="nameSuffix of the instance to check (default: all)")
    check.set_defaults(run=_check)

    status = commands.add_parser(
        "status", help="where each job's hand-over is; or a summary of a deployed instance",
        description="Read a deployed instance (the stack's outputs) from the AWS endpoint boto3 is configured for "
                    "(AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL). With JOB_IDs: one line each, saying where its "
                    "hand-over is. Without: the table's items by shape, the dead-letter queue, the alarms in ALARM. "
                    "Exit 0 when it could answer, 2 when it could not (the reason in one line).")
    status.add_argument("job_ids", nargs="*", metavar="JOB_ID", help="job ids to look up (default: a summary)")
    _add_stack_options(status)
    status.add_argument("--limit", default=str(DEFAULT_SCAN_LIMIT),
                        help=f"the summary reads at most this many items (default: {DEFAULT_SCAN_LIMIT})")
    status.set_defaults(run=_status)

    redrive = commands.add_parser(
        "redrive", help="put the events in the dead-letter queue through the hand-over again",
        description="For each message in the instance's dead-letter queue: start the state machine its rule targets, "
                    "with the input the rule's InputTransformer gives, and delete the message once started. Messages "
                    "that cannot be used stay, with the reason. Redriving an event twice is harmless. Exit 0 when "
                    "every message was started (or would be), 1 when some stay, 2 on bad input.")
    _add_stack_options(redrive)
    redrive.add_argument("--dry-run", action="store_true", help="list what it would do; start and delete nothing")
    redrive.add_argument("--max", dest="max_messages", help="handle at most this many messages (default: all)")
    redrive.set_defaults(run=_redrive)

    _add_resume_command(commands)
    _add_fail_command(commands)

    local = commands.add_parser("local", help="serve the embedded emulator on 127.0.0.1 (Ctrl-C stops it)")
    local.add_argument("--port", type=int, default=5005, help="port (default: 5005)")
    local.set_defaults(run=_local)

    demo = commands.add_parser("demo", help="run the Translate example end to end in the embedded emulator")
    demo.set_defaults(run=_demo)
    return parser


PARTITIONS = ("aws", "aws-cn", "aws-us-gov")
DEFAULT_SCAN_LIMIT = 1000


def _add_stack_options(parser) -> None:
    parser.add_argument("--stack", required=True, help="the name of the stack that holds the instance")
    parser.add_argument("--instance", help="its nameSuffix, when the stack holds several instances")
    parser.add_argument("--json", action="store_true", help="print JSON (keys: README, Operating it)")


def _add_pause_options(parser) -> None:
    parser.add_argument("--query-language", choices=asl.QUERY_LANGUAGES, default=asl.JSONPATH,
                        help="the state's query language, as the workflow's (default: jsonpath)")
    parser.add_argument("--partition", default="aws", choices=PARTITIONS, help="partition of the ARNs (default: aws)")


def _init(args) -> int:
    if args.list:
        if args.service or args.name or args.output:
            raise ConfigError(["--list: takes no SERVICE, --name or -o"])
        known = catalogue.services()
        width = max(map(len, known))
        for name, service in known.items():
            print(f"{name:<{width}}  {service.title}")
        return 0
    if not args.service:
        raise ConfigError(["init: name a SERVICE (`sfn-resume init --list` lists them)"])
    text = catalogue.starting_config(args.service, args.name)
    if args.output and Path(args.output).exists() and not args.force:
        raise ConfigError([f"-o: {args.output!r} exists; use --force to overwrite it"])
    _check_output_path(args.output)
    _write(text, args.output)
    return 0


def _synth(args) -> int:
    config = load_config(args.config) if args.config else None
    if config and args.removal_policy != "DESTROY":
        raise ConfigError([f"--removal-policy: {args.removal_policy!r} is for the generic template (no CONFIG); "
                           "in a config, set removalPolicy per instance"])
    if args.nested:
        return _synth_nested(args, config)
    _check_output_path(args.output)
    outputs = flat_outputs(config) if config else 0
    if outputs > MAX_OUTPUTS:
        raise ConfigError([f"{args.config}: {len(config.instances)} instances do not fit one flat template "
                           f"({outputs} outputs; CloudFormation allows {MAX_OUTPUTS}): use --nested"])
    template = build_template(config, args.removal_policy)
    text = template.to_yaml()
    size, resources = len(text.encode()), len(template.resources)
    if resources > MAX_RESOURCES or size > MAX_TEMPLATE_BYTES_S3:  # outputs (checked above) usually bind first
        raise ConfigError([f"{args.config}: {len(config.instances)} instances do not fit one flat template "
                           f"({resources} resources, {size:,} bytes; CloudFormation allows {MAX_RESOURCES} resources "
                           f"and {MAX_TEMPLATE_BYTES_S3:,} bytes from S3): use --nested"])
    if size > MAX_TEMPLATE_BYTES_INLINE:
        print(f"sfn-resume: note: the template is {size:,} bytes: `aws cloudformation deploy` needs --s3-bucket "
              f"above {MAX_TEMPLATE_BYTES_INLINE:,} bytes (or use --nested)", file=sys.stderr)
    _write(text, args.output)
    return 0


def _synth_nested(args, config) -> int:
    if config is None or not args.output:
        raise ConfigError(["--nested: needs a CONFIG and -o PARENT.yaml (the child template is written beside it)"])
    _check_output_path(args.output)
    if len(config.instances) > MAX_OUTPUTS:
        raise ConfigError([f"{args.config}: {len(config.instances)} instances: a parent template holds at most "
                           f"{MAX_OUTPUTS} (one output each); split the config"])
    if surfaced_outputs(len(config.instances)) != SURFACED_OUTPUTS:
        print(f"sfn-resume: note: the parent surfaces only {', '.join(surfaced_outputs(len(config.instances)))} of "
              f"each child (CloudFormation allows {MAX_OUTPUTS} outputs); the rest are the child stacks' outputs",
              file=sys.stderr)
    folder = Path(args.output).resolve().parent
    files = {str(folder / name): build_template(removal_policy=policy).to_yaml()
             for name, policy in child_templates(config).items()}
    if str(Path(args.output).resolve()) in files:
        raise ConfigError([f"-o: {args.output!r} is the name of a child template written beside the parent; "
                           "choose another name"])
    files[args.output] = build_parent_template(config).to_yaml()
    for path, text in files.items():
        _write(text, path)
    return 0


def _catalog(args) -> int:
    _check_output_path(args.output)
    _write(build_portfolio_template().to_yaml(), args.output)
    return 0


def _pause_state(args) -> int:
    config = load_config(args.config)
    instances = [config.instance(args.instance)] if args.instance else list(config.instances)
    states = {i.nameSuffix: pause_state(i, args.next_state, args.partition, args.query_language) for i in instances}
    result = next(iter(states.values())) if len(states) == 1 else states
    print(json.dumps(result, indent=2))
    return 0


def _splice(args) -> int:
    from .splice import splice

    config = load_config(args.config)
    if args.instance:
        instance = config.instance(args.instance)
    elif len(config.instances) == 1:
        (instance,) = config.instances
    else:
        raise ConfigError([f"--instance: {args.config} has {len(config.instances)} instances; choose one of "
                           f"{', '.join(i.nameSuffix for i in config.instances)}"])
    _check_output_path(args.output)
    text = read_text(args.workflow, f"--workflow: {args.workflow}: ", "the workflow")
    as_json = args.workflow.lower().endswith(".json")
    definition = parse_json(text, f"--workflow: {args.workflow}: ") if as_json else _yaml(text, args.workflow)
    spliced = splice(definition, instance, args.after, args.name, args.partition, source=f"--workflow {args.workflow}")
    _write(json.dumps(spliced, indent=2) + "\n" if as_json else yaml.safe_dump(spliced, sort_keys=False), args.output)
    machine = f"SfnResume-{instance.nameSuffix}-Pause"
    print(f"sfn-resume: the workflow's role needs states:StartExecution on {machine} (attach the stack's "
          "PauseStatePolicyArn output)", file=sys.stderr)
    return 0


def _yaml(text: str, path: str):
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ConfigError([f"--workflow: {path}: not valid YAML or JSON: {getattr(error, 'problem', error)}"]) from None


def _check(args) -> int:
    from .check import check_instance, read_json, require_object

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


def _status(args) -> int:
    from . import operate

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

    max_messages = _count(args.max_messages, "--max") if args.max_messages is not None else None
    with operate.aws_errors():
        aws = operate.connect()
        report = operate.redrive(aws, operate.find_instance(aws, args.stack, args.instance), args.dry_run, max_messages)
    _print(args.json, operate.redrive_json(report), operate.redrive_lines(report))
    return 1 if any(message.action == operate.KEPT for message in report.messages) else 0


def _add_resume_command(commands) -> None:
    resume = commands.add_parser(
        "resume", help="hand an event to the pause on a job, through the stack's resume machine",
        description="Start the instance's resume machine with the input its rule gives a real event ({id, jobId, "
                    "event}): the event resumes the pause waiting on JOB_ID, or waits for the pause to come, or is "
                    "ignored when the job's hand-over is done already. Waits for the run and says which. Exit 0 "
                    "when the run ended, 1 when it failed or did not answer, 2 on bad input or no such stack.")
    resume.add_argument("job_id", metavar="JOB_ID", help="the job id the pause waits on")
    resume.add_argument("--event", required=True, metavar="FILE",
                        help="the event (a JSON object, as EventBridge delivers it; '-' reads standard input)")
    _add_stack_options(resume)
    resume.set_defaults(run=_resume)


def _resume(args) -> int:
    from . import operate
    from .check import require_object

    _require_job_id(args.job_id)
    text = sys.stdin.read() if args.event == "-" else read_text(args.event, f"--event: {args.event}: ", "the event")
    event = require_object(parse_json(text, f"--event: {args.event}: "), "--event", args.event)
    return _hand_over(args, lambda aws, instance: operate.resume(aws, instance, args.job_id, event))


def _add_fail_command(commands) -> None:
    fail = commands.add_parser(
        "fail", help="fail the pause on a job (SfnResume.JobFailed by default), through the stack's pause machine",
        description="Start the instance's pause machine with a failure event for JOB_ID and the error and cause to "
                    "fail its pause with, as the failure rule does for a real failure event: the pause waiting on "
                    "JOB_ID fails, or the failure waits for the pause to come, or is ignored when the job's "
                    "hand-over is done already. Exit 0 when that is seen, 1 when the run failed or did not answer, "
                    "2 on bad input or no such stack.")
    fail.add_argument("job_id", metavar="JOB_ID", help="the job id the pause waits on")
    fail.add_argument("--error", default="SfnResume.JobFailed", help="the error (default: SfnResume.JobFailed)")
    fail.add_argument("--cause", default=None, help="the cause (default: says it was failed by hand)")
    _add_stack_options(fail)
    fail.set_defaults(run=_fail)


def _fail(args) -> int:
    from . import operate

    _require_job_id(args.job_id)
    cause = operate.DEFAULT_CAUSE if args.cause is None else args.cause
    operate.check_failure(args.error, cause)
    return _hand_over(args, lambda aws, instance: operate.fail(aws, instance, args.job_id, args.error, cause))


def _hand_over(args, act) -> int:
    """Run `resume` or `fail`: exit 2 before anything starts (bad input, no such stack), 1 when AWS refuses or
    the run did not end as the protocol does."""
    from . import operate

    with operate.aws_errors():
        aws = operate.connect()
        instance = operate.find_instance(aws, args.stack, args.instance)
    try:
        with operate.aws_errors():
            report = act(aws, instance)
    except operate.AwsError as error:
        print(f"sfn-resume: {error.problems[0]}", file=sys.stderr)
        return 1
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


def _local(args) -> int:
    from .local.server import ServeError, serve

    try:
        return serve(port=args.port)
    except ServeError as error:
        raise ConfigError([str(error)]) from None


def _demo(args) -> int:
    from .local.demo import run_demo

    return run_demo()


def _check_output_path(output: str | None) -> None:
    if output and not Path(output).resolve().parent.is_dir():
        raise ConfigError([f"--output: {output!r}: the directory {str(Path(output).parent)!r} does not exist; "
                           "create it first or choose another path"])


def _write(text: str, output: str | None) -> None:
    """Print, or write the file atomically: a failure never leaves a half-written template."""
    if not output:
        sys.stdout.write(text)
        return
    directory = Path(output).resolve().parent
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".sfn-resume-", suffix=".tmp")
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
