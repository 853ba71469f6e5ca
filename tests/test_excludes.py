"""Path excludes: --exclude and the configuration's exclude: with gitignore semantics (a name at any depth,
a trailing / for folders, **, anchored and negated patterns), excluded paths neither read nor rendered, each
listed once with its pattern under -v, and a named input that is excluded said so."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from checker.config import ConfigError, load_config
from checker.inputs.discovery import discover
from checker.inputs.excludes import ExcludeError, Excludes, PatternGroup
from checker.inputs.render import RenderOptions

from .conftest import CORPUS, need_shared, scan

POD = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\nspec:\n  containers:\n  - name: c\n    image: x:1\n"


def _tree(root: Path, files: list[str]) -> None:
    for name in files:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(POD.format(name=path.stem))


def _kept(root: Path, *patterns: str, config: PatternGroup | None = None) -> list[str]:
    found = discover([str(root)], excludes=Excludes(config, patterns))
    return sorted(str(Path(name).relative_to(root)) for name in found.inputs)


TREE = ["app.yaml", "tests/a.yaml", "deep/tests/b.yaml", "deep/tests.yaml", "vendor/x/c.yaml", "top.yaml", "d/top.yaml"]


def test_gitignore_semantics(tmp_path: Path) -> None:
    _tree(tmp_path, TREE)
    # a name without a slash matches at any depth; the trailing slash only folders
    assert _kept(tmp_path, "tests/") == ["app.yaml", "d/top.yaml", "deep/tests.yaml", "top.yaml", "vendor/x/c.yaml"]
    assert "deep/tests.yaml" not in _kept(tmp_path, "tests.yaml")
    # a leading slash anchors at the scan root; ** spans folders
    assert _kept(tmp_path, "/top.yaml") == sorted(set(TREE) - {"top.yaml"})
    assert _kept(tmp_path, "vendor/**") == sorted(set(TREE) - {"vendor/x/c.yaml"})
    assert _kept(tmp_path, "**/b.yaml") == sorted(set(TREE) - {"deep/tests/b.yaml"})
    # ! re-includes a file (of a folder that is not itself excluded)
    assert _kept(tmp_path, "*.yaml", "!app.yaml") == ["app.yaml"]


def test_excluded_paths_are_listed_once_with_their_pattern(tmp_path: Path) -> None:
    _tree(tmp_path, TREE)
    found = discover([str(tmp_path)], excludes=Excludes(None, ("tests/", "/top.yaml")))
    assert found.excluded.listed == [
        (f"{tmp_path}/tests/", "--exclude 'tests/'"),
        (f"{tmp_path}/top.yaml", "--exclude '/top.yaml'"),
        (f"{tmp_path}/deep/tests/", "--exclude 'tests/'"),
    ]
    assert found.excluded.named == []


def test_configuration_patterns_are_relative_to_its_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _tree(tmp_path / "repo", TREE)
    config_file = tmp_path / "repo" / ".kubecheck.yaml"
    config_file.write_text("exclude:\n  - /top.yaml\n  - vendor/\n")
    monkeypatch.chdir(tmp_path)  # the scan runs elsewhere: patterns stay relative to the file's folder
    config = load_config(str(config_file))
    assert config.exclude is not None and config.exclude.places == (f"{config_file}:2", f"{config_file}:3")
    found = discover(["repo/deep", "repo"], excludes=Excludes(config.exclude))
    assert sorted(found.inputs) == [
        "repo/app.yaml",
        "repo/d/top.yaml",
        "repo/deep/tests.yaml",
        "repo/deep/tests/b.yaml",
        "repo/tests/a.yaml",
    ]
    assert ("repo/top.yaml", f"{config_file}:2 '/top.yaml'") in found.excluded.listed
    # the command line comes after the file: it can re-include
    again = discover(["repo"], excludes=Excludes(config.exclude, ("!top.yaml",)))
    assert "repo/top.yaml" in again.inputs


def test_configuration_mistakes_name_file_and_line(tmp_path: Path) -> None:
    config_file = tmp_path / ".kubecheck.yaml"
    config_file.write_text("packs: [pss-baseline]\nexclude:\n  - ok/\n  - '!'\n")
    with pytest.raises(ConfigError) as caught:
        load_config(str(config_file))
    assert caught.value.messages[0].startswith(f"{config_file}:4: exclude pattern '!'")
    config_file.write_text("exclude: tests/\n")
    with pytest.raises(ConfigError, match=r":1: 'exclude' takes a list"):
        load_config(str(config_file))
    with pytest.raises(ExcludeError, match="--exclude: exclude pattern '' matches nothing"):
        Excludes(None, ("",))


def test_a_named_input_that_is_excluded_is_said_and_not_read(tmp_path: Path) -> None:
    _tree(tmp_path, TREE)
    named = str(tmp_path / "tests" / "a.yaml")
    render = RenderOptions(excludes=Excludes(None, ("tests/",)))
    report = scan([named, tmp_path / "app.yaml"], render=render, rules=["pss-host-namespaces"])
    assert report.files == 1
    assert report.warnings == [f"{named}: named on the command line but excluded by --exclude 'tests/'; not scanned"]


def test_excluded_chart_templates_are_not_checked(tmp_path: Path) -> None:
    """A chart renders whole; the documents of its excluded templates are left out (helm test hooks, say)."""
    pytest.importorskip("helm_python", reason="the Helm SDK (pip install 'kubecheck[helm]') is not installed")
    chart = tmp_path / "chart"
    (chart / "templates" / "tests").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: demo\nversion: 0.1.0\n")
    (chart / "templates" / "pod.yaml").write_text(POD.format(name="{{ .Release.Name }}-app"))
    (chart / "templates" / "tests" / "test.yaml").write_text(POD.format(name="{{ .Release.Name }}-test"))
    everything = scan([chart], rules=["pss-run-as-non-root"])
    assert {f.resource["name"] for f in everything.findings} == {"release-name-app", "release-name-test"}
    render = RenderOptions(excludes=Excludes(None, ("templates/tests/",)))
    report = scan([chart], render=render, rules=["pss-run-as-non-root"])
    assert {f.resource["name"] for f in report.findings} == {"release-name-app"}


def test_excludes_on_the_real_corpus() -> None:
    need_shared(CORPUS)
    repo = CORPUS / "argoproj__argo-cd"
    render = RenderOptions(enabled=False, excludes=Excludes(None, ("testdata/",)))
    found = discover([str(repo)], excludes=render.excludes)
    assert found.inputs and not any("/testdata/" in name for name in found.inputs)
    listed = [path for path, _ in found.excluded.listed]
    assert len(listed) == len(set(listed)) and all(path.endswith("/testdata/") for path in listed)
    whole = discover([str(repo)])
    inside = [name for name in whole.inputs if "/testdata/" in name]
    assert len(found.inputs) + len(inside) == len(whole.inputs)
    assert all(any(name.startswith(folder) for folder in listed) for name in inside)


def test_cli_lists_excluded_paths_under_verbose() -> None:
    target = CORPUS / "GoogleCloudPlatform__microservices-demo" / "kustomize"
    need_shared(target)
    command = [sys.executable, "-m", "checker.cli", "scan", str(target), "--exclude", "tests/", "--rule"]
    done = subprocess.run([*command, "pss-host-namespaces", "-v"], capture_output=True, text=True, check=False)
    assert f"note: {target}/tests/: excluded by --exclude 'tests/', not scanned" in done.stdout
    assert "memorystore-with-all-components" not in done.stdout.replace("note: ", "") + done.stderr
    as_json = subprocess.run(
        [*command, "pss-host-namespaces", "-o", "json"], capture_output=True, text=True, check=False
    )
    assert json.loads(as_json.stdout)["summary"]["files"] > 0


def test_per_chart_settings_in_the_configuration_change_a_verdict(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """charts: in .kubecheck.yaml renders a real chart with the file's values (relative to the file) and --set;
    the command line's --helm-set comes after them and wins on the same key."""
    pytest.importorskip("helm_python", reason="the Helm SDK (pip install 'kubecheck[helm]') is not installed")
    charts = CORPUS.parent / "charts"
    need_shared(charts)
    chart = tmp_path / "deploy" / "spark"
    shutil.copytree(charts / "spark-operator-v2.0.1", chart)
    (tmp_path / "deploy" / "hardened.yaml").write_text(
        "controller:\n  securityContext:\n    capabilities:\n      drop: [ALL]\n"
    )
    config_file = tmp_path / ".kubecheck.yaml"
    config_file.write_text(
        "charts:\n  deploy/spark:\n    values: [deploy/hardened.yaml]\n"
        "    set: ['webhook.securityContext.capabilities.drop={ALL}']\n    release-name: spark\n"
    )
    monkeypatch.chdir(tmp_path)
    config = load_config(None)
    rules = ["drop-net-bind-service"]
    before = scan([chart], rules=rules)
    assert {Path(f.file).name for f in before.findings} == {"deployment.yaml"} and len(before.findings) == 2
    configured = RenderOptions(charts=config.charts)
    assert configured.for_chart("deploy/spark").values == ("deploy/hardened.yaml",)
    after = scan(["deploy"], render=configured, rules=rules)
    assert after.findings == [] and after.errors == []
    assert all(str(r["metadata"]["name"]).startswith("spark") for r in _objects(chart, configured))
    # the command line comes after the file: its --helm-set wins on the same key
    undone = RenderOptions(charts=config.charts, helm_set=("webhook.securityContext.capabilities.drop=null",))
    names = [f.resource["name"] for f in scan(["deploy/spark"], render=undone, rules=rules).findings]
    assert names == ["spark-spark-operator-webhook"]


