"""Reference documentation generated from the templates themselves: tables and a Mermaid diagram.

Pure logic (a template dict in, Markdown out) in ``tables`` and ``diagram``; ``sections`` puts
the result between marker comments in README.md and docs/OPERATIONS.md. Nothing here knows the
product's resources by name: tables list whatever a template declares, and the diagram derives
its nodes and edges from resource types and references, so a resource added to a template
appears in the README with the next ``make docs``.
"""

from .diagram import DIAGRAM_LEGEND, Diagram, build_diagram, mermaid, node_id, render_diagram
from .sections import (
    BEGIN,
    END,
    NOTICE,
    SECTIONS,
    DocsError,
    extract_section,
    generated_documents,
    operations_sections,
    registry_templates,
    render_documents,
    replace_sections,
    sections,
)
from .tables import (
    alarms_table,
    outputs_table,
    parameter_effects,
    parameter_effects_table,
    parameters_table,
    resources_table,
    retained_table,
    templates_table,
)

__all__ = [
    "BEGIN",
    "DIAGRAM_LEGEND",
    "END",
    "NOTICE",
    "SECTIONS",
    "Diagram",
    "DocsError",
    "alarms_table",
    "build_diagram",
    "extract_section",
    "generated_documents",
    "mermaid",
    "node_id",
    "operations_sections",
    "outputs_table",
    "parameter_effects",
    "parameter_effects_table",
    "parameters_table",
    "registry_templates",
    "render_documents",
    "render_diagram",
    "replace_sections",
    "resources_table",
    "retained_table",
    "sections",
    "templates_table",
]
