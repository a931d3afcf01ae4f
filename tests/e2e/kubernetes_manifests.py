"""Checks deploy/kubernetes/ (docs/kubernetes.md) without a cluster.

Run by kubernetes_manifests.sh: python3 kubernetes_manifests.py LOGTALLY SOURCE_DIR WORK_DIR.
Needs Debian's python3-yaml and python3-kubernetes (the Kubernetes API's models: field names,
types and required fields of the 1.22 API, used here as the schema).

Every failed check is printed; the exit status is 1 if any failed.
"""

import os
import re
import subprocess
import sys

import kubernetes.client
import yaml

LOGTALLY, SOURCE_DIR, WORK = sys.argv[1], sys.argv[2], sys.argv[3]
DEPLOY = os.path.join(SOURCE_DIR, "deploy", "kubernetes")

failures = []
checks = 0


def check(ok, what):
    """Counts one check; records `what` when it failed."""
    global checks
    checks += 1
    if not ok:
        failures.append(what)
    return ok


def load(path):
    with open(path, encoding="utf-8") as f:
        return list(yaml.safe_load_all(f))


# The objects there must be, by folder: (kind, name). A manifest added or removed changes this.
EXPECTED = {
    ".": {("Namespace", "logtally")},
    "sidecar": {("ConfigMap", "logtally-sidecar"), ("Deployment", "shop")},
    "node-agent": {
        ("ServiceAccount", "logtally-node-agent"),
        ("ConfigMap", "logtally-node-agent"),
        ("DaemonSet", "logtally-node-agent"),
    },
    "kafka-consumer": {
        ("ServiceAccount", "logtally-kafka-consumer"),
        ("ConfigMap", "logtally-kafka-consumer"),
        ("Deployment", "logtally-kafka-consumer"),
    },
}
API_VERSION = {
    "Namespace": "v1",
    "ConfigMap": "v1",
    "ServiceAccount": "v1",
    "Deployment": "apps/v1",
    "DaemonSet": "apps/v1",
}
CONFIG_KEY = "logtally.yaml"


# --- schema: the models of the Kubernetes Python client -----------------------------------------

def schema_errors(value, type_name, where):
    """Field names and value types of `value` against the client's model `type_name`."""
    errors = []
    if type_name.startswith("list["):
        if not isinstance(value, list):
            return [f"{where}: expected a list"]
        for i, item in enumerate(value):
            errors += schema_errors(item, type_name[5:-1], f"{where}[{i}]")
        return errors
    if type_name.startswith("dict("):
        if not isinstance(value, dict):
            return [f"{where}: expected a map"]
        for k, v in value.items():
            # Quantities (resources) may be YAML numbers; every other string map is strings.
            if not isinstance(v, str) and not (where.endswith(("limits", "requests"))
                                               and isinstance(v, (int, float))):
                errors.append(f"{where}.{k}: expected a string, got {v!r}")
        return errors
    if type_name == "str":
        return [] if isinstance(value, str) else [f"{where}: expected a string, got {value!r}"]
    if type_name == "int":
        ok = isinstance(value, int) and not isinstance(value, bool)
        return [] if ok else [f"{where}: expected an integer, got {value!r}"]
    if type_name == "bool":
        return [] if isinstance(value, bool) else [f"{where}: expected true/false, got {value!r}"]
    if type_name in ("object", "float", "datetime", "date"):
        return []
    model = getattr(kubernetes.client, type_name)
    if not isinstance(value, dict):
        return [f"{where}: expected a {type_name} map"]
    by_json = {json: attr for attr, json in model.attribute_map.items()}
    for key, item in value.items():
        if key not in by_json:
            errors.append(f"{where}: unknown field '{key}' in {type_name}")
            continue
        errors += schema_errors(item, model.openapi_types[by_json[key]], f"{where}.{key}")
    return errors


