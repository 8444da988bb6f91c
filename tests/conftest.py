"""Shared fixtures: the product template as built by the registry, as a plain dict."""

from __future__ import annotations

import ast
import atexit
import contextlib
import functools
import gc
import json
import os
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# boto3, botocore and the templates are imported where they are used: xdist's controller process,
# which runs no test, imports this module before it starts the workers (~0.4 s otherwise).

ROOT = Path(__file__).resolve().parent.parent
# moto makes ~30,000 sample AMIs for every EC2 backend it starts (~0.3 s per mock account); no test
# reads one. Set here, before any test starts moto, in-process or as a server.
os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
PRODUCT = "timestream-influxdb"
#: Launch values of the InfluxDB 3 product that its form requires and has no default for.
INFLUXDB3_REQUIRED = {
    "ProjectName": "demo",
    "VpcId": "vpc-0123456789abcdef0",
    "SubnetIds": "subnet-0123456789abcdef0,subnet-0123456789abcdef1",
    "S3PrefixListId": "pl-63a5400a",
    "ProcessedDataBucket": "processed-data",
    "RejectedDataBucket": "rejected-data",
}
#: The Lambda function of the product template that runs each function module.
FUNCTIONS = {
    "backup": "BackupFunction",
    "api_token": "TokenFunction",
    "token_worker": "TokenWorkerFunction",
    "parameter_group": "ParameterGroupFunction",
    "token_rotation": "TokenRotationFunction",
}
#: The function modules that are custom-resource handlers (they run the shared protocol); the
#: token worker is a plain handler, which the token function invokes, and the token rotation one,
#: which Secrets Manager invokes.
HANDLERS = {
    module: title for module, title in FUNCTIONS.items() if module not in ("token_worker", "token_rotation")
}


@functools.cache
def rendered_text(name: str) -> str:
    """Template ``name`` as ``build.py build`` renders it (its build options), once per test
    process: a dozen test modules read the same templates, and a render takes ~0.3 s."""
    from templates_src.registry import TEMPLATES
    from tooling.build.render import render

    return render(TEMPLATES[name])


def rendered_data(name: str) -> dict[str, Any]:
    """Template ``name`` as rendered, loaded back (new data each call)."""
    return yaml_data(rendered_text(name))


@pytest.fixture(scope="session")
def product_yaml() -> str:
    return rendered_text(PRODUCT)


@pytest.fixture(scope="session")
def product() -> dict[str, Any]:
    """The product template as CloudFormation sees it (JSON round trip of the troposphere dict)."""
    from templates_src.registry import TEMPLATES

    return json.loads(json.dumps(TEMPLATES[PRODUCT].build(TEMPLATES[PRODUCT].options()).to_dict()))


@functools.cache
def _flipped(text: str) -> str:
    from yaml_reader import to_json

    return to_json(text)


def yaml_data(text: str) -> dict[str, Any]:
    """A CloudFormation YAML text the build wrote (short-form intrinsics too) as data, as cfn-flip
    reads it (``yaml_reader``); new data each call, the text read once."""
    return json.loads(_flipped(text))


@pytest.fixture(autouse=True, scope="session")
def built_templates_read_with_libyaml() -> Iterator[None]:
    """The commands read a template with cfn-flip, whose pure-Python YAML parser takes ~0.15 s for a
    product's, and the tests run them in-process on the built templates in every test process. For
    a text of ``output/`` the tests' reader gives cfn-flip's very JSON with libyaml: the run's
    ``test_yaml_reader`` proves it on each of them (both ``make test`` and ``make test-fast`` run it;
    a run of a few files does not). Any other text (a user's, a changed one) still goes to cfn-flip,
    as does every command run in a process of its own."""
    from tooling.deploy import runner

    built = {path.read_text() for path in (ROOT / "output").glob("*.yaml")}
    cfn_flips = runner._yaml_as_json

    def as_json(text: str) -> str:
        return _flipped(text) if text in built else cfn_flips(text)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(runner, "_yaml_as_json", as_json)
        yield


@pytest.fixture(scope="session")
def rendered_product(product_yaml) -> dict[str, Any]:
    """The product template as rendered to YAML (what CloudFormation is given), loaded back."""
    return yaml_data(product_yaml)


@pytest.fixture(scope="session")
def gate_seed(tmp_path_factory):
    """The run's gate verdicts, made by one build shared by the xdist workers (``gate_cache``):
    the tests that build start from them, as a developer's next build does."""
    import gate_cache

    return gate_cache.gate_seed(tmp_path_factory)


