"""The publish configuration and command line: bad input stops the run with one line, before AWS."""

from __future__ import annotations

import pytest

from conftest import ROOT
from tooling import cli as build
from tooling.publish.config import ConfigError, check_version, load, version_key

REGIONS = {"sa-east-1", "us-east-1"}


@pytest.fixture
def config_file(tmp_path):
    """The committed catalog.yaml with its first product only: the base the loader tests vary."""
    products, rest = (ROOT / "catalog.yaml").read_text().split("\nbucket:", 1)
    first = "\n  - template: ".join(products.split("\n  - template: ")[:2])
    path = tmp_path / "catalog.yaml"
    path.write_text(first + "\nbucket:" + rest)
    return path


P = "products.timestream-influxdb"
#: A second registered product for the loader (the registry's own, plus one built in the tests).
REGISTERED = {
    "timestream-influxdb": None,
    "timestream-influxdb-launch-role": "timestream-influxdb",
    "small-product": None,
    "small-product-launch-role": "small-product",
}
SECOND = """  - template: small-product
    name: Small product
    owner: Platform team
    launch_role_name: SmallProductLaunchRole
"""


def with_second(config_file, entry=SECOND):
    text = config_file.read_text()
    at = text.index("bucket:")
    config_file.write_text(text[:at] + entry + text[at:])
    return config_file


def test_the_committed_file_loads(config_file):
    (config,) = load(config_file, known_regions=REGIONS).products
    assert config.template == "timestream-influxdb"
    assert config.launch_role_name == "TimestreamInfluxDBLaunchRole"
    assert config.product.slug == "timestream-for-influxdb"


def test_the_committed_file_lists_every_registered_product():
    from templates_src.registry import PRODUCTS

    catalog = load(ROOT / "catalog.yaml", known_regions=REGIONS)
    assert [c.template for c in catalog.products] == [spec.name for spec in PRODUCTS]


def roles_default_name(spec) -> str:
    return spec.build(spec.options()).to_dict()["Parameters"]["LaunchRoleName"]["Default"]


def test_every_listed_role_name_is_its_products_launch_role_default(config_file):
    from templates_src.registry import LAUNCH_ROLES

    for config in load(config_file, known_regions=REGIONS).products:
        assert config.launch_role_name == roles_default_name(LAUNCH_ROLES[config.template])


def test_products_share_everything_but_the_product(config_file):
    catalog = load(with_second(config_file), known_regions=REGIONS, products=REGISTERED)
    first, second = catalog.products
    assert (first.template, second.template) == ("timestream-influxdb", "small-product")
    assert second.launch_role_name == "SmallProductLaunchRole" and second.product.owner == "Platform team"
    for shared in ("portfolio", "bucket", "regions", "principals", "tag_options", "sse"):
        assert getattr(first, shared) == getattr(second, shared), shared
    assert catalog.select(["small-product"]).products == (second,)
    assert catalog.select(["Timestream for InfluxDB"]).products == (first,)
    assert catalog.select([]).products == (first, second)
    with pytest.raises(ConfigError, match="--product 'nope' is not in the configuration"):
        catalog.select(["nope"])


@pytest.mark.parametrize(
    "entry, message",
    [
        (
            SECOND.replace("small-product", "timestream-influxdb"),
            "template 'timestream-influxdb' is given to two",
        ),
        (
            SECOND.replace("Small product", "Timestream for InfluxDB"),
            "name 'Timestream for InfluxDB' is given to two",
        ),
        (SECOND.replace("Small product", "Timestream for InfluxDB!"), "S3 key segment"),
        (
            SECOND.replace("SmallProductLaunchRole", "TimestreamInfluxDBLaunchRole"),
            "launch_role_name 'Timest",
        ),
        (SECOND.replace("small-product", "nope"), "template 'nope' is not a registered template; products:"),
        (
            SECOND.replace("template: small-product", "template: small-product-launch-role"),
            "small-product-launch-role is the launch role of small-product, not a product",
        ),
        (SECOND.replace("    owner: Platform team\n", ""), r"products\[1\].owner is missing"),
        (SECOND.replace("    launch_role_name: SmallProductLaunchRole\n", ""), "launch_role_name is missing"),
        (SECOND + "    colour: blue\n", r"unknown key products\[1\].colour"),
        ("  - just a name\n", r"products\[1\] must be a mapping"),
    ],
)
def test_the_product_list_is_checked(config_file, entry, message):
    with pytest.raises(ConfigError, match=message) as err:
        load(with_second(config_file, entry), known_regions=REGIONS, products=REGISTERED)
    assert "\n" not in str(err.value)


