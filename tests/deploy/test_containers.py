"""paa's containers (Dockerfile, compose.yaml, deploy/k8s/) checked against their schemas and against paa itself:
the routes the probes ask, the commands the containers run, the secrets they read. No container runtime needed.

Each validator is also fed a broken variant, to show it would catch one."""

from __future__ import annotations

import copy
import importlib.util
import re
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from paa.config_sources import SECRET_VARIABLES, read_secret_files
from tests.deploy import checks
from tests.deploy.checks import ROOT


def _script(path: Path) -> Any:
    """deploy/make_secrets.py, a script beside the manifests (not a package), loaded as a module."""
    spec = importlib.util.spec_from_file_location("make_secrets", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_secrets = _script(ROOT / "deploy" / "make_secrets.py")

HEALTH_ROUTES = {"/healthz", "/readyz"}
URL_IN_SNIPPET = re.compile(r"http://127\.0\.0\.1:(\d+)(/[a-z]+)")


def _health_routes() -> set[str]:
    from paa.api.routes.health import router

    return {route.path for route in router.routes}  # type: ignore[attr-defined]


def test_the_probes_ask_routes_paa_serves() -> None:
    assert _health_routes() == HEALTH_ROUTES


# ---- compose.yaml --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document = checks.load_yaml(checks.COMPOSE_FILE)
    assert isinstance(document, dict)
    return document


def test_compose_file_follows_the_compose_specification(compose: dict[str, Any]) -> None:
    assert checks.compose_problems(compose) == []


@pytest.mark.parametrize(
    ("path", "value", "words"),
    [
        (("services", "api", "helthcheck"), {"test": ["CMD", "true"]}, "helthcheck"),
        (("services", "daemon", "depends_on", "postgres", "condition"), "service_ready", "service_ready"),
        (("services", "api", "expose"), "8750", "not of type 'array'"),
        (("secrets", "db_url"), {"file": "./secrets/db_url", "mode": 384}, "mode"),
    ],
    ids=["unknown-key", "unknown-condition", "wrong-type", "unknown-secret-field"],
)
def test_the_compose_validator_rejects_a_broken_file(
    compose: dict[str, Any], path: tuple[str, ...], value: Any, words: str
) -> None:
    broken = copy.deepcopy(compose)
    target = broken
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value

    problems = checks.compose_problems(broken)

    assert problems and any(words in problem for problem in problems), problems


def _paa_services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: service for name, service in compose["services"].items() if "paa" in str(service.get("image"))}


