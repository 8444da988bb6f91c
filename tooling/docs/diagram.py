"""The Mermaid diagram of a template: nodes, edges and groups derived from resource types and
Ref / Fn::GetAtt / Fn::Sub references, so a resource added to a template appears in it."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..cfn.intrinsics import parameters_in, resources_in
from .text import NAME_KEY, Template, expression

# Properties never searched for names: free text and tags repeat names without using them.
_NOT_SEARCHED = re.compile(r"(Description|^Tags)$")
_SG_RULE_TYPES = {"AWS::EC2::SecurityGroupIngress": "ingress", "AWS::EC2::SecurityGroupEgress": "egress"}
_SG_RULE_PEERS = {
    "SourceSecurityGroupId",
    "DestinationSecurityGroupId",
    "SourcePrefixListId",
    "DestinationPrefixListId",
}
_VPC_TYPES = {"AWS::EC2::VPC::Id"}
_SUBNET_TYPES = {"AWS::EC2::Subnet::Id", "List<AWS::EC2::Subnet::Id>"}
_DATABASE_TYPES = re.compile(
    r"^AWS::(Timestream::InfluxDB|RDS::DB|DynamoDB::|DocDB::|Neptune::|Redshift::Cluster)"
)


@dataclass
class Diagram:
    """Nodes, edges and groups of a flowchart, kept apart from the Mermaid text they become."""

    nodes: dict[str, str] = field(default_factory=dict)  # id -> node text (shape and label)
    conditional: set[str] = field(default_factory=set)
    edges: dict[tuple[str, str, str], list[str]] = field(default_factory=dict)  # (src, dst, style) -> labels
    groups: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # id -> (label, parent)
    members: dict[str, str] = field(default_factory=dict)  # node id -> group id

    def edge(self, src: str, dst: str, label: str, style: str = "ref") -> None:
        if src == dst:
            return
        labels = self.edges.setdefault((src, dst, style), [])
        if label and label not in labels:
            labels.append(label)


def node_id(logical_id: str) -> str:
    """A Mermaid-safe node id for a resource (logical ids are alphanumeric)."""
    return "r_" + re.sub(r"[^A-Za-z0-9]", "_", logical_id)


def external_id(kind: str, text: str) -> str:
    return f"{kind}_" + re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_")


def escape(text: str) -> str:
    """Text with the characters Mermaid's parser would read as syntax written as entity codes."""
    for char, entity in (("#", "#35;"), ('"', "#quot;"), ("<", "#lt;"), (">", "#gt;"), ("|", "#124;")):
        text = text.replace(char, entity)
    return text


def label(text: str) -> str:
    """A quoted Mermaid label, safe for any text."""
    return f'"{escape(text)}"'


def _short_type(resource_type: str) -> str:
    return resource_type[5:] if resource_type.startswith("AWS::") else resource_type


def _shape(logical_id: str, resource: Mapping[str, Any], condition: str | None) -> str:
    text = escape(logical_id) + "<br/><small>" + escape(_short_type(resource["Type"])) + "</small>"
    if condition:
        text += "<br/><i>if " + escape(condition) + "</i>"
    kind = resource["Type"]
    if _DATABASE_TYPES.match(kind):
        return f'[("{text}")]'
    if kind.startswith("Custom::") or kind == "AWS::CloudFormation::CustomResource":
        return '{{"' + text + '"}}'
    return f'["{text}"]'


def _port_label(rule: Mapping[str, Any], params: Mapping[str, Any]) -> str:
    protocol = str(rule.get("IpProtocol", "tcp"))
    if protocol == "-1":
        return "all traffic"

    def port(value: Any) -> str:
        if isinstance(value, Mapping) and "Ref" in value and value["Ref"] in params:
            p = params[value["Ref"]]
            return f"{value['Ref']} (default {p['Default']})" if "Default" in p else str(value["Ref"])
        return expression(value) if isinstance(value, Mapping) else str(value)

    low, high = rule.get("FromPort"), rule.get("ToPort")
    ports = port(low) if low == high or high is None else f"{port(low)}–{port(high)}"
    return f"{protocol} {ports}"


