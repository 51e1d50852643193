"""sfn-resume: CloudFormation for the Step Functions pause/resume pattern, proven in a local emulator.

The public API: load a config, build templates, or add instances to a troposphere template of your own.
"""

__version__ = "0.4.0"

from .config import Config, ConfigError, InstanceConfig, load_config, parse_config  # noqa: E402
from .template import SfnResume, add_sfn_resume, build_generic_template, build_template  # noqa: E402

__all__ = [
    "Config",
    "ConfigError",
    "InstanceConfig",
    "SfnResume",
    "add_sfn_resume",
    "build_generic_template",
    "build_template",
    "load_config",
    "parse_config",
]
