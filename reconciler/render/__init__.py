"""Plan and drift renderers: human text, Markdown for PR comments, versioned JSON."""
