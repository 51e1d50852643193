# sfn-resume: every target creates .venv itself, so each works from a fresh clone.
VENV := .venv
BIN := $(VENV)/bin
PYTHON ?= python3
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[local,dev,verify]'
	touch $(STAMP)

install: $(STAMP) ## create .venv and install the package with its local and dev extras

# The `cdk` extra (aws-cdk-lib, ~40 s to install), for the CDK tests (tests/e2e/test_cdk.py); make check skips them.
CDK := $(VENV)/.cdk-installed
$(CDK): $(STAMP)
	$(BIN)/pip install --quiet -e '.[cdk]'
	touch $(CDK)

# The reference JSONata comes with them: tests/local/test_jsonata_reference.py checks the emulator's engine against it.
# touch: the script leaves a tool already at its pin alone, and make would run it again every time.
SCANNERS := tools/.venv-checkov/bin/checkov tools/.npm-jsonata/node_modules/jsonata
$(SCANNERS): tools/install-scanners.sh
	tools/install-scanners.sh
	touch $@

scanners: $(SCANNERS) ## install cfn-guard (with the AWS Control Tower rules), checkov and the reference JSONata into tools/

# LocalStack, the scenarios' third engine: its own venv on a Python >= 3.12, and dynalite (tools/install-localstack.sh)
LOCALSTACK := tools/.venv-localstack/.ready
$(LOCALSTACK): tools/install-localstack.sh tools/find-python.sh setup.cfg
	tools/install-localstack.sh

localstack: $(LOCALSTACK) ## install LocalStack (offline, on the host) for the end-to-end scenarios' third engine

# The conformance lane: LocalStack 4.14.0's AWS-recorded tests (Apache-2.0, not part of this project) against
# `sfn-resume local`. It takes a LocalStack v4.14.0 source tree (git clone --branch v4.14.0
# https://github.com/localstack/localstack) beside this repository, or its path in AWS_RECORDED_TESTS. Its harness gets its own venv on a
# Python >= 3.13 (tools/install-conformance.sh). `make test` runs the lane when the tree is there, skips it otherwise.
AWS_RECORDED_TESTS ?= ../localstack-4.14.0
export AWS_RECORDED_TESTS
CONFORMANCE := tools/.venv-conformance/.ready
$(CONFORMANCE): tools/install-conformance.sh tools/find-python.sh
	tools/install-conformance.sh

test-aws-recorded: $(STAMP) $(CONFORMANCE) ## LocalStack's AWS-recorded tests, strict, on sfn-resume local; pass counts
	$(BIN)/python tools/aws_recorded.py --tests $(AWS_RECORDED_TESTS)

templates: $(STAMP) ## rewrite templates/ (and examples/iac/sam/workflow.asl.json) from the code and examples/
	$(BIN)/sfn-resume synth --force -o templates/sfn-resume.yaml
	$(BIN)/sfn-resume synth --removal-policy RETAIN --force -o templates/sfn-resume-retain.yaml
	@mkdir -p templates/examples
	@for config in examples/*/config.yaml; do \
	  name=$$(basename $$(dirname $$config)); \
	  $(BIN)/sfn-resume synth $$config --force -o templates/examples/$$name.yaml || exit 1; \
	done
	$(BIN)/sfn-resume synth examples/two-services/config.yaml --nested --force -o templates/nested-two-services.yaml
	$(BIN)/sfn-resume splice examples/translate/config.yaml --workflow examples/translate/workflow.json \
	  --after StartTranslation --force -o examples/iac/sam/workflow.asl.json 2>/dev/null
	@mkdir -p templates/service-catalog
	$(BIN)/sfn-resume catalog --force -o templates/service-catalog/portfolio.yaml

docs: $(STAMP) ## rewrite the generated tables of docs/ (the configuration guide's) from the code
	$(BIN)/python tools/docs.py

lint: $(STAMP) $(SCANNERS) ## cfn-lint (+ cfn-lint-serverless), cfn-guard and checkov on every template as shipped; ruff
	$(BIN)/python tools/scan.py
	$(BIN)/ruff check sfn_resume tests benchmarks tools

# One pytest worker per core; each test file runs on one worker, so its module fixtures (the built wheel) are made once.
# -rs: the reason of each skip (the conformance lane's, when there is no LocalStack tree).
test: $(STAMP) $(CDK) $(SCANNERS) $(LOCALSTACK) $(if $(wildcard $(AWS_RECORDED_TESTS)),$(CONFORMANCE)) ## run the whole test suite (unit, static scanners, end-to-end on every engine, LocalStack's AWS-recorded tests)
	$(BIN)/pytest -q -rs -n auto --dist loadfile

test-localstack: $(STAMP) $(LOCALSTACK) ## run the end-to-end scenarios on LocalStack only
	$(BIN)/pytest -q -n auto --dist loadfile -m localstack

# The fast lane: what needs neither the emulator, nor the scanners, nor minutes (setup.cfg lists the lanes).
check: $(STAMP) ## ruff, and the unit tests (no emulator, no scanners, nothing slow): under a minute
	$(BIN)/ruff check sfn_resume tests benchmarks tools
	$(BIN)/pytest -q -p no:xdist -m "unit and not slow"

demo: $(STAMP) ## deploy the Translate example into the embedded emulator and watch a workflow pause and resume
	$(BIN)/sfn-resume demo

verify: $(STAMP) ## explore every interleaving of the hand-over in each shipped template (sfn-resume verify)
	$(BIN)/sfn-resume verify templates/sfn-resume.yaml templates/sfn-resume-retain.yaml templates/examples/*.yaml

bench: $(STAMP) ## run the benchmarks and write benchmarks/results/
	$(BIN)/python -m benchmarks

clean: ## remove the virtualenv and caches
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info tools/.npm tools/.npm-jsonata tools/.venv-checkov \
	  tools/.npm-localstack tools/.venv-localstack tools/.venv-conformance
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

.PHONY: help install scanners localstack templates docs lint test test-localstack test-aws-recorded check demo bench clean