def required_errors(obj, model_name, where):
    """Required fields: the client's models refuse a missing one when deserializing."""
    client = kubernetes.client.ApiClient()
    try:
        client._ApiClient__deserialize(obj, model_name)  # pylint: disable=protected-access
    except (ValueError, TypeError) as e:
        return [f"{where}: {e}"]
    return []


# --- the manifests -------------------------------------------------------------------------------

objects = {}  # folder -> list of (file, object)
for folder in EXPECTED:
    fdir = os.path.join(DEPLOY, folder)
    if not check(os.path.isdir(fdir), f"{folder}: folder missing"):
        continue
    files = sorted(f for f in os.listdir(fdir) if f.endswith((".yaml", ".yml")))
    kustomization = None
    objects[folder] = []
    for name in files:
        path = os.path.join(fdir, name)
        rel = os.path.relpath(path, DEPLOY)
        try:
            docs = [d for d in load(path) if d is not None]
        except yaml.YAMLError as e:
            check(False, f"{rel}: not YAML: {e}")
            continue
        check(len(docs) == 1, f"{rel}: expected one document, found {len(docs)}")
        for doc in docs:
            if not check(isinstance(doc, dict), f"{rel}: not a map"):
                continue
            if name == "kustomization.yaml":
                kustomization = doc
                continue
            kind, api = doc.get("kind"), doc.get("apiVersion")
            meta = doc.get("metadata") or {}
            check(isinstance(kind, str) and isinstance(api, str) and
                  isinstance(meta.get("name"), str), f"{rel}: apiVersion, kind or metadata.name missing")
            if kind not in API_VERSION:
                check(False, f"{rel}: unexpected kind {kind!r}")
                continue
            check(api == API_VERSION[kind], f"{rel}: apiVersion {api!r}, expected {API_VERSION[kind]!r}")
            model = "V1" + kind
            for e in schema_errors(doc, model, rel) + required_errors(doc, model, rel):
                check(False, e)
            check(meta.get("namespace") is None,
                  f"{rel}: metadata.namespace set (the kustomizations choose the namespace)")
            objects[folder].append((name, doc))
    found = {(d.get("kind"), (d.get("metadata") or {}).get("name")) for _, d in objects[folder]}
    check(found == EXPECTED[folder],
          f"{folder}: objects {sorted(found)}, expected {sorted(EXPECTED[folder])}")

    # kustomization.yaml lists exactly the folder's manifests (and, at the top, the folders).
    if check(kustomization is not None, f"{folder}: kustomization.yaml missing"):
        check(kustomization.get("apiVersion") == "kustomize.config.k8s.io/v1beta1" and
              kustomization.get("kind") == "Kustomization",
              f"{folder}/kustomization.yaml: apiVersion/kind of a Kustomization expected")
        want = sorted(n for n in files if n != "kustomization.yaml")
        if folder == ".":
            want += sorted(f for f in EXPECTED if f != ".")
            check(kustomization.get("namespace") == "logtally",
                  "kustomization.yaml: namespace logtally expected")
        else:
            check("namespace" not in kustomization,
                  f"{folder}/kustomization.yaml: sets a namespace (the top one does)")
        check(sorted(kustomization.get("resources") or []) == sorted(want),
              f"{folder}/kustomization.yaml: resources {kustomization.get('resources')}, "
              f"expected {want}")


# --- each workload against its logtally config --------------------------------------------------

def project_version():
    with open(os.path.join(SOURCE_DIR, "CMakeLists.txt"), encoding="utf-8") as f:
        m = re.search(r"project\(logtally VERSION ([0-9.]+)", f.read())
    return m.group(1) if m else None


VERSION = project_version()
check(VERSION is not None, "CMakeLists.txt: project(logtally VERSION ...) not found")


def mount_of(path, mounts):
    """The volumeMount holding `path` (the deepest one), or None."""
    best = None
    for m in mounts:
        mp = m["mountPath"].rstrip("/") or "/"
        if path == mp or path.startswith(mp + "/") or mp == "/":
            if best is None or len(mp) > len(best["mountPath"].rstrip("/")):
                best = m
    return best


