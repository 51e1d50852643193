# The examples catalogue's Translate config (examples/translate/config.yaml) as variables: what
# `sfn-resume parameters translate.yaml --format cfn-include` gives, in snake_case; the rest keep their defaults.
name_suffix           = "TranslationTranslateResume"
path_to_id_pause_task = "$.startTextTranslationJob.JobId"
path_to_id_workflow   = "$.detail.jobId"
event_pattern         = "{\"source\":[\"aws.translate\"],\"detail-type\":[\"Translate TextTranslationJob State Change\"],\"detail\":{\"jobStatus\":[\"COMPLETED\"]}}"
failure_event_pattern = "{\"source\":[\"aws.translate\"],\"detail-type\":[\"Translate TextTranslationJob State Change\"],\"detail\":{\"jobStatus\":[\"FAILED\",\"STOPPED\",\"COMPLETED_WITH_ERROR\"]}}"
timeout_seconds       = 21600
result_path           = "$.translation"
