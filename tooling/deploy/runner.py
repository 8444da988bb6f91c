"""The deploy itself: the boto3 calls, in order, around the pure decisions of :mod:`.plan`.

1. validate the parameter file offline (nothing is sent to AWS when it has a problem);
2. upload the template to the S3 bucket under a content-addressed key (skipped when that very template
   is there: an object of other content at the key is refused);
3. create a change set that reads it by TemplateURL (CREATE or UPDATE), wait for it, print it as a table;
4. refuse, and delete the change set, when it replaces or deletes a protected resource, or lowers a
   backup retention parameter below the stack's current value, unless ``allow_data_loss``;
5. execute it, stream the stack events until the stack is stable, print the outputs.

Exit status: 0 success (also "no changes", a dry run and a change set left for review), 1 the
deploy failed or was refused (any AWS error included), 2 invalid input, 130 interrupted (the stack
operation goes on). The protective stack policy is set again after a lifted one once the update
ends, or the command to set it is printed when the deploy stops following an update that goes on;
it is set on every deploy where it differs from the template's. Once ExecuteChangeSet was sent, an
AWS error while following the stack is retried, then said with how to follow it (exit 1).
"""

from __future__ import annotations

import functools
import json
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from templates_src.registry import TemplateSpec, spec_for_file

from ..aws import AwsProblem, explain
from . import params as params_
from . import plan

EXIT_OK, EXIT_FAILED, EXIT_INVALID, EXIT_INTERRUPTED = 0, 1, 2, 130
CAPABILITIES = ["CAPABILITY_IAM"]
NO_CHANGES = ("didn't contain changes", "No updates are to be performed", "No changes")


@dataclass
class DeployOptions:
    stack_name: str
    template_path: Path
    params_path: Path
    allow_data_loss: bool = False
    dry_run: bool = False
    no_execute: bool = False
    poll_seconds: float = 5.0
    environ: Mapping[str, str] = field(default_factory=dict)
    #: The S3 bucket the template is uploaded to (CloudFormation reads it from there).
    bucket: str | None = None
    #: A local endpoint for CloudFormation and S3 (moto); the template URL then points at it.
    endpoint_url: str | None = None
    #: The Region the stack is deployed in, when known before any AWS call (for offline checks
    #: that depend on it, such as alarm topics in the stack's Region).
    region: str | None = None

    @property
    def spec(self) -> TemplateSpec | None:
        """The registered template the file is, by name: its secrets, protected types and value
        checks (a file of any other name gets the checks its own Parameters and Rules give)."""
        return spec_for_file(self.template_path)

    @property
    def protected_types(self) -> tuple[str, ...]:
        return self.spec.protected_types if self.spec else ()

    @property
    def retention_parameters(self) -> tuple[str, ...]:
        return self.spec.retention_parameters if self.spec else ()

    @property
    def renaming_parameters(self) -> tuple[str, ...]:
        return self.spec.renaming_parameters if self.spec else ()

    @property
    def fixed_parameters(self) -> tuple[str, ...]:
        return self.spec.fixed_parameters if self.spec else ()


class DeployError(Exception):
    """Invalid input the user can fix (template, bucket name, parameter file); one line, exit status 2.

    Failures talking to AWS (credentials, Region, network, a refused call, a missing bucket) are
    :class:`tooling.aws.AwsProblem` instead: exit status 1.
    """


def resolve_bucket(given: str | None, catalog: Path) -> str:
    """``--s3-bucket``, else the ``bucket:`` of the publish configuration; DeployError when neither."""
    from ..publish.config import ConfigError, check_bucket, read_bucket

    try:
        bucket = check_bucket(given) if given else (read_bucket(catalog) if catalog.is_file() else None)
    except ConfigError as err:
        raise DeployError(str(err)) from None
    if not bucket:
        raise DeployError(f"no S3 bucket for the template: pass --s3-bucket or set bucket: in {catalog}")
    return bucket