def test_the_single_product_form_is_refused_with_how_to_convert(tmp_path):
    path = tmp_path / "catalog.yaml"
    path.write_text(
        "template: timestream-influxdb\nportfolio:\n  name: P\n  provider: Q\nproduct:\n  name: N\n"
        "  owner: O\nbucket: some-bucket\nlaunch_role_name: R\nregions: [sa-east-1]\n"
    )
    message = one_line(path)
    assert "template, product, launch_role_name is the single-product form" in message
    assert "products: [{template: <template>" in message and "docs/MIGRATION.md" in message
    assert "### `catalog.yaml`: a list of products" in (ROOT / "docs" / "MIGRATION.md").read_text()


def test_every_value_can_be_overridden(config_file):
    (config,) = load(
        config_file,
        [
            f"{P}.name=Influx",
            "portfolio.provider=Someone",
            "bucket=other-bucket",
            "regions=us-east-1,sa-east-1",
            "principals=arn:aws:iam::123456789012:role/A,arn:aws:iam::123456789012:group/B",
            "tag_options.Environment=dev,prod",
            f"{P}.launch_role_name=OtherRole",
            "shares.accounts=123456789012",
            "shares.organizational_units=ou-ab12-abcdefgh",
            "sse=aws:kms",
        ],
        known_regions=REGIONS,
    ).products
    assert config.product.name == "Influx" and config.portfolio.provider == "Someone"
    assert config.bucket == "other-bucket" and config.regions == ("us-east-1", "sa-east-1")
    assert len(config.principals) == 2
    assert ("Environment", "prod") in config.tag_options and (
        "CostCenter",
        "data-platform",
    ) in config.tag_options
    assert config.launch_role_name == "OtherRole" and config.sse == "aws:kms"
    assert config.share_accounts == ("123456789012",) and config.share_ous == ("ou-ab12-abcdefgh",)


