"""Plan renderers: human text, and a versioned JSON document for machines."""
