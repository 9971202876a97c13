"""Validators of paa's container files, without a container runtime (tests/deploy/test_containers.py uses them).

Each returns a list of problems, empty when the file is sound, so a test can feed it a broken variant and see it
complain:
- compose.yaml against the Compose Specification's JSON schema (as check-jsonschema ships it);
- each Kubernetes object against the Kubernetes client's models of the API types (strict pydantic models: unknown
  fields, wrong types and missing required fields are refused), after resolving the kustomization's resources;
- the Dockerfile parsed by BuildKit's own parser (the `dockerfile` package), for what paa's image promises;
- a container's command line against paa's own command-line parsers.
"""

from __future__ import annotations

import fnmatch
import functools
import json
import re
import shlex
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "compose.yaml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
KUSTOMIZATION_DIR = ROOT / "deploy" / "k8s"
IMAGE = "paa"  # the image name the manifests use (kustomize's `images:` points it at a registry)


# ---- compose -------------------------------------------------------------------------------------------------------


@functools.cache
def compose_schema() -> dict[str, Any]:
    from importlib.resources import files

    text = (files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def compose_problems(document: Any) -> list[str]:
    """Where `document` (compose.yaml, loaded) breaks the Compose Specification."""
    import jsonschema

    schema = compose_schema()
    validator = jsonschema.validators.validator_for(schema)(schema)
    return [f"{error.json_path}: {error.message}" for error in validator.iter_errors(document)]


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


# ---- Kubernetes ----------------------------------------------------------------------------------------------------

# The kinds paa's manifests may use, and the client model of each.
KINDS = {
    ("apps/v1", "Deployment"): "V1Deployment",
    ("apps/v1", "StatefulSet"): "V1StatefulSet",
    ("batch/v1", "CronJob"): "V1CronJob",
    ("networking.k8s.io/v1", "Ingress"): "V1Ingress",
    ("policy/v1", "PodDisruptionBudget"): "V1PodDisruptionBudget",
    ("v1", "Namespace"): "V1Namespace",
    ("v1", "PersistentVolumeClaim"): "V1PersistentVolumeClaim",
    ("v1", "Service"): "V1Service",
}


def kustomization_objects(folder: Path = KUSTOMIZATION_DIR) -> list[tuple[str, dict[str, Any]]]:
    """Every object the kustomization's `resources:` name, as (file, object), following nested kustomizations."""
    kustomization = load_yaml(folder / "kustomization.yaml")
    found: list[tuple[str, dict[str, Any]]] = []
    for entry in kustomization.get("resources", []):
        path = folder / entry
        if path.is_dir():
            found.extend(kustomization_objects(path))
            continue
        if not path.is_file():
            raise FileNotFoundError(f"{folder / 'kustomization.yaml'} names {entry}, which does not exist")
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if document is not None:
                found.append((path.relative_to(ROOT).as_posix(), document))
    return found


def kubernetes_problems(document: Any) -> list[str]:
    """Where `document` is not a valid object of a kind paa uses: unknown kind, unknown field, wrong type, missing."""
    import kubernetes.client
    from pydantic import ValidationError

    if not isinstance(document, dict):
        return ["not a mapping"]
    kind = (document.get("apiVersion"), document.get("kind"))
    model_name = KINDS.get(kind)  # type: ignore[arg-type]
    if model_name is None:
        return [f"unknown apiVersion and kind {kind}"]
    problems = []
    if not isinstance(document.get("metadata"), dict) or not document["metadata"].get("name"):
        problems.append("metadata.name: missing")
    try:
        getattr(kubernetes.client, model_name).model_validate(document)
    except ValidationError as exc:
        problems.extend(f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}" for error in exc.errors())
    return problems


def pod_specs(objects: Sequence[tuple[str, dict[str, Any]]]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each workload's pod spec, as (object name, spec)."""
    for _file, obj in objects:
        spec = obj.get("spec", {})
        if obj["kind"] in ("Deployment", "StatefulSet"):
            yield obj["metadata"]["name"], spec["template"]["spec"]
        elif obj["kind"] == "CronJob":
            yield obj["metadata"]["name"], spec["jobTemplate"]["spec"]["template"]["spec"]


# ---- Dockerfile ----------------------------------------------------------------------------------------------------


def dockerignore_excludes(path: str, patterns: Sequence[str]) -> bool:
    """Whether .dockerignore's patterns leave `path` out of the build context (the last matching pattern wins)."""
    excluded = False
    for raw in patterns:
        negate = raw.startswith("!")
        pattern = raw.removeprefix("!").strip().strip("/")
        if pattern.startswith("**/"):
            hit = any(fnmatch.fnmatch(part, pattern[3:]) for part in path.split("/"))
        else:
            hit = fnmatch.fnmatch(path, pattern) or path.startswith(pattern + "/")
        if hit:
            excluded = not negate
    return excluded


def dockerignore_patterns(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


# The instructions BuildKit knows (its parser passes any word through; the builder refuses the rest).
INSTRUCTIONS = frozenset(
    "FROM RUN CMD LABEL MAINTAINER EXPOSE ENV ADD COPY ENTRYPOINT VOLUME USER WORKDIR ARG ONBUILD STOPSIGNAL "
    "HEALTHCHECK SHELL".split()
)

# Variables that hold secrets (paa.config_sources.SECRET_VARIABLES) and words that say a value is one.
SECRET_WORDS = ("PASSWORD", "SECRET", "TOKEN", "API_KEY")


def dockerfile_problems(text: str, context: Path = ROOT, ignore: str | None = None) -> list[str]:
    """What keeps a Dockerfile from being paa's image: parse errors, a COPY source missing from the build context, a
    base image without a tag, root at the end, no health check, a secret baked into ENV or ARG."""
    import dockerfile

    from paa.config_sources import SECRET_VARIABLES

    try:
        commands = dockerfile.parse_string(text)
    except dockerfile.GoParseError as exc:
        return [f"does not parse: {exc}"]
    patterns = dockerignore_patterns(ignore if ignore is not None else DOCKERIGNORE.read_text(encoding="utf-8"))
    problems: list[str] = []
    stages: list[str] = []
    user: str | None = None
    healthcheck = False
    for command in commands:
        where = f"line {command.start_line}"
        if command.cmd not in INSTRUCTIONS:
            problems.append(f"{where}: unknown instruction {command.cmd}")
            continue
        if not command.value or (command.cmd in ("COPY", "ADD") and len(command.value) < 2):
            problems.append(f"{where}: {command.cmd} lacks its arguments")
            continue
        if command.cmd == "FROM":
            image = command.value[0]
            if "@" not in image and (":" not in image.rsplit("/", 1)[-1] or image.endswith(":latest")):
                problems.append(f"{where}: FROM {image} names no fixed tag")
            if len(command.value) >= 3 and command.value[1].upper() == "AS":
                stages.append(command.value[2])
            user, healthcheck = None, False  # each stage starts as root, without a health check
        elif command.cmd in ("COPY", "ADD"):
            if any(flag.startswith("--from=") for flag in command.flags):
                continue
            for source in command.value[:-1]:
                relative = source.removeprefix("./").rstrip("/") or "."
                if not (context / relative).exists():
                    problems.append(f"{where}: {command.cmd} source {source} does not exist")
                elif dockerignore_excludes(relative, patterns):
                    problems.append(f"{where}: {command.cmd} source {source} is left out by .dockerignore")
        elif command.cmd == "USER":
            user = command.value[0]
        elif command.cmd == "HEALTHCHECK":
            healthcheck = command.value[0].upper() != "NONE"
        elif command.cmd in ("ENV", "ARG"):
            names = command.value[::2] if command.cmd == "ENV" else [item.split("=", 1)[0] for item in command.value]
            for name in names:
                if name in SECRET_VARIABLES or any(word in name.upper() for word in SECRET_WORDS):
                    problems.append(f"{where}: {command.cmd} {name} would bake a secret into the image")
    if user is None or user.split(":")[0] in ("0", "root"):
        problems.append("the image runs as root: end with USER and a non-root uid")
    if not healthcheck:
        problems.append("the image has no HEALTHCHECK")
    return problems


# ---- paa's command lines -------------------------------------------------------------------------------------------


def paa_command_problem(args: Sequence[str]) -> str | None:
    """Why `paa ARGS` would not start (an unknown command or option, a bad value); None when paa's parser takes it."""
    import typer

    from paa.cli.app import create_app
    from paa.cli.commands import COMMANDS

    if not args or args[0] not in COMMANDS:
        return f"paa has no command {args[0] if args else '(none)'!r}"
    group: Any = typer.main.get_command(create_app(only=args[0]))
    command: Any = group
    rest = list(args)
    while rest and hasattr(command, "commands"):  # down through groups (`paa daemon run`)
        name = rest.pop(0)
        found = command.commands.get(name)
        if found is None:
            return f"paa has no command {name!r} there"
        command = found
    try:
        command.make_context(args[0], rest)
    except Exception as exc:  # typer's own click raises its UsageError family: a command line paa refuses
        return f"{type(exc).__name__}: {exc}"
    return None


def daemon_command_problem(args: Sequence[str]) -> str | None:
    """Why `python -m paa.daemon ARGS` would not start; None when its parser takes it."""
    from paa.daemon.__main__ import _parser

    try:
        _parser().parse_args(list(args))
    except SystemExit as exc:
        return f"python -m paa.daemon refuses {shlex.join(args)} (exit {exc.code})"
    return None


def container_command_problem(command: Sequence[str] | None, args: Sequence[str] | None) -> str | None:
    """A paa image's container: the image's entry point (`paa`) or `python -m paa.daemon`, with its arguments."""
    if command in (None, ["paa"]):
        return paa_command_problem(list(args or ()))
    if list(command or ()) == ["python", "-m", "paa.daemon"]:
        return daemon_command_problem(list(args or ()))
    return f"unknown entry point {command}"


def probe_snippet(command: Sequence[str]) -> str | None:
    """The Python source of an exec probe `python -c SOURCE`, else None."""
    if len(command) == 3 and command[0] == "python" and command[1] == "-c":
        return command[2]
    return None


def run_snippet(source: str, environ: Mapping[str, str]) -> int:
    """Run a probe's `python -c` source in this process, as the probe would in the container; its exit code."""
    import os

    previous = dict(os.environ)
    os.environ.clear()
    os.environ.update(environ)
    try:
        exec(compile(source, "<probe>", "exec"), {"__name__": "__main__"})  # the probe's own code, from our files
    except SystemExit as exc:
        return int(exc.code or 0)
    finally:
        os.environ.clear()
        os.environ.update(previous)
    return 0


# ---- the Grafana dashboard -----------------------------------------------------------------------------------------

GRAFANA_DASHBOARD = ROOT / "deploy" / "grafana" / "paa.json"
METRIC_NAME = re.compile(r"\bpaa_[a-z0-9_]+")
# The series a Prometheus family of each type is scraped as.
SERIES_SUFFIXES = {
    "counter": ("_total", "_created"),
    "gauge": ("",),
    "histogram": ("_bucket", "_count", "_sum", "_created"),
    "gaugehistogram": ("_bucket", "_gcount", "_gsum"),
    "summary": ("", "_count", "_sum", "_created"),
}


def scraped_families(exposition: str) -> set[str]:
    """The metric families an exposition declares (a counter's without `_total`)."""
    from prometheus_client.parser import text_string_to_metric_families

    return {family.name for family in text_string_to_metric_families(exposition)}


def scraped_series(exposition: str) -> set[str]:
    """Every series name an exposition (the text of /metrics) declares, samples or not."""
    from prometheus_client.parser import text_string_to_metric_families

    names: set[str] = set()
    for family in text_string_to_metric_families(exposition):
        names.update(family.name + suffix for suffix in SERIES_SUFFIXES.get(family.type, ("",)))
        names.update(sample.name for sample in family.samples)
    return names


def dashboard_problems(dashboard: Any, series: set[str]) -> list[str]:
    """What is wrong with a Grafana dashboard of paa: panels without a place or a query, queries of a series paa does
    not export, a data source other than the dashboard's variable."""
    if not isinstance(dashboard, dict) or not isinstance(dashboard.get("panels"), list):
        return ["not a dashboard: no panels"]
    problems = []
    variables = {variable.get("name") for variable in dashboard.get("templating", {}).get("list", [])}
    if "datasource" not in variables:
        problems.append("no datasource variable: the dashboard would name one Prometheus")
    ids = [panel.get("id") for panel in dashboard["panels"]]
    if len(ids) != len(set(ids)):
        problems.append("two panels share an id")
    for panel in dashboard["panels"]:
        title = panel.get("title", "?")
        if not {"h", "w", "x", "y"} <= set(panel.get("gridPos", {})):
            problems.append(f"{title}: no gridPos")
        if panel.get("type") == "row":
            continue
        targets = panel.get("targets") or []
        if not targets:
            problems.append(f"{title}: no query")
        for target in targets:
            expr = target.get("expr", "")
            if target.get("datasource", {}).get("uid") != "${datasource}":
                problems.append(f"{title}: a query not on the ${{datasource}} variable")
            names = METRIC_NAME.findall(expr)
            if not names:
                problems.append(f"{title}: {expr!r} asks no paa series")
            problems.extend(f"{title}: paa exports no series {name}" for name in names if name not in series)
            if expr.count("(") != expr.count(")") or expr.count("{") != expr.count("}"):
                problems.append(f"{title}: unbalanced brackets in {expr!r}")
    return problems