def upload_template(
    s3: Any, options: DeployOptions, body: bytes, out: Callable[[str], None], owner: str | None = None
) -> str:
    """Put the template in the bucket (unless this very template is there already); the URL to read it from.

    The key is derived from the template's hash, which anyone can compute from the committed
    template: an object already at that key is read and compared byte for byte before it is trusted
    (someone else who may write the bucket could have put another template there first; CloudFormation
    would then run theirs with CAPABILITY_IAM). With ``owner`` (the caller's account), every call
    names it as the bucket's owner: S3 answers 403 for a bucket of another account (a name freed
    and taken by someone else, or mistyped), so the template never goes to their bucket.
    """
    from botocore.exceptions import ClientError

    bucket = options.bucket or ""
    key = plan.template_key(options.template_path.stem, body)
    owned = {"ExpectedBucketOwner": owner} if owner else {}
    try:
        head = s3.head_bucket(Bucket=bucket, **owned)
    except ClientError as err:
        raise AwsProblem(_bucket_problem(bucket, err, "read")) from None
    headers = head.get("ResponseMetadata", {}).get("HTTPHeaders", {})
    region = head.get("BucketRegion") or headers.get("x-amz-bucket-region") or s3.meta.region_name
    url = plan.template_url(bucket, key, region, plan.s3_dns_suffix(region), options.endpoint_url)
    existing = _existing_object(s3, bucket, key, len(body), owned)
    if existing is None:
        out(f"deploy  uploading the template to s3://{bucket}/{key}")
        try:
            s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/x-yaml", **owned)
        except ClientError as put_err:
            raise AwsProblem(_bucket_problem(bucket, put_err, "write to")) from None
    elif existing != body:
        raise AwsProblem(
            f"s3://{bucket}/{key} holds another template than {options.template_path.name} under this "
            "template's hash: someone else wrote it; nothing was deployed. Check who may write to bucket "
            f"{bucket!r}, and delete that object or deploy through another bucket (--s3-bucket)"
        )
    else:
        out(f"deploy  template already in s3://{bucket}/{key} (its content checked)")
    out(f"        TemplateURL {url}")
    return url


def _existing_object(s3: Any, bucket: str, key: str, size: int, owned: dict | None = None) -> bytes | None:
    """The object at ``key``, None when there is none; at most ``size`` + 1 bytes are read (enough
    to tell a larger object from the template without reading all of it)."""
    from botocore.exceptions import ClientError

    try:
        got = s3.get_object(Bucket=bucket, Key=key, **(owned or {}))
    except ClientError as err:
        if _code(err) in ("404", "NoSuchKey", "NotFound"):
            return None
        raise AwsProblem(_bucket_problem(bucket, err, "read")) from None
    stream = got["Body"]
    try:
        return stream.read(size + 1)
    finally:
        stream.close()


def _code(err: Any) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))


def _bucket_problem(bucket: str, err: Any, verb: str) -> str:
    code = _code(err)
    if code in ("404", "NoSuchBucket", "NotFound"):
        return f"bucket {bucket!r} does not exist; create it, or pass another with --s3-bucket"
    if code in ("403", "AccessDenied", "Forbidden"):
        return (
            f"AWS denied these credentials the right to {verb} bucket {bucket!r} ({code}), or the "
            "bucket is not their account's; use a role allowed s3:GetObject and s3:PutObject on a "
            "bucket of this account, or another bucket (--s3-bucket)"
        )
    return f"bucket {bucket!r}: {explain(err)}"


@functools.lru_cache(maxsize=8)
def _yaml_as_json(text: str) -> str:
    """cfn-flip's JSON for a YAML template text, remembered for a few texts: preflight and deploy
    read the same template, and PyYAML takes ~0.15 s for the product's (a new dict each load)."""
    import cfn_flip

    return cfn_flip.to_json(text)