def fixed_dir(pattern):
    """The part of a glob before its first wildcard, up to the last '/' of that part."""
    cut = re.search(r"[*?\[]", pattern)
    head = pattern[:cut.start()] if cut else pattern
    return head if cut is None else head[:head.rfind("/")] or "/"


def run(args, env=None):
    p = subprocess.run(args, capture_output=True, text=True, env=env, timeout=20)
    return p.returncode, p.stdout + p.stderr


def check_workload(folder, kind, name):
    docs = {(d.get("kind"), (d.get("metadata") or {}).get("name")): d
            for _, d in objects.get(folder, [])}
    w = docs.get((kind, name))
    if not check(w is not None, f"{folder}: {kind} {name} missing"):
        return None
    where = f"{folder}/{kind} {name}"
    tmpl = w["spec"]["template"]
    pod = tmpl["spec"]
    containers = pod.get("containers", [])
    ours = [c for c in containers if str(c.get("image", "")).startswith("logtally:")]
    if not check(len(ours) == 1, f"{where}: expected one logtally container, found {len(ours)}"):
        return None
    c = ours[0]
    check(c["image"] == f"logtally:{VERSION}",
          f"{where}: image {c['image']!r}, expected 'logtally:{VERSION}' (CMakeLists.txt)")

    # Every mounted volume exists; every volume is mounted.
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    used = set()
    for cc in containers + pod.get("initContainers", []):
        for m in cc.get("volumeMounts", []):
            used.add(m["name"])
            check(m["name"] in volumes,
                  f"{where}: container {cc['name']} mounts volume {m['name']!r}, not in volumes")
    check(used == set(volumes), f"{where}: volumes {sorted(volumes)} but mounted {sorted(used)}")
    mounts = c.get("volumeMounts", [])

    # --config FILE: a key of a ConfigMap of this folder, through a configMap volume.
    args = c.get("args", [])
    if not check(len(args) == 2 and args[0] == "--config",
                 f"{where}: args {args}, expected ['--config', FILE]"):
        return None
    cfg_path = args[1]
    m = mount_of(cfg_path, mounts)
    vol = volumes.get(m["name"]) if m else None
    if not check(vol is not None and "configMap" in vol,
                 f"{where}: --config {cfg_path} is not on a configMap volume"):
        return None
    check(m.get("readOnly") is True, f"{where}: config mount not readOnly")
    cm_name = vol["configMap"]["name"]
    cm = docs.get(("ConfigMap", cm_name))
    key = os.path.relpath(cfg_path, m["mountPath"])
    if not check(cm is not None and key in cm.get("data", {}),
                 f"{where}: ConfigMap {cm_name} with key {key} not found in {folder}/"):
        return None
    check(key == CONFIG_KEY, f"{where}: config key {key}, expected {CONFIG_KEY}")
    text = cm["data"][key]
    cfg_file = os.path.join(WORK, folder + ".yaml")
    with open(cfg_file, "w", encoding="utf-8") as f:
        f.write(text)

    # logtally check, with the container's environment (its ${VAR}s).
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    for e in c.get("env", []):
        if "value" in e:
            env[e["name"]] = e["value"]
    rc, out = run([LOGTALLY, "check", "--config", cfg_file], env)
    check(rc == 0, f"{where}: logtally check of ConfigMap {cm_name} failed (exit {rc}):\n{out}")
    cfg = yaml.safe_load(text)

    # The exporter: one, and every port and path agrees with it.
    exporters = [s for s in cfg.get("sinks", {}).values() if s.get("type") == "prometheus_exporter"]
    if not check(len(exporters) == 1, f"{where}: expected one prometheus_exporter sink"):
        return None
    exp = exporters[0]
    listen = exp.get("listen", "0.0.0.0:9898")
    mpath = exp.get("path", "/metrics")
    port = int(listen.rsplit(":", 1)[1])
    check(f"prometheus_exporter http://{listen}{mpath}" in out,
          f"{where}: logtally check does not print the exporter as http://{listen}{mpath}:\n{out}")
    check(not listen.startswith(("127.", "localhost", "[::1]")),
          f"{where}: exporter listens on {listen}, not reachable by probes or Prometheus")
    ports = c.get("ports", [])
    check([(p.get("containerPort"), p.get("protocol", "TCP")) for p in ports] == [(port, "TCP")],
          f"{where}: container ports {ports}, expected one TCP containerPort {port}")
    names = {p.get("name"): p.get("containerPort") for p in ports if p.get("name")}
    for probe, want_path in (("livenessProbe", "/-/healthy"), ("readinessProbe", "/-/ready")):
        get = (c.get(probe) or {}).get("httpGet")
        if not check(get is not None, f"{where}: {probe}.httpGet missing"):
            continue
        p = names.get(get.get("port"), get.get("port"))
        check(p == port, f"{where}: {probe} port {get.get('port')!r}, exporter listens on {port}")
        check(get.get("path") == want_path, f"{where}: {probe} path {get.get('path')!r}, "
              f"expected {want_path}")
        check(get.get("scheme", "HTTP") == "HTTP" and "tls_cert_file" not in exp,
              f"{where}: {probe} scheme vs the exporter's TLS")
    ann = (tmpl.get("metadata") or {}).get("annotations") or {}
    check(ann.get("prometheus.io/scrape") == "true", f"{where}: prometheus.io/scrape != 'true'")
    check(ann.get("prometheus.io/port") == str(port),
          f"{where}: prometheus.io/port {ann.get('prometheus.io/port')!r}, exporter port {port}")
    check(ann.get("prometheus.io/path") == mpath,
          f"{where}: prometheus.io/path {ann.get('prometheus.io/path')!r}, exporter path {mpath}")

    # Limits and hardening.
    res = c.get("resources", {})
    for part in ("requests", "limits"):
        check(set((res.get(part) or {})) == {"cpu", "memory"},
              f"{where}: resources.{part} must set cpu and memory")
    sc = c.get("securityContext", {})
    check(sc.get("readOnlyRootFilesystem") is True, f"{where}: readOnlyRootFilesystem not true")
    check(sc.get("allowPrivilegeEscalation") is False,
          f"{where}: allowPrivilegeEscalation not false")
    check(sc.get("capabilities") == {"drop": ["ALL"]},
          f"{where}: capabilities {sc.get('capabilities')}, expected drop [ALL] and no add")
    psc = pod.get("securityContext", {})
    check(sc.get("privileged") in (None, False), f"{where}: privileged")

    # Files read: under a mount. The checkpoint: under a writable mount of the right volume.
    sources = cfg.get("sources", {})
    for sname, s in sources.items():
        if s.get("type") != "file":
            continue
        for pattern in ([s["path"]] if "path" in s else []) + list(s.get("include", [])):
            fm = mount_of(fixed_dir(pattern), mounts)
            check(fm is not None and fm["mountPath"] != "/",
                  f"{where}: source {sname} reads {pattern}, which is under no volume mount")
            if fm is not None:
                check(fm.get("readOnly") is True,
                      f"{where}: {pattern} is read through a writable mount ({fm['name']})")
    ckpt_dir = (cfg.get("checkpoint") or {}).get("dir")
    ckpt_volume = None
    if check(ckpt_dir is not None, f"{where}: no checkpoint dir in the config"):
        cm_ = mount_of(ckpt_dir, mounts)
        if check(cm_ is not None, f"{where}: checkpoint dir {ckpt_dir} is under no volume mount"):
            check(not cm_.get("readOnly", False),
                  f"{where}: checkpoint dir {ckpt_dir} is on a readOnly mount")
            ckpt_volume = volumes.get(cm_["name"])
    return {"workload": w, "pod": pod, "container": c, "cfg": cfg, "cfg_file": cfg_file,
            "volumes": volumes, "mounts": mounts, "ckpt_volume": ckpt_volume, "psc": psc,
            "sc": sc, "where": where, "containers": containers}


