"""CloudFormation template sources: what the project builds.

Each sub-package is one template with a ``build(options) -> troposphere.Template`` builder;
:mod:`templates_src.registry` names every template that ``make build`` writes.
"""