def load_template(path: Path) -> dict[str, Any]:
    """A YAML or JSON template as a plain dict, intrinsic short forms expanded (!Ref -> Ref)."""
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(_yaml_as_json(text)) if not text.lstrip().startswith("{") else json.loads(text)
    except Exception as err:  # OSError, UnicodeError, JSON and YAML errors, RecursionError (deep nesting)
        raise DeployError(f"{path} is not a readable YAML or JSON template: {_first_line(err)}") from None
    if not isinstance(data, dict):
        raise DeployError(f"{path} is not a CloudFormation template (not a mapping)")
    return data


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__


def validate_offline(
    options: DeployOptions, template: Mapping[str, Any], out: Callable[[str], None]
) -> params_.ParameterSet | None:
    """Step 1; prints every problem and returns None when there is any."""
    found = params_.read_and_check(
        options.params_path, template, options.environ, options.spec, options.region
    )
    if found.problems:
        out(f"deploy  {options.params_path}: {len(found.problems)} problem(s); nothing was sent to AWS")
        for problem in found.problems:
            out(f"  - {problem}")
        variables = sorted(
            {
                v
                for n, v in (options.spec.secret_env if options.spec else {}).items()
                if any(p.parameter.startswith(f"{n} (environment variable") for p in found.problems)
            }
        )
        where = f" and the environment variable(s) {', '.join(variables)}" if variables else ""
        out(f'Fix {options.params_path} (format: a JSON array of "Key=Value" strings){where} and run again.')
        return None
    secrets = ", ".join(sorted(found.from_env)) or "none"
    out(
        f"deploy  {options.params_path}: valid ({len(found.values)} value(s); secrets from the environment: {secrets})"
    )
    if found.unchecked_rules:
        out(
            f"        not checked offline (CloudFormation checks them): rule(s) {', '.join(found.unchecked_rules)}"
        )
    return found