def _peer_group(value: Any, resources: Mapping[str, Any]) -> str | None:
    found = list(resources_in(value, resources))
    return found[0] if found else None


def _is_loopback(cidr: str) -> bool:
    try:
        return ipaddress.ip_network(cidr, strict=False).is_loopback
    except ValueError:
        return False


def _flows(d: Diagram, template: Template) -> set[int]:
    """Allowed network flows from security-group rules, inline and standalone.

    Returns the ids of rule objects drawn as flows, so their references are not drawn again.
    A rule to a loopback address matches no traffic (it only replaces the default allow-all
    egress), so it is not a flow.
    """
    resources, params = template.get("Resources", {}), template.get("Parameters", {})
    drawn: set[int] = set()

    def add(group: str, direction: str, rule: Mapping[str, Any]) -> None:
        drawn.add(id(rule))
        ports = _port_label(rule, params)
        peer_key = "SourceSecurityGroupId" if direction == "ingress" else "DestinationSecurityGroupId"
        peer = _peer_group(rule.get(peer_key), resources) if peer_key in rule else None
        here = node_id(group)
        if peer:
            there = node_id(peer)
        else:
            cidr = rule.get("CidrIp") or rule.get("CidrIpv6")
            if not isinstance(cidr, str) or _is_loopback(cidr):
                return
            there = external_id("net", cidr)
            d.nodes.setdefault(there, "[" + label(cidr) + "]")
            if rule.get("Description"):
                ports += ": " + str(rule["Description"])
        src, dst = (there, here) if direction == "ingress" else (here, there)
        d.edge(src, dst, ports, style="flow")

    for name, r in resources.items():
        props = r.get("Properties", {})
        if r["Type"] == "AWS::EC2::SecurityGroup":
            for key, direction in (("SecurityGroupIngress", "ingress"), ("SecurityGroupEgress", "egress")):
                rules = props.get(key, [])
                for rule in rules if isinstance(rules, list) else []:
                    if isinstance(rule, Mapping):
                        add(name, direction, rule)
        elif r["Type"] in _SG_RULE_TYPES:
            group = _peer_group(props.get("GroupId"), resources)
            if group:
                add(group, _SG_RULE_TYPES[r["Type"]], props)
    return drawn


def _trust_edges(d: Diagram, template: Template) -> None:
    """Service principals a role trusts: ``lambda.amazonaws.com --assumes--> role``."""
    for name, r in template.get("Resources", {}).items():
        if r["Type"] != "AWS::IAM::Role":
            continue
        statements = r.get("Properties", {}).get("AssumeRolePolicyDocument", {}).get("Statement", [])
        for statement in statements if isinstance(statements, list) else [statements]:
            services = (
                statement.get("Principal", {}).get("Service", []) if isinstance(statement, Mapping) else []
            )
            for service in [services] if isinstance(services, str) else services:
                if isinstance(service, str):
                    there = external_id("svc", service)
                    d.nodes.setdefault(there, "([" + label(service) + "])")
                    d.edge(there, node_id(name), "assumes")


def _name_identities(resources: Mapping[str, Any]) -> dict[str, str]:
    """Canonical name expression -> logical id, for names other resources may repeat.

    A ``Name`` property wins over a ``<Something>Name`` one (an instance and a dashboard may
    share a name; an alarm dimension means the instance); a tie of equals is ambiguous and dropped.
    """
    found: dict[str, list[tuple[int, str]]] = {}
    for name, r in resources.items():
        for key, value in r.get("Properties", {}).items():
            if NAME_KEY.match(key) and isinstance(value, Mapping):
                text = _sub_text(value)
                if text and "${" in text:
                    found.setdefault(text, []).append((0 if key == "Name" else 1, name))
    identities = {}
    for text, owners in found.items():
        owners.sort()
        if len(owners) == 1 or owners[0][0] < owners[1][0]:
            identities[text] = owners[0][1]
    return identities