@functools.cache
def offline_client(service: str) -> Any:
    """The process's one client of ``service`` for Stubbers (no credentials or network needed): a
    test that adds a handler, a Stubber or an attribute takes it off again (``monkeypatch``), or
    makes a client of its own, as the deploy tests do (some register handlers they leave)."""
    import boto3

    return boto3.client(service, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")


@contextlib.contextmanager
def stubbed(service: str) -> Iterator[Any]:
    """A client of ``service`` under a new Stubber (``client.stub``) for one test, which must make
    every call it expects. One client per process serves every test (making one takes ~5 ms): the
    Stubber's handlers leave with it, and a test that adds a handler of its own removes it."""
    from botocore.stub import Stubber

    client = offline_client(service)
    with Stubber(client) as stub:
        client.stub = stub
        try:
            yield client
            stub.assert_no_pending_responses()
        finally:
            del client.stub


@functools.cache
def _compiled(code: str) -> types.CodeType:
    return compile(code, "index.py", "exec")


def inlined_module(template: dict[str, Any], title: str) -> types.ModuleType:
    """Function ``title``'s ``Code.ZipFile`` in ``template``, exec'd as Lambda imports it: module
    ``index``, new for each call (a cold start: what it reads of its environment when it loads is
    read now)."""
    code = template["Resources"][title]["Properties"]["Code"]["ZipFile"]
    module = types.ModuleType("index")
    module.__file__ = "index.py"
    exec(_compiled(code), module.__dict__)
    return module


_LOADED: dict[str, types.ModuleType] = {}


def loaded_inlined_module(template: dict[str, Any], title: str) -> types.ModuleType:
    """Function ``title``'s inlined code as one module for the whole session, as Python imports the
    source module once: tests change either only with ``monkeypatch``, which undoes the change.
    Loading is not free (the token worker makes an SSL context, ~20 ms)."""
    code = template["Resources"][title]["Properties"]["Code"]["ZipFile"]
    if code not in _LOADED:
        _LOADED[code] = inlined_module(template, title)
    return _LOADED[code]


def function_module(request, name: str, rendered: dict[str, Any]) -> types.ModuleType:
    """For a fixture parametrized over ``source`` and ``inlined``: the function module ``name``
    as written in ``functions/``, or as the rendered template runs it (each loaded once)."""
    from importlib import import_module

    if request.param == "source":
        return import_module(f"templates_src.timestream_influxdb.functions.{name}")
    return loaded_inlined_module(rendered, FUNCTIONS[name])


def resources_of_type(template: dict[str, Any], type_: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == type_}


def substitute(sub: Any, values: dict[str, str]) -> str:
    """Resolve a ``Fn::Sub`` (string or [string, vars]) with sample values, as CloudFormation would."""
    import re

    if isinstance(sub, dict):
        sub = sub["Fn::Sub"]
    text, variables = (sub, {}) if isinstance(sub, str) else sub
    names = set(re.findall(r"\$\{([^}!]+)\}", text))
    missing = names - set(values) - set(variables)
    assert not missing, f"no sample value for {missing}"
    merged = {**values, **{k: values.get(k, f"<{k}>") for k in variables}}
    return re.sub(r"\$\{([^}!]+)\}", lambda m: merged[m.group(1)], text)


def marked_slow_as_a_whole(source: str) -> bool:
    """Whether a test module's top level sets ``pytestmark`` once, plainly, to ``pytest.mark.slow``
    (alone or in a list): pytest then marks every test of the module slow. Any other binding of the
    name (a second one, ``+=``, an annotation, inside an ``if``) is not judged here: False."""
    if "pytestmark" not in source:
        return False  # most modules: no parse
    tree = ast.parse(source)
    binds = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Name)
        and node.id == "pytestmark"
        and isinstance(node.ctx, ast.Store | ast.Del)
    ]
    plain = [
        node
        for node in tree.body
        if isinstance(node, ast.Assign)
        and len(node.targets) == 1
        and isinstance(node.targets[0], ast.Name)
        and node.targets[0].id == "pytestmark"
    ]
    if len(binds) != 1 or len(plain) != 1 or "import *" in source:
        return False
    value = plain[0].value
    values = value.elts if isinstance(value, ast.List | ast.Tuple) else [value]
    return any(ast.unparse(v) == "pytest.mark.slow" for v in values)


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """``-m "not slow"`` (``make test-fast``) does not import the modules that are slow as a whole:
    pytest would import and collect them only to deselect every test, about 1.5 s of each process's
    start (some compute their parameters by running a publish)."""
    if config.getoption("markexpr") != "not slow" or collection_path.suffix != ".py":
        return None
    if not collection_path.name.startswith("test_"):
        return None
    return True if marked_slow_as_a_whole(collection_path.read_text()) else None


def pytest_collection_finish(session: pytest.Session) -> None:
    """Everything collection made (the imported modules, botocore's and troposphere's tables, the
    test items) lives to the end of the process: ``gc.freeze()`` takes it out of the cyclic garbage
    collector's scans. The tests then make and drop many objects that outlive the youngest
    generation (stacks, clients, templates): with the default thresholds that meant about 25 full
    collections of ~500,000 objects, 3.5 s of a serial run, for a few megabytes of cycles they
    free. Fewer, later collections (the thresholds set below, at import) cost ~1 s and no more
    memory (peak RSS 303 MB either way)."""
    # Every botocore session reads the service models (JSON, up to several MB each) afresh through
    # a loader of its own; the tests make hundreds of sessions (each fake, each command run), so
    # they share one loader per data path, as the clients of one session do. The models are only
    # read. (Here, in the processes that run tests, not at import: see the imports above.)
    import botocore.session

    botocore.session.create_loader = functools.cache(botocore.session.create_loader)
    gc.collect()
    gc.freeze()


# From import on, not only after collection: collection (the test modules, what they import, ~1,500
# items) makes objects that all live to the end, and at the default threshold (700) the collector
# ran ~250 times over them before ``pytest_collection_finish`` froze them, ~0.15 s of each start.
gc.set_threshold(10_000, 10, 100)

# The process is ending: the interpreter's exit would otherwise run several full collections over
# what the tests made (~400,000 objects, ~0.8 s of each test process's exit), to find garbage that
# is freed with the process anyway. Registered when conftest is imported: the exit handlers
# registered later (by modules the tests import) run before it.
atexit.register(gc.freeze)