class Deployer:
    """One deploy against a CloudFormation client (a real one, a Stubber-wrapped one or moto's)."""

    def __init__(
        self,
        cf: Any,
        out: Callable[[str], None] = print,
        sleep: Callable[[float], None] = time.sleep,
        change_set_name: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.cf = cf
        self.out = out
        self.sleep = sleep
        self.clock = clock
        self.change_set_name = change_set_name or (
            "deploy-" + datetime.now(UTC).strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]
        )

    # --- the steps -------------------------------------------------------------------------------

    def run(
        self,
        options: DeployOptions,
        template_url: str,
        template: Mapping[str, Any],
        values: params_.ParameterSet,
    ) -> int:
        try:
            return self._run(options, template_url, template, values)
        except KeyboardInterrupt:
            # Only reached before ExecuteChangeSet (execute() handles its own interruption).
            self.out(
                "\ndeploy  interrupted before executing: the stack's resources are unchanged. A change set may be "
                "left; delete it with\n"
                f"        aws cloudformation delete-change-set --stack-name {options.stack_name} "
                f"--change-set-name {self.change_set_name}"
            )
            return EXIT_INTERRUPTED

    def _run(
        self,
        options: DeployOptions,
        template_url: str,
        template: Mapping[str, Any],
        values: params_.ParameterSet,
    ) -> int:
        name = options.stack_name
        stack = self.describe_stack(name)
        action = plan.stack_action(name, stack["StackStatus"] if stack else None)
        if action.kind == "REFUSE":
            self.out(f"deploy  refused: {action.message}")
            return EXIT_FAILED
        parameters = self.parameters(template, values, stack if action.kind == "UPDATE" else None)
        if action.kind == "UPDATE":
            fixed = plan.fixed_changes(stack.get("Parameters", []), parameters, options.fixed_parameters)
            if fixed:
                for change in fixed:
                    self.out(f"deploy  refused: {change}")
                self.out(
                    f"        No change set was made. Put back the stack's value in {options.params_path}, "
                    "or create a new stack with the new value and move the data to it."
                )
                return EXIT_FAILED
        self.out(f"deploy  creating change set {self.change_set_name} ({action.kind}) for stack {name}")
        created = self.cf.create_change_set(
            StackName=name,
            ChangeSetName=self.change_set_name,
            TemplateURL=template_url,
            Parameters=parameters,
            Capabilities=CAPABILITIES,
            ChangeSetType=action.kind,
            Description=f"build.py deploy --params {options.params_path}",
        )
        change_set_id = created["Id"]
        described = self.wait_for_change_set(change_set_id, name, options.poll_seconds)
        if described["Status"] == "FAILED":
            reason = described.get("StatusReason", "")
            self.delete_change_set(change_set_id, name, action.kind)
            if any(marker in reason for marker in NO_CHANGES):
                return self.up_to_date(options, template, action.kind)
            self.out(f"deploy  the change set failed: {reason}")
            return EXIT_FAILED

        changed = plan.changed_parameters((stack or {}).get("Parameters", []), parameters, values.from_env)
        analysis = plan.analyse(
            described["Changes"], template, changed, protected_types=options.protected_types
        )
        if analysis.empty:
            self.delete_change_set(change_set_id, name, action.kind)
            return self.up_to_date(options, template, action.kind)
        self.out(plan.table(analysis.rows))

        decreases = plan.retention_decreases(
            (stack or {}).get("Parameters", []), parameters, options.retention_parameters
        )
        if analysis.data_loss or decreases:
            for loss in analysis.data_loss:
                self.out(f"DATA LOSS  {plan.describe_loss(loss)}")
            for decrease in decreases:
                self.out(f"DATA LOSS  {decrease}")
            if not options.allow_data_loss:
                self.delete_change_set(change_set_id, name, action.kind)
                self.refuse(options, analysis, decreases)
                return EXIT_FAILED
            self.out("deploy  --allow-data-loss: executing anyway")

        if options.dry_run:
            self.delete_change_set(change_set_id, name, action.kind)
            self.out("deploy  dry run: change set deleted, nothing executed")
            return EXIT_OK
        if options.no_execute:
            self.out(f"deploy  change set left for review: {change_set_id}")
            self.out(
                f"        review:  aws cloudformation describe-change-set --change-set-name {change_set_id}"
            )
            self.out(
                f"        execute: aws cloudformation execute-change-set --change-set-name {change_set_id}"
            )
            if analysis.data_loss and action.kind == "UPDATE":
                self.out(
                    "        (the stack policy denies the replacement: see README, 'Deploy with CloudFormation')"
                )
            return EXIT_OK
        return self.execute(options, template, change_set_id, action.kind, bool(analysis.data_loss))

    def up_to_date(self, options: DeployOptions, template: Mapping[str, Any], kind: str) -> int:
        """No changes: the stack is the template's, so its policy must be the template's too (a
        policy left allow-all by an interrupted deploy is set back here)."""
        if kind == "UPDATE" and not (options.dry_run or options.no_execute):
            self.assert_policy(options.stack_name, plan.stack_policy(template, options.protected_types))
        self.out(f"deploy  no changes: stack {options.stack_name} is up to date")
        return EXIT_OK

    def refuse(
        self, options: DeployOptions, analysis: plan.Analysis, decreases: list[plan.RetentionDecrease]
    ) -> None:
        """Say why the change set was refused, what executing it would really do, and the way out."""
        causing = analysis.causing_parameters()
        if analysis.data_loss:
            self.out(
                "deploy  refused: this change set would replace or delete the database, a secret or the key. "
                "The change set was deleted."
            )
            renames = [p for p in causing if p in options.renaming_parameters]
            if renames:
                self.out(
                    f"        {', '.join(renames)} renames the instance: the stack would get a new, empty "
                    "database and new secrets (the old ones are retained outside the stack)."
                )
            elif options.renaming_parameters and all(loss.what == "replace" for loss in analysis.data_loss):
                # The resources have fixed names: CloudFormation cannot create the replacement beside
                # the original ("cannot update a stack when a custom-named resource requires replacing").
                self.out(
                    "        Their names do not change, so CloudFormation cannot replace them: executing would "
                    "fail and roll back, with or without --allow-data-loss."
                )
        if decreases:
            self.out(
                "deploy  refused: this update lowers backup retention: backups are kept for less time, and "
                "those older than the new retention are deleted. The change set was deleted."
            )
        names = [*causing, *(d.parameter for d in decreases if d.parameter not in causing)]
        if names:
            self.out(
                f"        Put back the previous value of {', '.join(names)} in {options.params_path}"
                f" (or the environment), or, to accept the loss, run again with --allow-data-loss."
            )
        else:
            self.out(
                "        Undo the template change above, or, to accept the loss, run again with --allow-data-loss."
            )

    def execute(
        self, options: DeployOptions, template: Mapping[str, Any], change_set_id: str, kind: str, lossy: bool
    ) -> int:
        """Execute the change set and follow it; the protective stack policy is back on every path.

        An ``--allow-data-loss`` update lifts the policy for its own execution and sets it again once
        the stack is stable. When the deploy stops following an operation that goes on (Ctrl-C, AWS
        unreachable while following), the policy is not set back in the middle of that update (which
        could deny the very replacement it executes): the command to set it is printed instead.
        """
        name = options.stack_name
        wanted = plan.stack_policy(template, options.protected_types)
        lifted = False
        state = "before"  # before / executing (the call was sent) / started (CloudFormation accepted it)
        try:
            if kind == "UPDATE":
                if lossy:
                    self.out(
                        "deploy  lifting the stack policy for this update (--allow-data-loss); "
                        "it is set again when the update ends"
                    )
                    lifted = True  # before the call: a lost answer may still have lifted it
                    self.cf.set_stack_policy(
                        StackName=name, StackPolicyBody=plan.policy_json(plan.ALLOW_ALL_POLICY)
                    )
                else:
                    self.assert_policy(name, wanted)
            seen = {e["EventId"] for e in self.recent_events(name)} if kind == "UPDATE" else set()
            state = "executing"
            self.execute_change_set(change_set_id, name)
            state = "started"
            self.out(f"deploy  executing {change_set_id}")
            status = self.watch(name, seen, options.poll_seconds)
        except KeyboardInterrupt:
            self.out(f"\ndeploy  interrupted: {self.interrupted_state(name, kind, state)}")
            if lifted and state != "before":
                self.defer_policy(name, wanted)
            elif lifted:
                self.restore_policy(name, wanted)
            elif kind == "CREATE" and state != "before":
                self.out(
                    "        then set the stack policy (or deploy again, which sets it): aws cloudformation "
                    f"set-stack-policy --stack-name {name} --stack-policy-body '{json.dumps(wanted)}'"
                )
            return EXIT_INTERRUPTED
        except LostTrack as lost:
            self.out(f"deploy  cannot follow the stack ({lost}): {self.interrupted_state(name, kind, state)}")
            if lifted:
                self.defer_policy(name, wanted)
            elif kind == "CREATE":
                self.out(
                    "        then set the stack policy (or deploy again, which sets it): aws cloudformation "
                    f"set-stack-policy --stack-name {name} --stack-policy-body '{json.dumps(wanted)}'"
                )
            return EXIT_FAILED
        except BaseException:
            if lifted and state == "started":
                self.defer_policy(name, wanted)
            elif lifted:
                self.restore_policy(name, wanted)
            raise
        if lifted:
            self.restore_policy(name, wanted)
        elif kind == "CREATE" and status in plan.SUCCESS_STATES:
            self.cf.set_stack_policy(StackName=name, StackPolicyBody=plan.policy_json(wanted))
            protected = ", ".join(plan.protected_resources(template, options.protected_types))
            self.out(f"deploy  stack policy set: Update:Replace and Update:Delete denied on {protected}")
        if status not in plan.SUCCESS_STATES:
            after = plan.stack_action(name, status)
            hint = (
                after.message.split(": ", 1)[-1]
                if after.kind == "REFUSE"
                else "Fix the cause and deploy again."
            )
            self.out(f"deploy  failed: stack {name} is {status}; the events above say why. {hint}")
            return EXIT_FAILED
        self.print_outputs(name)
        self.out(f"deploy  done: stack {name} is {status}")
        return EXIT_OK

    def execute_change_set(self, change_set_id: str, name: str) -> None:
        """ExecuteChangeSet. botocore resends it when an answer is lost (a read timeout); if the first
        attempt was applied, the resent one finds the change set executing and CloudFormation answers
        InvalidChangeSetStatus: after a retry, that answer means it has probably started."""
        from .. import aws

        try:
            self.cf.execute_change_set(ChangeSetName=change_set_id, StackName=name)
        except Exception as err:
            retried = getattr(err, "response", {}).get("ResponseMetadata", {}).get("RetryAttempts", 0)
            if aws.error_code(err) != "InvalidChangeSetStatus" or not retried:
                raise
            self.out(
                "deploy  ExecuteChangeSet was sent again after its answer was lost, and the change set is no "
                "longer executable: it has probably started; following the stack"
            )

    def defer_policy(self, name: str, wanted: Mapping[str, Any]) -> None:
        """The operation goes on: say how to set the protective policy once it ends, not now."""
        self.out(
            "deploy  the stack policy still allows every update (lifted for this update); it is not set "
            "back while the update runs, which could deny the replacement it executes. Once the stack is "
            f"UPDATE_COMPLETE, deploy again (it sets the policy) or run: aws cloudformation set-stack-policy "
            f"--stack-name {name} --stack-policy-body '{json.dumps(wanted)}'"
        )

    @staticmethod
    def interrupted_state(name: str, kind: str, state: str) -> str:
        """What an interruption at ``state`` left: the stack's operation is never cancelled."""
        follow = (
            f"\n        follow it: aws cloudformation describe-stack-events --stack-name {name}"
            f"\n        or wait:   aws cloudformation wait stack-{kind.lower()}-complete --stack-name {name}"
        )
        if state == "before":
            return "the change set was not executed; the stack's resources are unchanged"
        if state == "executing":
            return (
                "the change set may or may not have started executing (the call was sent, "
                f"no answer came back); check the stack's events.{follow}"
            )
        return (
            f"stopped waiting; the stack operation goes on in CloudFormation (it was not cancelled).{follow}"
        )

    def assert_policy(self, name: str, wanted: Mapping[str, Any]) -> None:
        """Set the protective policy when the stack's is missing or differs (one line says why)."""
        current = self.cf.get_stack_policy(StackName=name).get("StackPolicyBody")
        why = plan.policy_difference(current, wanted)
        if why is None:
            return
        self.out(f"deploy  {why}: setting the one that protects the data")
        self.cf.set_stack_policy(StackName=name, StackPolicyBody=plan.policy_json(wanted))

    def restore_policy(self, name: str, wanted: Mapping[str, Any]) -> None:
        """Set the protective policy again after a lifted one; never raises (it is called on the way
        out of a failure or an interruption), but says plainly when it could not."""
        from .. import aws

        try:
            self.cf.set_stack_policy(StackName=name, StackPolicyBody=plan.policy_json(wanted))
        except (Exception, KeyboardInterrupt) as err:
            reason = "interrupted" if isinstance(err, KeyboardInterrupt) else aws.explain(err)
            self.out(
                f"deploy  the stack policy could NOT be set back ({reason}): it allows every update. "
                f"Deploy again (it sets the policy) or run: aws cloudformation set-stack-policy "
                f"--stack-name {name} --stack-policy-body '{json.dumps(wanted)}'"
            )
            return
        self.out(
            "deploy  stack policy set back: replacing or deleting the protected resources is denied again"
        )

    # --- AWS calls -------------------------------------------------------------------------------

    def describe_stack(self, name: str) -> dict[str, Any] | None:
        from botocore.exceptions import ClientError

        try:
            return self.cf.describe_stacks(StackName=name)["Stacks"][0]
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") == "ValidationError" and "does not exist" in str(
                err
            ):
                return None
            raise

    def parameters(
        self, template: Mapping[str, Any], values: params_.ParameterSet, stack: Mapping[str, Any] | None
    ) -> list[dict[str, Any]]:
        """A value for every parameter: given, else (a secret of an existing stack) the previous one, else the Default."""
        previous = {p["ParameterKey"] for p in (stack or {}).get("Parameters", [])}
        secrets = set(params_.secret_parameters(template))
        result: list[dict[str, Any]] = []
        for key, definition in (template.get("Parameters") or {}).items():
            if key in values.values:
                result.append({"ParameterKey": key, "ParameterValue": values.values[key]})
            elif key in secrets and key in previous:
                result.append({"ParameterKey": key, "UsePreviousValue": True})
            elif definition.get("Default") is not None:
                result.append({"ParameterKey": key, "ParameterValue": str(definition["Default"])})
        return result

    def wait_for_change_set(self, change_set_id: str, name: str, poll: float) -> dict[str, Any]:
        """DescribeChangeSet until it is created or failed, saying how long it has taken every
        :data:`PROGRESS_SECONDS`; all pages of Changes in one dict."""
        progress = Progress(self.clock, self.out)
        while True:
            described = self.cf.describe_change_set(ChangeSetName=change_set_id, StackName=name)
            if described["Status"] in ("CREATE_COMPLETE", "FAILED", "DELETE_COMPLETE", "DELETE_FAILED"):
                break
            progress.tick(f"change set {described['Status']}")
            self.sleep(poll)
        changes = list(described.get("Changes", []))
        token = described.get("NextToken")
        while token:
            page = self.cf.describe_change_set(ChangeSetName=change_set_id, StackName=name, NextToken=token)
            changes.extend(page.get("Changes", []))
            token = page.get("NextToken")
        return {**described, "Changes": changes}

    def delete_change_set(self, change_set_id: str, name: str, kind: str) -> None:
        self.cf.delete_change_set(ChangeSetName=change_set_id, StackName=name)
        if kind == "CREATE":
            # The CREATE change set made an empty stack (REVIEW_IN_PROGRESS); don't leave it behind.
            stack = self.describe_stack(name)
            if stack and stack["StackStatus"] == "REVIEW_IN_PROGRESS":
                self.cf.delete_stack(StackName=name)

    def recent_events(self, name: str) -> list[dict[str, Any]]:
        return self.cf.describe_stack_events(StackName=name).get("StackEvents", [])

    def follow(self, call: Callable[[], Any], poll: float) -> Any:
        """``call()`` while following a running stack operation: an AWS error (throttling, a network
        blip during a long update) is tried again :data:`FOLLOW_ATTEMPTS` times in all, then raised
        as :class:`LostTrack` (the operation goes on whatever this deploy does)."""
        from .. import aws

        for attempt in range(1, FOLLOW_ATTEMPTS + 1):
            try:
                return call()
            except Exception as err:
                if not aws.is_aws_error(err):
                    raise
                if attempt == FOLLOW_ATTEMPTS:
                    raise LostTrack(aws.explain(err)) from None
                self.sleep(max(poll, FOLLOW_RETRY_SECONDS))
        raise AssertionError("unreachable")

    def watch(self, name: str, seen: set[str], poll: float) -> str:
        """Print new stack events, oldest first, until the stack is stable; its final status. When no
        event comes for :data:`PROGRESS_SECONDS`, a line says the operation is still running."""
        progress = Progress(self.clock, self.out)
        while True:
            events = self.follow(lambda: self.recent_events(name), poll)
            new = [e for e in events if e["EventId"] not in seen]
            for event in reversed(new):
                seen.add(event["EventId"])
                self.out(event_line(event))
            if new:
                progress.reset()
            described = self.follow(lambda: self.describe_stack(name), poll)
            status = (described or {}).get("StackStatus", "DELETE_COMPLETE")
            if plan.is_terminal(status):
                return status
            progress.tick(f"stack {status}")
            self.sleep(poll)

    def print_outputs(self, name: str) -> None:
        outputs = (self.describe_stack(name) or {}).get("Outputs") or []
        if not outputs:
            self.out("outputs (none returned)")
            return
        width = max(len(o["OutputKey"]) for o in outputs)
        self.out("outputs")
        for output in outputs:
            self.out(f"  {output['OutputKey']:<{width}}  {output.get('OutputValue', '')}")