@pytest.mark.parametrize(
    "override, message",
    [
        ("colour=blue", "unknown key; accepted: portfolio, products"),
        (f"{P}.colour=blue", f"unknown key; accepted: {P}.name"),
        ("products.nope.name=X", "no product with template 'nope'; listed: timestream-influxdb"),
        ("product.name=X", "the configuration lists products; use products.<template>.name="),
        ("launch_role_name=X", "use products.<template>.launch_role_name="),
        ("regions=mars-1", "'mars-1' is not a Region with Service Catalog"),
        ("bucket=Not_A_Bucket", "not a valid S3 bucket name"),
        ("principals=bob", "'bob' is not an IAM role, user or group ARN"),
        (f"{P}.launch_role_name=bad role", "not an IAM role name"),
        ("shares.accounts=1234", "not a 12-digit account id"),
        ("shares.organizational_units=r-abcd", "not an OU id"),
        ("template=nope", "use products.<template>.template="),
        ("sse=none", "sse 'none' is not accepted"),
        (f"{P}.support_email=nobody", "not an e-mail address"),
        (f"{P}.name=", r"products\[0\].name is missing"),
        ("tag_options.Env=" + ",".join(f"v{i}" for i in range(30)), "Service Catalog allows 25"),
        ("no-equals-sign", "is not KEY=VALUE"),
    ],
)
def test_bad_values_are_one_clear_line(config_file, override, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")) as err:
        load(config_file, [override], known_regions=REGIONS)
    assert "\n" not in str(err.value)


def test_regions_default_to_the_aws_settings_region(tmp_path, config_file):
    text = config_file.read_text().replace("regions: [sa-east-1]", "")
    assert "regions:" not in text
    config_file.write_text(text)
    assert load(config_file, default_region="us-east-1", known_regions=REGIONS).regions == ("us-east-1",)
    with pytest.raises(ConfigError, match="regions is missing and no default Region"):
        load(config_file, known_regions=REGIONS)


def test_an_unknown_key_in_the_file_is_refused(tmp_path):
    path = tmp_path / "catalog.yaml"
    path.write_text("bucket: some-bucket\nportfolo:\n  name: x\n")
    with pytest.raises(ConfigError, match="unknown key 'portfolo'"):
        load(path)


def test_a_missing_file_is_one_line(tmp_path):
    with pytest.raises(ConfigError, match="no configuration file"):
        load(tmp_path / "absent.yaml")


@pytest.mark.parametrize("good", ["1.2.0", "0.0.1", "10.20.30", "1.2.0-rc.1"])
def test_versions_accepted(good):
    assert check_version(good) == good


@pytest.mark.parametrize("bad", ["", "1.2", "v1.2.0", "01.2.0", "1.2.0.4", "1.2.0 "])
def test_versions_refused(bad):
    with pytest.raises(ConfigError):
        check_version(bad)


def test_versions_sort_semantically():
    ordered = ["0.9.0", "1.0.0-alpha", "1.0.0-rc.2", "1.0.0-rc.10", "1.0.0", "1.2.0", "1.10.0"]
    assert sorted(ordered, key=version_key) == ordered


# --- the command line -------------------------------------------------------------------------


def run_cli(capsys, *argv):
    status = build.main(["publish", *argv])
    out = capsys.readouterr()
    return status, out.out, out.err


def test_cli_bad_config_exits_2_with_one_line(capsys, config_file):
    status, out, err = run_cli(
        capsys, "--version", "1.0.0", "--config", str(config_file), "--set", "colour=1"
    )
    assert status == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert err.startswith("build.py publish: --set colour: unknown key")


def test_cli_bad_version_exits_2(capsys, config_file):
    status, _, err = run_cli(capsys, "--version", "1.x", "--config", str(config_file))
    assert status == 2 and "is not a version" in err


def test_cli_without_credentials_exits_2_before_building(capsys, config_file, monkeypatch, tmp_path):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", raising=False)
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", raising=False)
    status, _, err = run_cli(capsys, "--version", "1.0.0", "--config", str(config_file))
    assert status == 2 and "AWS credentials" in err and len(err.strip().splitlines()) == 1


def test_cli_refuses_a_template_with_findings(capsys, config_file, monkeypatch, tmp_path):
    import tooling.build.pipeline
    import tooling.publish

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")

    def dirty_build(specs, output_dir, *args, **kwargs):
        return tooling.build.pipeline.BuildResult(
            problems={specs[0].filename: ["cfn-lint x.yaml:1: W1234 bad"]}
        )

    def no_aws(target):
        raise AssertionError("no AWS client may be made for a template with findings")

    monkeypatch.setattr(tooling.build.pipeline, "build", dirty_build)
    monkeypatch.setattr(tooling.publish, "clients_for", no_aws)
    status, out, err = run_cli(
        capsys, "--version", "1.0.0", "--config", str(config_file), "--output-dir", str(tmp_path)
    )
    assert status == 2 and "1 finding(s); nothing was published" in err and out == ""


def test_cli_refuses_an_output_directory_it_cannot_write_before_building(
    capsys, config_file, monkeypatch, tmp_path
):
    import tooling.build.pipeline

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")

    def no_build(*args, **kwargs):
        raise AssertionError("nothing may be built (or gated) for an output it cannot write")

    monkeypatch.setattr(tooling.build.pipeline, "build", no_build)
    (tmp_path / "a-file").write_text("")
    unwritable = tmp_path / "a-file" / "o"
    argv = ["--version", "1.0.0", "--config", str(config_file), "--output-dir", str(unwritable)]
    status, out, err = run_cli(capsys, *argv)
    assert status == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert err.startswith(f"build.py publish: cannot write {unwritable}: ") and "not a directory" in err


@pytest.mark.slow  # the whole publish command, build and gates included
def test_cli_dry_run_end_to_end(capsys, config_file, monkeypatch, tmp_path):
    """build.py publish --dry-run: step 1 (build, no lint here), then the plan, nothing made."""
    from moto import mock_aws

    import tooling.build.pipeline
    import tooling.publish
    from test_publish import World

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    real_build = tooling.build.pipeline.build
    monkeypatch.setattr(
        tooling.build.pipeline,
        "build",
        lambda specs, out, **kw: real_build(specs, out, lint=False, log=kw.get("log", print)),
    )
    with mock_aws():
        world = World()
        monkeypatch.setattr(tooling.publish, "clients_for", lambda target: world.client_for)
        status, out, err = run_cli(
            capsys,
            "--version",
            "1.0.0",
            "--config",
            str(config_file),
            "--set",
            "bucket=catalog-templates-test",
            "--output-dir",
            str(tmp_path),
            "--dry-run",
        )
    assert status == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("publish 1/5 build    timestream-influxdb.yaml: built, 0 findings")
    assert any("create_portfolio(DisplayName='ONS Data Platform'" in line for line in lines)
    assert lines[-1].endswith("--dry-run: none made")
    assert world.mutating_calls() == []


def test_readme_publish_section_stays_true():
    import re

    from templates_src.registry import LAUNCH_ROLES
    from tooling.publish.config import ENTRY_KEYS, SCHEMA

    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("\n## Publish to Service Catalog\n") :]
    section = section[: section.find("\n## ", 1)] if "\n## " in section[1:] else section
    spec = LAUNCH_ROLES["timestream-influxdb"]
    assert f"--template-file output/{spec.filename}" in section
    role = (ROOT / "output" / spec.filename).read_text()
    for parameter in re.findall(r"--parameter-overrides ((?:\w+=\S+ ?)+)", section)[0].split():
        assert f"\n  {parameter.split('=')[0]}:\n" in role, parameter
    assert roles_default_name(spec) in section
    for key in re.findall(r"^\| `([a-z_]+)(?:\.[a-z_]+)?`", section, flags=re.M):
        assert key in SCHEMA, key
    for key in re.findall(r"^\| `products\[\]\.([a-z_]+)`", section, flags=re.M):
        assert key in ENTRY_KEYS, key
    for flag in re.findall(r"(--[a-z][a-z-]+)", section):
        assert flag in build.parser()._subparsers._group_actions[0].choices[
            "publish"
        ].format_help() or flag in (
            "--stack-name",
            "--template-file",
            "--capabilities",
            "--parameter-overrides",
            "--help",
        ), flag


