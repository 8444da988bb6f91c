"""CloudFormation semantics, once: the resource schemas cfn-lint bundles (``schemas``), which
parameters and resources an expression refers to (``intrinsics``), and the evaluation of
Conditions and Rules for given parameter values (``evaluate``).

Everything here depends on cfn-lint's data and on nothing else of the project, so the docs, deploy,
constraints, the gates and the launch role's permissions share one reading of CloudFormation.
"""