def check_logtally_test(where, cfg_file, test_file, passed):
    rc, out = run([LOGTALLY, "test", "--config", cfg_file, test_file])
    last = out.strip().splitlines()[-1] if out.strip() else ""
    check(rc == 0 and last == f"{passed} passed, 0 failed",
          f"{where}: logtally test {os.path.basename(test_file)}: exit {rc}, last line "
          f"{last!r}, expected '{passed} passed, 0 failed':\n{out}")


def non_root(r):
    run_as_non_root = r["sc"].get("runAsNonRoot", r["psc"].get("runAsNonRoot"))
    uid = r["sc"].get("runAsUser", r["psc"].get("runAsUser"))
    return run_as_non_root is True and isinstance(uid, int) and uid != 0


def node_agent():
    """CRI, /var/log read-only from the host, checkpoints on the host, every node."""
    r = check_workload("node-agent", "DaemonSet", "logtally-node-agent")
    if not r:
        return
    where, cfg, volumes, mounts = r["where"], r["cfg"], r["volumes"], r["mounts"]
    varlog = [m for m in mounts if m["mountPath"] == "/var/log"]
    check(len(varlog) == 1 and varlog[0].get("readOnly") is True and
          volumes[varlog[0]["name"]].get("hostPath") == {"path": "/var/log", "type": "Directory"},
          f"{where}: /var/log must be hostPath /var/log (Directory) mounted readOnly: {varlog}")
    check((r["ckpt_volume"] or {}).get("hostPath") ==
          {"path": "/var/lib/logtally", "type": "DirectoryOrCreate"},
          f"{where}: checkpoint volume {r['ckpt_volume']}, expected hostPath /var/lib/logtally")
    check(cfg["checkpoint"]["dir"] == "/var/lib/logtally", f"{where}: checkpoint dir")
    srcs = list(cfg["sources"].values())
    check(len(srcs) == 1 and srcs[0].get("type") == "file" and srcs[0].get("format") == "cri" and
          srcs[0].get("include") == ["/var/log/containers/*.log"],
          f"{where}: expected one file source of /var/log/containers/*.log with format cri")
    check(r["pod"].get("tolerations") == [{"operator": "Exists"}],
          f"{where}: tolerations {r['pod'].get('tolerations')}, expected [operator: Exists]")
    check(r["workload"]["spec"].get("updateStrategy", {}).get("rollingUpdate", {}).get("maxSurge")
          == 0, f"{where}: rollingUpdate.maxSurge must be 0 (one pod per checkpoint dir)")
    # Root, with no capability: the log files are root's (docs/kubernetes.md).
    check(r["sc"].get("runAsUser") == 0 and r["sc"].get("runAsNonRoot") is False,
          f"{where}: expected runAsUser 0, runAsNonRoot false (see docs/kubernetes.md)")
    # The config is examples/node-agent.yaml plus `workers`, and passes that example's tests.
    example = os.path.join(SOURCE_DIR, "examples", "node-agent.yaml")
    with open(example, encoding="utf-8") as f:
        ex = yaml.safe_load(f)
    mine = dict(cfg)
    workers = mine.pop("workers")
    check(mine == ex, f"{where}: the config differs from examples/node-agent.yaml beyond workers")
    limit = r["container"]["resources"]["limits"]["cpu"]
    check(str(workers) == str(limit), f"{where}: workers {workers}, CPU limit {limit}")
    check_logtally_test(where, r["cfg_file"],
                        os.path.join(SOURCE_DIR, "examples", "tests", "node-agent.yaml"), 3)

