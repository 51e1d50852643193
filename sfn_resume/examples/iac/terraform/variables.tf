# One variable per Parameter of sfn-resume's generic template (sfn-resume synth -o sfn-resume.yaml), with its
# type and default; a test checks them against the template's Parameters. Descriptions: the template's. The inert
# HeartbeatSeconds (ignored since 0.4) has none: the stack keeps its default.

variable "name_suffix" {
  description = "REQUIRED: Name suffix (NameSuffix)"
  type        = string
}

variable "path_to_id_pause_task" {
  description = "REQUIRED: Job id in the workflow state (PathToIdPauseTask)"
  type        = string
}

variable "path_to_id_workflow" {
  description = "REQUIRED: Job id in the event (PathToIdWorkflow)"
  type        = string
}

variable "event_pattern" {
  description = "REQUIRED: Success event pattern (EventPattern)"
  type        = string
}

variable "failure_event_pattern" {
  description = "Failure event pattern (FailureEventPattern)"
  type        = string
  default     = ""
}

variable "timeout_seconds" {
  description = "Pause timeout (seconds) (TimeoutSeconds)"
  type        = number
  default     = 86400
}

variable "result_path" {
  description = "Result path (ResultPath)"
  type        = string
  default     = ""
}

variable "resume_workflow_type" {
  description = "Resume workflow type (ResumeWorkflowType)"
  type        = string
  default     = "STANDARD"
}

variable "event_retention_seconds" {
  description = "Event retention (seconds) (EventRetentionSeconds)"
  type        = number
  default     = 86400
}

variable "log_retention_days" {
  description = "Log retention (days) (LogRetentionDays)"
  type        = number
  default     = 365
}

variable "log_level" {
  description = "Log level (LogLevel)"
  type        = string
  default     = "ERROR"
}

variable "kms_key_arn" {
  description = "KMS key ARN (KmsKeyArn)"
  type        = string
  default     = ""
}

variable "answerable_state_machine_arns" {
  description = "Workflows it may resume (AnswerableStateMachineArns)"
  type        = list(string)
  default     = []
}

variable "legacy_pause_access" {
  description = "Upgrading from 0.1 (LegacyPauseAccess)"
  type        = bool
  default     = false
}

variable "create_alarms" {
  description = "Alarms (CreateAlarms)"
  type        = bool
  default     = true
}

variable "alarm_topic_arn" {
  description = "Alarm topic ARN (AlarmTopicArn)"
  type        = string
  default     = ""
}

variable "create_dashboard" {
  description = "Dashboard (CreateDashboard)"
  type        = bool
  default     = false
}