def _sub_text(value: Any) -> str | None:
    if isinstance(value, Mapping) and set(value) == {"Fn::Sub"}:
        arg = value["Fn::Sub"]
        if isinstance(arg, str):
            return arg
        if (
            isinstance(arg, list)
            and len(arg) >= 1
            and isinstance(arg[0], str)
            and not (len(arg) > 1 and arg[1])
        ):
            return arg[0]
    return None


def _strings(node: Any) -> Iterator[str]:
    """Every Fn::Sub string under ``node``, outside free text and tags."""
    if isinstance(node, list):
        for item in node:
            yield from _strings(item)
    elif isinstance(node, Mapping):
        if "Fn::Sub" in node and len(node) == 1:
            arg = node["Fn::Sub"]
            if isinstance(arg, str):
                yield arg
            elif isinstance(arg, list) and arg:
                if isinstance(arg[0], str):
                    yield arg[0]
                if len(arg) > 1 and isinstance(arg[1], Mapping):
                    yield from _strings(list(arg[1].values()))
            return
        for key, value in node.items():
            if not _NOT_SEARCHED.search(str(key)):
                yield from _strings(value)


def _mentions(text: str, name: str) -> bool:
    """``name`` appears in ``text`` as a whole name, not as the start of a longer one."""
    start = text.find(name)
    while start >= 0:
        before = text[start - 1] if start else ""
        after = text[start + len(name)] if start + len(name) < len(text) else ""
        if not re.match(r"[A-Za-z0-9/_-]", before) and not re.match(r"[A-Za-z0-9_-]", after):
            return True
        start = text.find(name, start + 1)
    return False


def _top_level_refs(
    props: Mapping[str, Any], resources: Mapping[str, Any], skip: set[int]
) -> Iterator[tuple[str, str]]:
    """(property, target) for every reference, under the top-level property that holds it."""
    for key, value in props.items():
        yield from ((key, target) for target in resources_in(_without(value, skip), resources))


def _without(node: Any, skip: set[int]) -> Any:
    """``node`` without the objects whose id is in ``skip`` (rules already drawn as flows)."""
    if id(node) in skip:
        return None
    if isinstance(node, list):
        return [_without(item, skip) for item in node]
    if isinstance(node, Mapping):
        return {k: _without(v, skip) for k, v in node.items()}
    return node