#: How often a wait with nothing new to show says it is still waiting.
PROGRESS_SECONDS = 20.0
#: Attempts at each poll while following a stack operation (each is itself up to 3 botocore
#: attempts), and the pause between them.
FOLLOW_ATTEMPTS = 4
FOLLOW_RETRY_SECONDS = 10.0


class LostTrack(Exception):
    """The stack operation could not be followed any longer (AWS errors at every attempt); one line."""


class Progress:
    """Says "still waiting" at most every :data:`PROGRESS_SECONDS`: the first line after that long
    without news, then one per period, with the time waited."""

    def __init__(self, clock: Callable[[], float], out: Callable[[str], None]) -> None:
        self.clock, self.out = clock, out
        self.start = self.last = clock()

    def reset(self) -> None:
        self.last = self.clock()

    def tick(self, what: str) -> None:
        now = self.clock()
        if now - self.last >= PROGRESS_SECONDS:
            self.last = now
            self.out(f"deploy  waiting: {what} ({int(now - self.start)} s so far)")


def event_line(event: Mapping[str, Any]) -> str:
    stamp = event.get("Timestamp")
    when = stamp.strftime("%H:%M:%S") if hasattr(stamp, "strftime") else str(stamp or "")
    reason = event.get("ResourceStatusReason") or ""
    return (
        f"{when}  {event.get('ResourceStatus', ''):<28} {event.get('LogicalResourceId', ''):<28} "
        f"{event.get('ResourceType', '')}{'  ' + reason if reason else ''}"
    ).rstrip()


