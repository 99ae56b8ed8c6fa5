#!/usr/bin/env bash
# Part of `make test`: the deployment files say what the operations guide says. The Kubernetes
# manifests are validated against the Kubernetes schemas (`kubernetes-validate` from PyPI, in a
# venv kept under .build/), strictly (an unknown field fails), and both they and
# deploy/compose.yaml are read for what operations rely on: the probes, the preStop pause,
# secrets from files, two instances behind nginx, PostgreSQL on a named volume.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.build/deploy-venv
if [[ ! -x "$VENV/bin/kubernetes-validate" ]]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q kubernetes-validate==1.37.0 PyYAML
fi
"$VENV/bin/kubernetes-validate" --strict --quiet deploy/kubernetes/*.yaml

"$VENV/bin/python" - <<'PY'
import glob, sys, yaml

failures = []
def check(condition, what):
    if not condition:
        failures.append(what)

docs = [d for f in sorted(glob.glob("deploy/kubernetes/*.yaml")) for d in yaml.safe_load_all(open(f)) if d]
kinds = {d["kind"]: d for d in docs}
check(set(kinds) >= {"Deployment", "Service", "Secret"}, f"kubernetes kinds: {sorted(kinds)}")
deployment = kinds["Deployment"]["spec"]
pod = deployment["template"]["spec"]
server = next(c for c in pod["containers"] if c["name"] == "concord")
check(server["readinessProbe"]["httpGet"]["path"] == "/readyz", "readiness probe is GET /readyz")
check(server["livenessProbe"]["httpGet"]["path"] == "/livez", "liveness probe is GET /livez")
# The image has no `sleep` to exec: the pause is the kubelet's own sleep action.
pre_stop = server["lifecycle"]["preStop"].get("sleep", {}).get("seconds", 0)
check(pre_stop > 0, f"preStop sleeps: {server['lifecycle']['preStop']}")
check(pod["terminationGracePeriodSeconds"] > pre_stop + 10, "the grace period outlasts the preStop pause and the drain")
env = {e["name"]: e.get("value") for e in server["env"]}
check("DATABASE_URL_FILE" in env and "DATABASE_URL" not in env, "the database URL comes from a file")
check(deployment["strategy"]["rollingUpdate"]["maxUnavailable"] == 0, "rolling updates keep every pod until its successor is ready")
check(any(c.get("args") == ["migrate"] for c in pod.get("initContainers", [])), "migrations run before the server starts")
check(pod["securityContext"]["runAsUser"] == 10001, "runs as the image's user")
check(pod["securityContext"].get("fsGroup") == 10001, "the mounted secrets belong to the image's group, so it can read them")
import re
version = re.search(r'^\s*public static let version = "([^"]*)"', open("Sources/App/Version.swift").read(), re.M).group(1)
for c in pod["containers"] + pod.get("initContainers", []):
    check(c["image"].endswith(":" + version), f"{c['name']} runs this release's image (concord:{version}), not {c['image']}")
service = kinds["Service"]["spec"]
check(service["selector"] == deployment["selector"]["matchLabels"], "the Service selects the Deployment's pods")

compose = yaml.safe_load(open("deploy/compose.yaml"))
services = compose["services"]
instances = [name for name, s in services.items() if "CONCORD_IMAGE" in s.get("image", "")]
check(len(instances) == 2, f"two Concord instances: {instances}")
for name in instances:
    s = services[name]
    check(s["environment"].get("DATABASE_URL_FILE", "").startswith("/run/secrets/"), f"{name}: DATABASE_URL from a secret file")
    check(s["depends_on"]["db"]["condition"] == "service_healthy", f"{name}: waits for a healthy database")
check(any(v.startswith("pgdata:") for v in services["db"]["volumes"]) and "pgdata" in compose["volumes"], "PostgreSQL on a named volume")
check("healthcheck" in services["db"], "the database has a health check")
lb = services["lb"]
check(all(lb["depends_on"][n]["condition"] == "service_healthy" for n in instances), "nginx waits for healthy instances (the image's HEALTHCHECK)")
nginx = open("deploy/nginx.conf").read()
check(all(f"server {n}:8080" in nginx for n in instances), "nginx balances over both instances")

if failures:
    print("deploy-check: FAILED:\n  " + "\n  ".join(failures), file=sys.stderr)
    sys.exit(1)
print(f"deploy-check: ok ({len(docs)} Kubernetes objects, {len(services)} compose services)")
PY