def build_diagram(template: Template) -> Diagram:
    """The template as nodes and edges: resources, network flows, trust, references by id and name."""
    resources = template.get("Resources", {})
    params = template.get("Parameters", {})
    d = Diagram()

    vpc_params = [p for p, v in params.items() if v.get("Type") in _VPC_TYPES]
    subnet_params = [p for p, v in params.items() if v.get("Type") in _SUBNET_TYPES]
    vpc_group = subnet_group = None
    if vpc_params:
        vpc_group = external_id("vpc", vpc_params[0])
        d.groups[vpc_group] = (f"VPC (parameter {vpc_params[0]})", None)
    if subnet_params:
        subnet_group = external_id("subnets", subnet_params[0])
        d.groups[subnet_group] = (f"Subnets (parameter {subnet_params[0]})", vpc_group)

    for name, r in resources.items():
        nid = node_id(name)
        d.nodes[nid] = _shape(name, r, r.get("Condition"))
        if "Condition" in r:
            d.conditional.add(nid)
        used = parameters_in(r.get("Properties", {}), template)
        if subnet_group and used & set(subnet_params):
            d.members[nid] = subnet_group
        elif vpc_group and used & set(vpc_params):
            d.members[nid] = vpc_group

    for name, r in resources.items():
        if r["Type"] in _SG_RULE_TYPES:
            group = _peer_group(r.get("Properties", {}).get("GroupId"), resources)
            if group and node_id(group) in d.members:
                d.members[node_id(name)] = d.members[node_id(group)]

    drawn = _flows(d, template)
    _trust_edges(d, template)

    for name, r in resources.items():
        props = r.get("Properties", {})
        if r["Type"] in _SG_RULE_TYPES:
            # The rule is drawn as a flow; here only the group it belongs to.
            group = _peer_group(props.get("GroupId"), resources)
            if group:
                d.edge(node_id(name), node_id(group), "GroupId")
            props = {k: v for k, v in props.items() if k != "GroupId" and k not in _SG_RULE_PEERS}
        for key, target in _top_level_refs(props, resources, drawn):
            d.edge(node_id(name), node_id(target), key)
        depends = r.get("DependsOn", [])
        for target in [depends] if isinstance(depends, str) else depends:
            if target in resources:
                d.edge(node_id(name), node_id(target), "DependsOn")

    identities = _name_identities(resources)
    for name, r in resources.items():
        for key, value in r.get("Properties", {}).items():
            if _NOT_SEARCHED.search(key) or NAME_KEY.match(key):
                continue
            texts = list(_strings(value))
            for identity, owner in identities.items():
                if owner != name and any(_mentions(text, identity) for text in texts):
                    d.edge(node_id(name), node_id(owner), f"{key} (by name)")
    return d


def mermaid(template: Template) -> str:
    """The template's architecture as a Mermaid flowchart (without the code fence)."""
    return render_diagram(build_diagram(template))


def render_diagram(d: Diagram) -> str:
    lines = ["flowchart LR"]
    children: dict[str | None, list[str]] = {}
    for gid, (_, parent) in d.groups.items():
        children.setdefault(parent, []).append(gid)
    in_group: dict[str | None, list[str]] = {}
    for nid in d.nodes:
        in_group.setdefault(d.members.get(nid), []).append(nid)

    def emit(group: str | None, depth: int) -> None:
        pad = "    " * depth
        for gid in children.get(group, []):
            if not _group_used(gid, children, in_group):
                continue
            lines.append(f"{pad}subgraph {gid} [{label(d.groups[gid][0])}]")
            emit(gid, depth + 1)
            lines.append(f"{pad}end")
        for nid in in_group.get(group, []):
            lines.append(f"{pad}{nid}{d.nodes[nid]}")

    emit(None, 1)
    for (src, dst, style), labels in d.edges.items():
        text = ", ".join(labels)
        dashed = src in d.conditional or dst in d.conditional
        arrow = "==>" if style == "flow" else ("-.->" if dashed else "-->")
        lines.append(f"    {src} {arrow}" + (f"|{label(text)}|" if text else "") + f" {dst}")
    lines.append("    classDef conditional stroke-dasharray: 5 5")
    lines.append("    classDef external fill:#f4f4f4,stroke:#999")
    if d.conditional:
        lines.append("    class " + ",".join(n for n in d.nodes if n in d.conditional) + " conditional")
    externals = [n for n in d.nodes if not n.startswith("r_")]
    if externals:
        lines.append("    class " + ",".join(externals) + " external")
    return "\n".join(lines)


def _group_used(
    gid: str, children: Mapping[str | None, list[str]], in_group: Mapping[str | None, list[str]]
) -> bool:
    return bool(in_group.get(gid)) or any(_group_used(c, children, in_group) for c in children.get(gid, []))


DIAGRAM_LEGEND = (
    "Boxes are the template's resources (logical id and type); dashed boxes and arrows exist only "
    "when the condition shown holds. Thick arrows are the network flows the security groups allow; "
    "thin arrows point from a resource to what it refers to (labelled with the property that "
    "refers to it, or *by name* when it repeats the other's name, as an alarm's dimension does); "
    "grey shapes are outside the stack."
)
