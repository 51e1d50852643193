# sfn-resume's generic template as a CloudFormation stack that Terraform manages (docs/IAC.md, "Terraform").
#
#   sfn-resume synth -o sfn-resume.yaml                                 # the generic template, beside this file
#   sfn-resume parameters translate.yaml --format cfn-include           # the values a config sets, for tfvars
#   terraform init && terraform apply -var-file=translate.tfvars -var template_bucket=BUCKET
#
# The template goes through S3: it is above the 51,200 bytes CloudFormation takes inline (template_body), so it is
# uploaded to a bucket of yours (aws_s3_object) and the stack reads it from there (template_url: up to 1,000,000
# bytes). Its key holds the template's MD5, so a new template is a new URL and Terraform updates the stack. The file
# is uploaded as it is, never read with yamldecode(), which cannot read CloudFormation's short tags (!Ref, !Sub).
# aws_cloudformation_stack's parameters are strings: Terraform writes numbers and bools as text, a list is joined
# with commas.
terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}

variable "stack_name" {
  description = "The CloudFormation stack that holds the instance"
  type        = string
  default     = "translate-resume"
}

variable "template_bucket" {
  description = "An S3 bucket of yours, in the stack's region, that the template is uploaded to"
  type        = string
}

resource "aws_s3_object" "template" {
  bucket = var.template_bucket
  key    = "sfn-resume/${filemd5("${path.module}/sfn-resume.yaml")}.yaml"
  source = "${path.module}/sfn-resume.yaml"
}

resource "aws_cloudformation_stack" "sfn_resume" {
  name         = var.stack_name
  template_url = "https://${aws_s3_object.template.bucket}.s3.amazonaws.com/${aws_s3_object.template.key}"
  capabilities = ["CAPABILITY_IAM"]
  parameters = {
    NameSuffix                 = var.name_suffix
    PathToIdPauseTask          = var.path_to_id_pause_task
    PathToIdWorkflow           = var.path_to_id_workflow
    EventPattern               = var.event_pattern
    FailureEventPattern        = var.failure_event_pattern
    TimeoutSeconds             = var.timeout_seconds
    ResultPath                 = var.result_path
    ResumeWorkflowType         = var.resume_workflow_type
    EventRetentionSeconds      = var.event_retention_seconds
    LogRetentionDays           = var.log_retention_days
    LogLevel                   = var.log_level
    KmsKeyArn                  = var.kms_key_arn
    AnswerableStateMachineArns = join(",", var.answerable_state_machine_arns)
    LegacyPauseAccess          = var.legacy_pause_access
    CreateAlarms               = var.create_alarms
    AlarmTopicArn              = var.alarm_topic_arn
    CreateDashboard            = var.create_dashboard
  }
}

# What a workflow needs: attach the policy to its role, paste the pause state into its definition.
output "pause_state_policy_arn" {
  value = aws_cloudformation_stack.sfn_resume.outputs["PauseStatePolicyArn"]
}

output "pause_state" {
  value = aws_cloudformation_stack.sfn_resume.outputs["PauseState"]
}
