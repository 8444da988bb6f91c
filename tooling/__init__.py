"""What is done with the built templates: render, lint, validate, docs, publish, deploy."""