def deploy(
    options: DeployOptions,
    make_client: Callable[[str], Any],
    out: Callable[[str], None] = print,
    sleep: Callable[[float], None] = time.sleep,
    change_set_name: str | None = None,
) -> int:
    """Validate offline, then (only if valid) upload the template and run the deploy.

    ``make_client(service)`` makes the "s3" and "cloudformation" clients, only after the offline
    checks (:func:`tooling.aws.clients`). Input problems raise DeployError (exit status 2); any
    failure talking to AWS raises :class:`tooling.aws.AwsProblem`, already one line (exit status 1).
    """
    from .. import aws

    if not options.template_path.is_file():
        raise DeployError(f"no template {options.template_path}; run `make build` first")
    body = options.template_path.read_bytes()
    if len(body) > plan.TEMPLATE_URL_LIMIT:
        raise DeployError(
            f"{options.template_path} is {len(body):,} bytes, over CloudFormation's "
            f"{plan.TEMPLATE_URL_LIMIT:,}-byte limit for a template read from S3"
        )
    if not options.bucket:
        raise DeployError("no S3 bucket for the template: pass --s3-bucket or set bucket: in catalog.yaml")
    template = load_template(options.template_path)
    values = validate_offline(options, template, out)
    if values is None:
        return EXIT_INVALID
    try:
        owner = make_client("sts").get_caller_identity()["Account"]
        url = upload_template(make_client("s3"), options, body, out, owner)
        deployer = Deployer(
            make_client("cloudformation"), out=out, sleep=sleep, change_set_name=change_set_name
        )
        return deployer.run(options, url, template, values)
    except Exception as err:
        if aws.is_aws_error(err):
            raise aws.AwsProblem(aws.explain(err)) from None
        raise
