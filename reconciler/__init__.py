"""espform: declare an email service provider's configuration in YAML and reconcile it."""

__version__ = "0.1.0"
