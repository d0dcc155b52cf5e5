"""Load and validate config files into typed provider settings and a desired State.

Public API: `load_config(path) -> Config`; raises `reconciler.errors.ConfigError` holding
every issue of the file as `file:line:col: message`, before any request is sent.
"""

from reconciler.config.loader import load_config
from reconciler.config.model import Config

__all__ = ["Config", "load_config"]