# --- the loader: every malformed file is one line, before AWS -----------------------------------


def one_line(path, *overrides) -> str:
    with pytest.raises(ConfigError) as err:
        load(path, list(overrides), known_regions=REGIONS)
    message = str(err.value)
    assert "\n" not in message and len(message) < 400, message[:500]
    return message


@pytest.mark.parametrize(
    "content, message",
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "a binary file, not YAML text"),
        ("template: timestream-influxdb\nproduct:\n  name: Café\n".encode("latin-1"), "not UTF-8 text"),
        (b"\xff\xfe\x00t\x00e", "a binary file"),
    ],
    ids=["binary", "latin-1", "utf-16"],
)
def test_a_file_that_is_not_utf8_yaml_is_one_line(tmp_path, content, message):
    path = tmp_path / "catalog.yaml"
    path.write_bytes(content)
    assert message in one_line(path)


def test_a_directory_is_one_line(tmp_path):
    assert "is a directory" in one_line(tmp_path)


def test_a_duplicate_key_is_refused_not_overwritten(config_file):
    config_file.write_text(config_file.read_text() + "bucket: someone-elses-bucket\n")
    assert "key 'bucket' is given twice" in one_line(config_file)


def test_a_duplicate_nested_key_is_refused(config_file):
    text = config_file.read_text().replace("  name: ONS Data Platform\n", "  name: A\n  name: B\n")
    config_file.write_text(text)
    assert "key 'name' is given twice" in one_line(config_file)