def test_compose_runs_two_api_replicas_a_daemon_postgres_redis_and_a_tls_proxy(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["api"]["deploy"]["replicas"] == 2
    assert set(_paa_services(compose)) == {"api", "daemon", "worker"}
    assert {"postgres", "redis", "proxy"} <= set(services)
    # The proxy reaches the replicas through the service name; its config file is in the repository.
    caddyfile = ROOT / services["proxy"]["volumes"][0].split(":")[0]
    assert caddyfile.is_file() and "name api" in caddyfile.read_text() and "port 8750" in caddyfile.read_text()


def test_compose_containers_run_commands_paa_has(compose: dict[str, Any]) -> None:
    for name, service in _paa_services(compose).items():
        problem = checks.container_command_problem(service.get("entrypoint"), service.get("command"))
        assert problem is None, f"{name}: {problem}"


def test_compose_health_checks_ask_what_paa_answers(compose: dict[str, Any], paa_home: Path) -> None:
    api = compose["services"]["api"]
    port = api["command"][api["command"].index("--port") + 1]
    found = URL_IN_SNIPPET.search(api["healthcheck"]["test"][-1])
    assert found is not None and found.group(1) == port and found.group(2) == "/readyz"
    daemon = compose["services"]["daemon"]
    source = checks.probe_snippet(daemon["healthcheck"]["test"][1:])
    assert source is not None
    assert checks.run_snippet(source, {"PAA_HOME": str(paa_home)}) == 1  # no daemon runs for this data folder


def test_compose_waits_for_healthy_dependencies(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name, service in services.items():
        for needed, condition in service.get("depends_on", {}).items():
            assert needed in services, f"{name} depends on {needed}, which is not a service"
            if condition["condition"] == "service_healthy":
                assert "healthcheck" in services[needed] or needed in _paa_services(compose), (name, needed)
    assert services["api"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["api"]["depends_on"]["redis"]["condition"] == "service_healthy"


def test_compose_hands_secrets_over_as_files_paa_reads(compose: dict[str, Any]) -> None:
    declared = compose["secrets"]
    made = make_secrets.compose_secrets()
    assert {Path(secret["file"]).name for secret in declared.values()} == set(made)
    for name, service in compose["services"].items():
        environment = service.get("environment", {})
        mounted = set(service.get("secrets", []))
        assert mounted <= set(declared), name
        for variable, value in environment.items():
            assert variable not in SECRET_VARIABLES, f"{name} puts {variable} itself in the environment"
            assert not re.search(r"://[^/\s]*:[^/\s]*@", str(value)), f"{name}: {variable} holds a password"
            if variable.endswith("_FILE"):
                assert value.startswith("/run/secrets/") and Path(value).name in mounted, (name, variable)
                if name in _paa_services(compose):  # other images have their own *_FILE conventions
                    assert variable.removesuffix("_FILE") in SECRET_VARIABLES, (name, variable)


def test_compose_keeps_data_in_volumes(compose: dict[str, Any]) -> None:
    volumes = set(compose["volumes"])
    for name in ("api", "daemon", "worker"):
        service = compose["services"][name]
        assert f"paa-data:{service['environment']['PAA_HOME']}" in service["volumes"]
    assert "postgres-data:/var/lib/postgresql/data" in compose["services"]["postgres"]["volumes"]
    made = {"./secrets", "./backups"}  # by deploy/make_secrets.py and the backup service, never committed
    for service in compose["services"].values():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if not source.startswith("."):
                assert source in volumes, f"volume {source} is not declared"
            elif not any(source == folder or source.startswith(folder + "/") for folder in made):
                assert (ROOT / source).exists(), f"{source} is mounted but not in the repository"
    assert compose["networks"]["backend"]["internal"] is True


def _mounted(service: dict[str, Any], target: str) -> Path:
    """The repository path a service mounts at `target`."""
    for volume in service["volumes"]:
        source, mounted = volume.split(":")[:2]
        if mounted == target:
            return ROOT / source
    raise AssertionError(f"nothing is mounted at {target}")


def test_the_monitoring_profile_scrapes_every_api_replica_into_the_dashboard(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["prometheus"]["profiles"] == services["grafana"]["profiles"] == ["monitoring"]
    config = checks.load_yaml(_mounted(services["prometheus"], "/etc/prometheus/prometheus.yml"))
    api = services["api"]
    (job,) = config["scrape_configs"]
    (discovery,) = job["dns_sd_configs"]
    port = api["command"][api["command"].index("--port") + 1]
    assert discovery["names"] == ["api"] and str(discovery["port"]) == port
    assert job.get("metrics_path", "/metrics") == "/metrics"
    grafana = services["grafana"]
    sources = checks.load_yaml(_mounted(grafana, "/etc/grafana/provisioning/datasources") / "prometheus.yml")
    assert sources["datasources"][0]["url"] == "http://prometheus:9090" and "prometheus" in services
    providers = checks.load_yaml(_mounted(grafana, "/etc/grafana/provisioning/dashboards") / "paa.yml")
    folder = _mounted(grafana, providers["providers"][0]["options"]["path"])
    assert (folder / checks.GRAFANA_DASHBOARD.name).samefile(checks.GRAFANA_DASHBOARD)
    assert grafana["environment"]["GF_SECURITY_ADMIN_PASSWORD__FILE"] == "/run/secrets/grafana_admin_password"
    assert grafana["ports"] == ["127.0.0.1:3000:3000"]  # this machine only


# ---- deploy/k8s ----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def kustomization() -> dict[str, Any]:
    document = checks.load_yaml(checks.KUSTOMIZATION_DIR / "kustomization.yaml")
    assert isinstance(document, dict)
    return document


@pytest.fixture(scope="module")
def objects() -> list[tuple[str, dict[str, Any]]]:
    return checks.kustomization_objects()


def _objects_of(objects: list[tuple[str, dict[str, Any]]], kind: str) -> dict[str, dict[str, Any]]:
    return {obj["metadata"]["name"]: obj for _file, obj in objects if obj["kind"] == kind}


def test_every_manifest_is_a_valid_kubernetes_object(objects: list[tuple[str, dict[str, Any]]]) -> None:
    kinds = {obj["kind"] for _file, obj in objects}
    assert {"Deployment", "Service", "Ingress", "PodDisruptionBudget", "CronJob"} <= kinds
    problems = {f"{file} {obj['kind']}": checks.kubernetes_problems(obj) for file, obj in objects}
    assert {where: found for where, found in problems.items() if found} == {}


def test_every_manifest_in_the_folder_is_in_the_kustomization(kustomization: dict[str, Any]) -> None:
    listed = set(kustomization["resources"])
    present = {path.name for path in checks.KUSTOMIZATION_DIR.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == present


def _api_deployment(objects: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    return copy.deepcopy(_objects_of(objects, "Deployment")["paa-api"])


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda d: d["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["httpGet"].update(paht="/"), "paht"),
        (lambda d: d["spec"].update(replicas="2"), "valid integer"),
        (lambda d: d["spec"].pop("selector"), "Field required"),
        (lambda d: d["spec"]["template"]["spec"]["securityContext"].update(runAsNonRoot="yes"), "valid boolean"),
        (lambda d: d.update(kind="Deploymnet"), "unknown apiVersion and kind"),
        (lambda d: d["metadata"].pop("name"), "metadata.name"),
    ],
    ids=["unknown-field", "wrong-type", "missing-required", "wrong-type-deep", "unknown-kind", "no-name"],
)
def test_the_kubernetes_validator_rejects_a_broken_manifest(
    objects: list[tuple[str, dict[str, Any]]], change: Any, words: str
) -> None:
    broken = _api_deployment(objects)
    change(broken)

    problems = checks.kubernetes_problems(broken)

    assert problems and any(words in problem for problem in problems), problems


def test_the_kustomization_resolver_refuses_a_missing_resource(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text("resources:\n  - gone.yaml\n")

    with pytest.raises(FileNotFoundError, match=r"gone\.yaml"):
        checks.kustomization_objects(tmp_path)


def _paa_containers(objects: list[tuple[str, dict[str, Any]]]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, spec in checks.pod_specs(objects):
        for container in spec["containers"]:
            if container["image"] == checks.IMAGE:
                yield name, container


def test_kubernetes_containers_run_commands_paa_has(objects: list[tuple[str, dict[str, Any]]]) -> None:
    names = []
    for name, container in _paa_containers(objects):
        names.append(name)
        problem = checks.container_command_problem(container.get("command"), container.get("args"))
        assert problem is None, f"{name}: {problem}"
    assert sorted(names) == ["paa-api", "paa-daemon", "paa-worker"]


def test_the_command_checker_refuses_what_paa_would_refuse() -> None:
    assert checks.container_command_problem(None, ["serve", "--hots", "0.0.0.0"]) is not None
    assert checks.container_command_problem(None, ["serve", "--port", "http"]) is not None
    assert checks.container_command_problem(None, ["serv"]) is not None
    assert checks.container_command_problem(["python", "-m", "paa.daemon"], ["runn"]) is not None
    assert checks.container_command_problem(["python", "-m", "paa.daemon"], ["run", "--log-stderr"]) is None
    assert checks.container_command_problem(None, ["daemon", "run"]) is None


def test_api_probes_ask_paa_health_routes_on_its_port(objects: list[tuple[str, dict[str, Any]]]) -> None:
    api = dict(_paa_containers(objects))["paa-api"]
    port = api["args"][api["args"].index("--port") + 1]
    named = {entry["name"]: entry["containerPort"] for entry in api["ports"]}
    assert named["http"] == int(port)
    probes = {kind: api[kind]["httpGet"] for kind in ("startupProbe", "livenessProbe", "readinessProbe")}
    assert {probe["path"] for probe in probes.values()} <= _health_routes()
    assert probes["readinessProbe"]["path"] == "/readyz" and probes["livenessProbe"]["path"] == "/healthz"
    assert all(probe["port"] in named or probe["port"] == int(port) for probe in probes.values())


def test_the_daemon_probe_sees_whether_the_daemon_holds_its_lock(
    objects: list[tuple[str, dict[str, Any]]], paa_home: Path
) -> None:
    from paa.config_sources import resolve_paths
    from paa.daemon.files import DaemonFiles
    from paa.daemon.lock import InstanceLock

    daemon = dict(_paa_containers(objects))["paa-daemon"]
    source = checks.probe_snippet(daemon["livenessProbe"]["exec"]["command"])
    assert source is not None and daemon["readinessProbe"]["exec"]["command"][2] == source
    environ = {"PAA_HOME": str(paa_home)}

    assert checks.run_snippet(source, environ) == 1  # no daemon: not alive
    paa_home.mkdir(parents=True, exist_ok=True)
    lock = InstanceLock(DaemonFiles.of(resolve_paths(environ)).lock)
    lock.acquire()
    try:
        assert checks.run_snippet(source, environ) == 0
    finally:
        lock.release()


def test_workloads_run_as_non_root_without_privileges(objects: list[tuple[str, dict[str, Any]]]) -> None:
    for name, spec in checks.pod_specs(objects):
        pod = spec["securityContext"]
        assert pod["runAsNonRoot"] is True and pod["runAsUser"] != 0, name
        assert spec["automountServiceAccountToken"] is False, name
        for container in spec["containers"]:
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False and context["capabilities"]["drop"] == ["ALL"], name
            assert context["readOnlyRootFilesystem"] is True, name
            assert {"requests", "limits"} <= set(container["resources"]), name


def test_the_service_ingress_and_budget_reach_the_api_pods(objects: list[tuple[str, dict[str, Any]]]) -> None:
    labels = _objects_of(objects, "Deployment")["paa-api"]["spec"]["template"]["metadata"]["labels"]
    service = _objects_of(objects, "Service")["paa-api"]
    assert service["spec"]["selector"].items() <= labels.items()
    budget = _objects_of(objects, "PodDisruptionBudget")["paa-api"]
    assert budget["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert budget["spec"]["minAvailable"] < _objects_of(objects, "Deployment")["paa-api"]["spec"]["replicas"]
    ingress = _objects_of(objects, "Ingress")["paa"]
    backend = _ingress_backend(ingress, "/api/v1/habits")
    assert backend["name"] == "paa-api"
    assert backend["port"]["name"] in {port["name"] for port in service["spec"]["ports"]}
    assert ingress["spec"]["tls"][0]["hosts"] == [ingress["spec"]["rules"][0]["host"]]


def _ingress_backend(ingress: dict[str, Any], path: str) -> dict[str, Any]:
    """The Service an Ingress sends `path` to, by Kubernetes' rules: an Exact match first, else the longest Prefix
    whose every path element matches (so /metrics matches /metrics/x but not /metricsx), whatever the order."""
    [rule] = ingress["spec"]["rules"]
    found: list[tuple[int, int, dict[str, Any]]] = []
    for entry in rule["http"]["paths"]:
        declared = entry["path"]
        if entry["pathType"] == "Exact" and path == declared:
            found.append((1, len(declared), entry["backend"]["service"]))
        elif entry["pathType"] == "Prefix":
            elements = [part for part in declared.split("/") if part]
            if [part for part in path.split("/") if part][: len(elements)] == elements:
                found.append((0, len(declared), entry["backend"]["service"]))
    assert found, f"the Ingress sends {path} nowhere"
    return max(found, key=lambda match: match[:2])[2]


@pytest.mark.parametrize("path", ["/metrics", "/metrics/", "/metrics/anything"])
def test_the_ingress_keeps_metrics_from_the_internet(objects: list[tuple[str, dict[str, Any]]], path: str) -> None:
    # Prometheus scrapes the pods inside the cluster; through the Ingress /metrics reaches a Service with no pods.
    backend = _ingress_backend(_objects_of(objects, "Ingress")["paa"], path)
    closed = _objects_of(objects, "Service")[backend["name"]]
    assert "selector" not in closed["spec"] and backend["name"] != "paa-api"
    assert not [obj for _file, obj in objects if obj["kind"] in {"Endpoints", "EndpointSlice"}]  # none made for it
    assert backend["port"]["name"] in {port["name"] for port in closed["spec"]["ports"]}
    for served in ("/", "/app/app.js", "/api/v1/metrics-like", "/metricsx", "/api/v1/ws"):
        assert _ingress_backend(_objects_of(objects, "Ingress")["paa"], served)["name"] == "paa-api", served


def test_pods_read_secrets_the_generator_makes_through_files(
    objects: list[tuple[str, dict[str, Any]]], kustomization: dict[str, Any]
) -> None:
    generator = kustomization["secretGenerator"][0]
    keys = {entry.split("=", 1)[0]: entry.split("=", 1)[1] for entry in generator["files"]}
    for source in keys.values():  # the real files are made by hand; their examples are committed
        assert (checks.KUSTOMIZATION_DIR / f"{source}.example").is_file(), source
    for name, spec in checks.pod_specs(objects):
        secret_mounts: dict[str, set[str]] = {}
        for volume in spec["volumes"]:
            if "secret" in volume:
                assert volume["secret"]["secretName"] == generator["name"], name
                items = {item["key"] for item in volume["secret"]["items"]}
                assert items <= set(keys), name
                secret_mounts[volume["name"]] = {item["path"] for item in volume["secret"]["items"]}
        for container in spec["containers"]:
            mounts = {m["mountPath"]: m for m in container["volumeMounts"] if m["name"] in secret_mounts}
            for entry in container.get("env", []):
                assert entry["name"] not in SECRET_VARIABLES, f"{name} puts {entry['name']} in the environment"
                if entry["name"].endswith("_FILE"):
                    assert entry["name"].removesuffix("_FILE") in SECRET_VARIABLES
                    folder, file = entry["value"].rsplit("/", 1)
                    assert folder in mounts and file in secret_mounts[mounts[folder]["name"]], (name, entry)


def test_the_backup_job_dumps_into_its_volume(objects: list[tuple[str, dict[str, Any]]]) -> None:
    job = _objects_of(objects, "CronJob")["paa-backup"]
    spec = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    claim = spec["volumes"][0]["persistentVolumeClaim"]["claimName"]
    assert claim in _objects_of(objects, "PersistentVolumeClaim")
    container = spec["containers"][0]
    assert container["volumeMounts"][0]["mountPath"] == "/backups"
    assert "pg_dump" in container["args"][0] and "/backups/" in container["args"][0]
    assert job["spec"]["concurrencyPolicy"] == "Forbid"


# A password inside a URL (scheme://user:password@host), or a secret file's content put on a command line.
PASSWORD_IN_URL = re.compile(r"[a-z+]+://[^/\s:@]+:[^/\s@]+@")
SECRET_ON_ARGV = re.compile(r"""\bpg_(?:dump|restore) .*(?:\$+\(cat|"\$+\{?url)""")
DB_PASSWORD = "pa:ss%word\\w"  # a ':' and a '\' are escaped in a password file, a '%' is escaped in a URL


def _backup_scripts(compose: dict[str, Any], objects: list[tuple[str, dict[str, Any]]]) -> dict[str, tuple[str, str]]:
    """The backup's shell script in compose and in the CronJob, as (script as the shell sees it, its secret file)."""
    service = compose["services"]["backup"]
    assert service["entrypoint"] == ["bash", "-c"]
    job = _objects_of(objects, "CronJob")["paa-backup"]
    container = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    assert container["command"] == ["bash", "-c"]
    return {
        "compose": (service["command"][0].replace("$$", "$"), "/run/secrets/db_url"),  # compose's own unescaping
        "kubernetes": (container["args"][0], "/run/secrets/paa/db-url"),
    }


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _argv_problems(value: Any) -> list[str]:
    """Each line of `value`'s strings that would show a database password in `ps`."""
    lines = [line for text in _strings(value) for line in text.splitlines()]
    return [line for line in lines if PASSWORD_IN_URL.search(line) or SECRET_ON_ARGV.search(line)]


def test_no_deploy_command_puts_the_database_password_on_a_command_line(
    compose: dict[str, Any], objects: list[tuple[str, dict[str, Any]]]
) -> None:
    for service, entry in compose["services"].items():
        for key in ("command", "entrypoint"):
            assert not _argv_problems(entry.get(key)), (service, key)
    for file, obj in objects:
        assert not _argv_problems(obj), file
    old = 'url=$(sed s/x/y/ /run/secrets/db_url)\npg_dump --format=custom "$url"\npg_dump "$(cat /run/secrets/db_url)"'
    assert len(_argv_problems(old)) == 2
    assert _argv_problems("psql postgresql://paa:secret@postgres/paa")


@pytest.mark.e2e
@pytest.mark.parametrize("where", ["compose", "kubernetes"])
def test_the_backup_hands_pg_dump_the_password_in_a_private_file(
    where: str, compose: dict[str, Any], objects: list[tuple[str, dict[str, Any]]], tmp_path: Path
) -> None:
    """Run the backup's own script under bash with a pg_dump that records what it was given."""
    script, secret = _backup_scripts(compose, objects)[where]
    secret_file, backups, tmp, bin_dir = (tmp_path / "db_url", tmp_path / "backups", tmp_path / "tmp", tmp_path / "bin")
    for folder in (backups, tmp, bin_dir):
        folder.mkdir()
    secret_file.write_text("postgresql+psycopg://paa:pa%3Ass%25word%5Cw@db.internal:5433/paa?sslmode=require\n")
    seen = tmp_path / "seen"
    fake = bin_dir / "pg_dump"
    fake.write_text(
        "#!/bin/sh\n"
        f'printf "%s\\n" "$@" > {seen}.argv\n'
        f'stat -c %a "$PGPASSFILE" > {seen}.mode\n'
        f'cat "$PGPASSFILE" > {seen}.pgpass\n'
        'for a in "$@"; do case "$a" in --file=*) echo dump > "${a#--file=}";; esac; done\n'
    )
    fake.chmod(0o755)
    script = script.replace(secret, str(secret_file)).replace("/backups", str(backups))
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "TMPDIR": str(tmp), "HOME": str(tmp_path)}
    done = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    argv = Path(f"{seen}.argv").read_text().splitlines()
    assert "pa" not in " ".join(argv).replace("paa", "")  # no piece of the password
    assert "--dbname=postgresql://paa@db.internal:5433/paa?sslmode=require" in argv
    assert Path(f"{seen}.mode").read_text().strip() == "600"
    assert Path(f"{seen}.pgpass").read_text() == "*:*:*:*:pa\\:ss%word\\\\w\n"
    assert list(tmp.iterdir()) == []  # the password file is gone
    dumps = list(backups.iterdir())
    assert [d.suffix for d in dumps] == [".dump"]  # the data key is not beside it
    assert stat.S_IMODE(dumps[0].stat().st_mode) == 0o600


def test_the_ingress_lets_through_the_largest_upload_paa_takes(objects: list[tuple[str, dict[str, Any]]]) -> None:
    from paa.api.limits import upload_max_bytes

    annotations = _objects_of(objects, "Ingress")["paa"]["metadata"]["annotations"]
    size = annotations["nginx.ingress.kubernetes.io/proxy-body-size"]
    number, unit = re.fullmatch(r"(\d+)([kmg]?)", size.lower()).groups()  # type: ignore[union-attr]
    allowed = int(number) * {"": 1, "k": 2**10, "m": 2**20, "g": 2**30}[unit]
    assert upload_max_bytes() <= allowed <= 4 * upload_max_bytes()  # room for the form, not an open door


# ---- deploy/make_secrets.py ----------------------------------------------------------------------------------------


def test_compose_secrets_are_one_line_files_paa_reads(tmp_path: Path) -> None:
    folder = tmp_path / "secrets"

    assert make_secrets.main(["compose", "--dir", str(folder)]) == 0

    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    names = {path.name for path in folder.iterdir()}
    assert names == {"postgres_password", "db_url", "redis_password", "redis_url", "grafana_admin_password"}
    values = read_secret_files(
        {"PAA_DB_URL_FILE": str(folder / "db_url"), "PAA_REDIS_URL_FILE": str(folder / "redis_url")}
    )
    password = (folder / "postgres_password").read_text().strip()
    assert values["PAA_DB_URL"] == f"postgresql+psycopg://paa:{password}@postgres:5432/paa"
    assert values["PAA_REDIS_URL"].startswith("redis://:") and values["PAA_REDIS_URL"].endswith("@redis:6379/0")


def test_existing_secrets_are_kept_unless_forced(tmp_path: Path) -> None:
    folder = tmp_path / "secrets"
    make_secrets.main(["compose", "--dir", str(folder)])
    first = (folder / "db_url").read_text()

    make_secrets.main(["compose", "--dir", str(folder)])
    assert (folder / "db_url").read_text() == first
    make_secrets.main(["compose", "--dir", str(folder), "--force"])
    assert (folder / "db_url").read_text() != first


def test_the_made_data_key_is_one_paa_uses(tmp_path: Path) -> None:
    from paa.config_sources import Paths
    from paa.core.encryption import key_status, load_keys

    folder = tmp_path / "data"
    make_secrets.main(["k8s", "--dir", str(folder)])
    paths = Paths(folder, folder, folder / "cache", folder / "logs")

    keys = load_keys(paths, None)
    status = key_status(paths, None)

    assert status.where == "file" and status.current == keys.current and len(keys.keys[keys.current]) == 32


# ---- Dockerfile ----------------------------------------------------------------------------------------------------


def test_the_dockerfile_builds_paa_as_promised() -> None:
    assert checks.dockerfile_problems(checks.DOCKERFILE.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda text: text.replace("USER 10001:10001", "USER root"), "runs as root"),
        (lambda text: text.replace("USER 10001:10001\n", ""), "runs as root"),
        (lambda text: text.replace("COPY src ./src", "COPY source ./src"), "source does not exist"),
        (lambda text: text.replace("COPY src ./src", "COPY tests ./tests"), "left out by .dockerignore"),
        (lambda text: re.sub(r"HEALTHCHECK .*?\n(?=ENTRYPOINT)", "", text, flags=re.S), "no HEALTHCHECK"),
        (lambda text: text.replace("PAA_KEYRING=off", "PAA_KEYRING=off PAA_DB_URL=postgresql://x"), "secret"),
        (lambda text: text.replace("FROM python:3.11-slim-bookworm AS runtime", "FROM python AS runtime"), "tag"),
        (lambda text: text + "RUN <<EOF\necho unterminated\n", "does not parse"),
        (lambda text: text.replace("WORKDIR /var/lib/paa", "WORKDIRR /var/lib/paa"), "unknown instruction"),
        (lambda text: text.replace("COPY src ./src", "COPY src"), "lacks its arguments"),
    ],
    ids=[
        "root",
        "no-user",
        "missing-source",
        "ignored-source",
        "no-healthcheck",
        "secret",
        "untagged",
        "unparsable",
        "unknown-instruction",
        "no-destination",
    ],
)
def test_the_dockerfile_checker_rejects_a_broken_dockerfile(change: Any, words: str) -> None:
    broken = change(checks.DOCKERFILE.read_text(encoding="utf-8"))

    problems = checks.dockerfile_problems(broken)

    assert problems and any(words in problem for problem in problems), problems


def test_the_image_runs_what_compose_and_kubernetes_expect() -> None:
    import dockerfile

    commands = dockerfile.parse_string(checks.DOCKERFILE.read_text(encoding="utf-8"))
    last = {command.cmd: command for command in commands}
    assert last["ENTRYPOINT"].value == ("paa",)
    assert checks.paa_command_problem(list(last["CMD"].value)) is None
    environ = dict(zip(last["ENV"].value[::2], last["ENV"].value[1::2], strict=True))
    assert last["VOLUME"].value == (environ["PAA_HOME"],)
    assert last["EXPOSE"].value == ("8750",) and "--port" in last["CMD"].value
    found = URL_IN_SNIPPET.search(last["HEALTHCHECK"].value[-1])
    assert found is not None and found.group(2) in _health_routes() and found.group(1) == "8750"
    assert last["USER"].value == ("10001:10001",)


def test_the_build_context_leaves_out_everything_but_what_the_image_needs() -> None:
    patterns = checks.dockerignore_patterns(checks.DOCKERIGNORE.read_text(encoding="utf-8"))
    for kept in ("pyproject.toml", "README.md", "LICENSE", "src/paa/__init__.py"):
        assert not checks.dockerignore_excludes(kept, patterns), kept
    for left in ("secrets/db_url", ".venv/bin/python", "tests/conftest.py", ".git/config", "src/paa/__pycache__/x.pyc"):
        assert checks.dockerignore_excludes(left, patterns), left


def test_environment_names_in_the_deploy_files_are_real(compose: dict[str, Any]) -> None:
    # A misspelt PAA_ variable is silently ignored by paa: every one used must be one paa reads.
    from paa.config import ENV_ALIASES, KEYS, env_name

    known = {env_name(field) for field in KEYS.values()} | set(ENV_ALIASES.values()) | set(SECRET_VARIABLES)
    known |= {"PAA_HOME", "PAA_KEYRING", "PAA_NO_SERVER"} | {name + "_FILE" for name in SECRET_VARIABLES}
    used = set(re.findall(r"\bPAA_[A-Z_]+\b", checks.DOCKERFILE.read_text(encoding="utf-8")))
    for service in _paa_services(compose).values():
        used |= set(service.get("environment", {}))
    for path in checks.KUSTOMIZATION_DIR.glob("*.yaml"):
        used |= set(re.findall(r"name: (PAA_[A-Z_]+)", path.read_text(encoding="utf-8")))
    assert used and used <= known, used - known


def test_the_queue_is_on_everywhere_and_workers_take_its_jobs(
    compose: dict[str, Any], objects: list[tuple[str, dict[str, Any]]]
) -> None:
    # The API and the daemon queue the work, so some worker must run, in compose and on Kubernetes; the worker's
    # own check is off in compose (the image's asks the API's port).
    for name, service in _paa_services(compose).items():
        assert service["environment"]["PAA_QUEUE_ENABLED"] == "true", name
    worker = compose["services"]["worker"]
    assert worker["command"][0] == "worker" and worker["healthcheck"] == {"disable": True}
    containers = dict(_paa_containers(objects))
    for name, container in containers.items():
        assert {"name": "PAA_QUEUE_ENABLED", "value": "true"} in container["env"], name
    assert containers["paa-worker"]["args"][0] == "worker"
    assert _objects_of(objects, "Deployment")["paa-worker"]["spec"]["replicas"] >= 1


# ---- memory vectors on Chroma --------------------------------------------------------------------------------------

CHROMA_IMAGE = "chromadb/chroma:1.5.9"  # the version tests/e2e/test_chroma.py runs (.ci/run installs it)
HEARTBEAT = "/api/v2/heartbeat"


def _chroma_address(url: str) -> tuple[str | None, int | None]:
    """The host and port a PAA_MEMORY_CHROMA_URL names, once paa's own settings have taken it."""
    from urllib.parse import urlsplit

    from paa.ai.chroma import target_of
    from paa.config import Settings

    target = target_of(Settings(memory_chroma_url=url))
    assert target is not None
    parts = urlsplit(target.origin)
    return parts.hostname, parts.port


def test_compose_keeps_memory_vectors_on_the_chroma_service(compose: dict[str, Any]) -> None:
    services = compose["services"]
    chroma = services["chroma"]
    assert chroma["image"] == CHROMA_IMAGE
    assert "chroma-data:/data" in chroma["volumes"]  # where the image's own command keeps its data
    # Chroma asks for no token: no port on the host, and only the backend network, which has no way out.
    assert "ports" not in chroma and chroma["networks"] == ["backend"]
    assert chroma["environment"]["ANONYMIZED_TELEMETRY"] == "FALSE"
    for name, service in _paa_services(compose).items():
        assert _chroma_address(service["environment"]["PAA_MEMORY_CHROMA_URL"]) == ("chroma", 8000), name
        assert "backend" in service["networks"], name
        assert service["depends_on"]["chroma"] == {"condition": "service_healthy"}, name
    probe = chroma["healthcheck"]["test"]
    assert probe[:3] == ["CMD", "bash", "-c"]  # the image has no curl, wget or Python
    assert "/dev/tcp/127.0.0.1/8000" in probe[3] and f"GET {HEARTBEAT} " in probe[3]


def test_kubernetes_keeps_memory_vectors_on_the_chroma_statefulset(objects: list[tuple[str, dict[str, Any]]]) -> None:
    chroma = _objects_of(objects, "StatefulSet")["chroma"]
    spec = chroma["spec"]
    assert spec["replicas"] == 1  # single-node Chroma: a second pod would keep a store of its own
    [container] = spec["template"]["spec"]["containers"]
    assert container["image"] == CHROMA_IMAGE
    [claim] = spec["volumeClaimTemplates"]
    assert {"name": claim["metadata"]["name"], "mountPath": "/data"} in container["volumeMounts"]
    ports = {entry["name"]: entry["containerPort"] for entry in container["ports"]}
    assert ports == {"http": 8000}
    for kind in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert container[kind]["httpGet"] == {"path": HEARTBEAT, "port": "http"}, kind
    assert {"name": "ANONYMIZED_TELEMETRY", "value": "FALSE"} in container["env"]
    # The Service the pods name: it governs the StatefulSet and reaches its pod on the port paa's URL names.
    service = _objects_of(objects, "Service")[spec["serviceName"]]
    assert service["spec"]["selector"].items() <= spec["template"]["metadata"]["labels"].items()
    [port] = service["spec"]["ports"]
    assert port["targetPort"] in ports and ports[port["targetPort"]] == 8000
    address = (service["metadata"]["name"], port["port"])
    containers = dict(_paa_containers(objects))
    assert set(containers) == {"paa-api", "paa-daemon", "paa-worker"}
    for name, container in containers.items():
        [url] = [entry["value"] for entry in container["env"] if entry["name"] == "PAA_MEMORY_CHROMA_URL"]
        assert _chroma_address(url) == address, name
    # Never reachable from outside the cluster: Chroma asks for no token.
    assert service["spec"].get("type", "ClusterIP") == "ClusterIP"
    rules = _objects_of(objects, "Ingress")["paa"]["spec"]["rules"]
    backends = {entry["backend"]["service"]["name"] for rule in rules for entry in rule["http"]["paths"]}
    assert service["metadata"]["name"] not in backends


@pytest.mark.e2e
def test_the_chroma_health_checks_ask_a_real_chroma_server(
    compose: dict[str, Any], objects: list[tuple[str, dict[str, Any]]], chroma_url: str
) -> None:
    """Compose's bash health check and the Kubernetes probes' path, against `chroma run` of the same version."""
    import httpx

    from tests.e2e.test_serve import free_port

    script = compose["services"]["chroma"]["healthcheck"]["test"][3]
    port = chroma_url.rsplit(":", 1)[1]

    def check(text: str) -> int:
        done = subprocess.run(["bash", "-c", text], capture_output=True, timeout=30, check=False)
        return done.returncode

    assert check(script.replace("127.0.0.1/8000", f"127.0.0.1/{port}")) == 0
    assert check(script.replace("127.0.0.1/8000", f"127.0.0.1/{port}").replace(HEARTBEAT, HEARTBEAT + "x")) != 0
    assert check(script.replace("127.0.0.1/8000", f"127.0.0.1/{free_port()}")) != 0  # nothing listens
    container = _objects_of(objects, "StatefulSet")["chroma"]["spec"]["template"]["spec"]["containers"][0]
    assert httpx.get(chroma_url + container["readinessProbe"]["httpGet"]["path"], timeout=10).status_code == 200