def sidecar():
    """The app and logtally share the log folder."""
    r = check_workload("sidecar", "Deployment", "shop")
    if not r:
        return
    where, cfg, mounts = r["where"], r["cfg"], r["mounts"]
    src = cfg["sources"]["app"]
    lm = mount_of(src["path"], mounts)
    app = [c for c in r["containers"] if c is not r["container"]]
    shared = [m for c in app for m in c.get("volumeMounts", [])
              if lm and m["name"] == lm["name"]]
    check(len(app) == 1 and len(shared) == 1 and shared[0]["mountPath"] == lm["mountPath"] and
          not shared[0].get("readOnly", False),
          f"{where}: the app must mount the log volume writable at {lm and lm['mountPath']}")
    check(lm is not None and "emptyDir" in r["volumes"][lm["name"]],
          f"{where}: the shared log volume is not an emptyDir")
    check(app and src["path"] in " ".join(app[0].get("command", []) + app[0].get("args", [])),
          f"{where}: the stand-in app does not write {src['path']}")
    check("emptyDir" in (r["ckpt_volume"] or {}), f"{where}: checkpoint volume not an emptyDir")
    check(non_root(r), f"{where}: logtally must run as non-root")
    # Exactly what the stand-in app writes gives exactly these series.
    test_file = os.path.join(WORK, "sidecar-test.yaml")
    with open(test_file, "w", encoding="utf-8") as f:
        f.write("""tests:
  - name: the stand-in app's lines
    input: |
      {"level":"info","method":"GET","route":"/api/items","status":200,"duration_ms":1}
      {"level":"info","method":"GET","route":"/api/items","status":200,"duration_ms":9}
      {"level":"info","method":"GET","route":"/api/items","status":500,"duration_ms":10}
      {"level":"info","method":"GET","route":"/api/items","status":200,"duration_ms":299}
    expect: |
      http_requests_total{method="GET",route="/api/items",status="200"} 3
      http_requests_total{method="GET",route="/api/items",status="500"} 1
      http_request_duration_seconds_bucket{route="/api/items",le="0.005"} 1
      http_request_duration_seconds_bucket{route="/api/items",le="0.01"} 3
      http_request_duration_seconds_bucket{route="/api/items",le="0.025"} 3
      http_request_duration_seconds_bucket{route="/api/items",le="0.25"} 3
      http_request_duration_seconds_bucket{route="/api/items",le="0.5"} 4
      http_request_duration_seconds_bucket{route="/api/items",le="+Inf"} 4
      http_request_duration_seconds_count{route="/api/items"} 4
      logtally_records_dropped_total{pipeline="http",reason="invalid_json"} 0
""")
    check_logtally_test(where, r["cfg_file"], test_file, 1)