def _objects(chart: Path, render: RenderOptions) -> list[dict[str, Any]]:
    from checker.api import read

    documents = read([str(chart)], render=render).documents
    return [doc.data for doc in documents if doc.source.origin is not None and isinstance(doc.data, dict)]


def test_per_chart_settings_mistakes_name_file_and_line(tmp_path: Path) -> None:
    config_file = tmp_path / ".kubecheck.yaml"
    config_file.write_text(
        "charts:\n  deploy/chart:\n    values: [missing.yaml]\n    sett: [a=b]\n  other:\n    set: [novalue]\n"
        "  third: [x]\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_config(str(config_file))
    assert caught.value.messages == [
        f"{config_file}:3: charts.deploy/chart.values: {tmp_path}/missing.yaml is not a file",
        f"{config_file}:4: charts.deploy/chart: unknown key 'sett' (did you mean 'set'?) "
        "(keys: values, set, release-name, namespace)",
        f"{config_file}:6: charts.other.set: each entry is KEY=VALUE, as helm --set",
        f"{config_file}:7: charts.third: 'charts' maps chart path patterns to {{values: [FILE...], "
        "set: [KEY=VALUE...], release-name, namespace}",
    ]


def test_chart_patterns_match_like_gitignore(tmp_path: Path) -> None:
    from checker.inputs.render.charts import ChartSettings

    def matches(pattern: str, chart: str) -> bool:
        return ChartSettings(pattern, str(tmp_path), "f:1").matches(str(tmp_path / chart))

    assert matches("deploy/chart", "deploy/chart") and not matches("deploy/chart", "x/deploy/chart")
    assert matches("charts/*", "charts/web") and matches("web", "a/b/web") and not matches("web", "webapp")
    assert matches("**/prod-*", "envs/eu/prod-web") and not matches("/web", "a/web")