@pytest.mark.parametrize(
    "line, message",
    [
        ("tag_options:\n  CostCenter: [null]\n", "tag_options.CostCenter: None is a YAML null"),
        (
            "tag_options:\n  CostCenter: [{a: b}]\n",
            "tag_options.CostCenter: {'a': 'b'} is not a single value",
        ),
        ("tag_options:\n  CostCenter:\n", "tag_options.CostCenter: None is a YAML null"),
        ("tag_options:\n  CostCenter: [yes]\n", "True is a YAML bool, not text"),
        ("tag_options:\n  Version: [1.10]\n", "1.1 is a YAML float"),
        ("shares:\n  accounts: [123456789012]\n", "shares.accounts: 123456789012 is a YAML int"),
        ("tag_options:\n  CostCenter: ['a{b}']\n", "does not accept"),
    ],
)
def test_values_that_are_not_text_are_refused(config_file, line, message):
    text = config_file.read_text()
    for section in ("tag_options:", "shares:"):
        text = text[: text.index(section)] if section in line and section in text else text
    config_file.write_text(text + line)
    assert message in one_line(config_file)


def test_an_alias_bomb_is_refused_without_expanding(tmp_path):
    rows = ['a0: &a0 ["' + "x" * 1000 + '"]']
    rows += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    path = tmp_path / "catalog.yaml"
    path.write_text("\n".join(rows) + "\nproduct:\n  name: *a8\n")
    assert "YAML aliases (*a0) are not accepted" in one_line(path)


def test_a_huge_file_is_not_read(tmp_path):
    path = tmp_path / "catalog.yaml"
    path.write_text("template: " + "x" * 5_000_000 + "\n")
    assert "larger than 256 KiB" in one_line(path)


def test_a_huge_value_is_clipped_in_the_message(config_file):
    message = one_line(config_file, "bucket=" + "a" * 5_000_000)
    assert "not a valid S3 bucket name" in message and "…" in message


@pytest.mark.parametrize("bucket", ["192.168.5.4", "xn--bucket", "bucket-s3alias", "my..bucket", "ab"])
def test_invalid_bucket_names_are_refused(config_file, bucket):
    assert "not a valid S3 bucket name" in one_line(config_file, f"bucket={bucket}")


def model_limit(shape_name):
    """A shape's maximum length, read straight from botocore's Service Catalog model."""
    import botocore.session

    model = botocore.session.get_session().get_service_model("servicecatalog")
    return model.shape_for(shape_name).metadata["max"]


@pytest.mark.parametrize(
    "key, shape",
    [
        (f"{P}.name", "ProductViewName"),
        (f"{P}.owner", "ProductViewOwner"),
        ("portfolio.name", "PortfolioDisplayName"),
        ("portfolio.provider", "ProviderName"),
        (f"{P}.support_description", "SupportDescription"),
    ],
)
def test_names_over_the_service_model_limits_are_refused(config_file, key, shape):
    longest = model_limit(shape)
    load(config_file, [f"{key}={'n' * longest}"], known_regions=REGIONS)  # the limit itself is accepted
    message = one_line(config_file, f"{key}={'n' * (longest + 1)}")
    assert f"longer than {longest} characters (Service Catalog's {shape})" in message


def test_tag_option_values_over_the_model_limit_are_refused(config_file):
    longest = model_limit("TagOptionValue")
    message = one_line(config_file, f"tag_options.CostCenter={'v' * (longest + 1)}")
    assert f"longer than {longest} characters" in message


@pytest.mark.parametrize("bad", ["1.2.0\n", "1.2.0\r\n", " 1.2.0", "1.2.0\x00"])
def test_versions_with_trailing_or_control_characters_are_refused(bad):
    with pytest.raises(ConfigError, match="is not a version"):
        check_version(bad)


def test_cli_refuses_a_version_with_a_newline(capsys, config_file):
    status, _, err = run_cli(capsys, "--version", "1.2.0\n", "--config", str(config_file))
    assert status == 2 and "'1.2.0\\n' is not a version" in err and len(err.strip().splitlines()) == 1


def test_deploy_still_reads_the_bucket_of_a_single_product_file(tmp_path):
    """Only publish needs the products: deploy's --s3-bucket default works with either form."""
    from tooling.publish.config import read_bucket

    path = tmp_path / "catalog.yaml"
    path.write_text("template: timestream-influxdb\nbucket: old-form-bucket\nlaunch_role_name: R\n")
    assert read_bucket(path) == "old-form-bucket"
    with pytest.raises(ConfigError, match="single-product form"):
        load(path)