def kafka_consumer():
    """Several replicas, one group."""
    r = check_workload("kafka-consumer", "Deployment", "logtally-kafka-consumer")
    if not r:
        return
    where, cfg = r["where"], r["cfg"]
    check(r["workload"]["spec"].get("replicas") == 3, f"{where}: replicas must be 3")
    srcs = list(cfg["sources"].values())
    ok = len(srcs) == 1 and srcs[0].get("type") == "kafka"
    check(ok, f"{where}: expected one kafka source")
    if ok:
        group = srcs[0].get("group")
        # A group from the environment (${HOSTNAME}) would make each pod a group of its own.
        check(group == "logtally", f"{where}: group {group!r}, expected the literal 'logtally'")
        check("KAFKA_BROKERS" in srcs[0].get("brokers", "") and
              any(e["name"] == "KAFKA_BROKERS" for e in r["container"].get("env", [])),
              f"{where}: brokers must come from the container's KAFKA_BROKERS")
    check("emptyDir" in (r["ckpt_volume"] or {}), f"{where}: checkpoint volume not an emptyDir")
    check(non_root(r), f"{where}: logtally must run as non-root")

for part in (node_agent, sidecar, kafka_consumer):
    try:
        part()
    except (KeyError, TypeError, AttributeError, IndexError, ValueError) as e:
        # A manifest too malformed for the checks above (its schema errors are listed too).
        check(False, f"{part.__name__}: malformed manifest: {type(e).__name__}: {e}")

for f in failures:
    print("FAIL:", f)
print(f"kubernetes_manifests: {checks - len(failures)} of {checks} checks passed")
sys.exit(1 if failures else 0)
