"""`espform import`: write the config file of an account that already exists.

`run.import_account` reads the account through its provider; `convert.build_document`
turns the observed State into a document (sections per provider in `mailerlite.py`,
`mailchimp.py` and `segments.py`); `yaml_writer.write_yaml` writes it as commented
YAML; `verify.check` loads the text as `espform plan` would and diffs it against the
same State, so that the result plans no changes. Objects the config cannot hold are
written commented out, under a `# espform: ...` note that says why.
"""

from reconciler.importer.run import (
    ImportFailure,
    ImportRequest,
    ImportResult,
    LeftOut,
    import_account,
)

__all__ = ["ImportFailure", "ImportRequest", "ImportResult", "LeftOut", "import_account"]
