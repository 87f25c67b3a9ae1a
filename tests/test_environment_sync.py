"""environment.yml (conda, Binder) must match pyproject.toml (pip, course.py).

Same packages as `pip install .[notebooks]` (the core, the `course` and `notebooks` extras) with
the same floor pins, the same Python floor, conda-forge, and the
course package itself installed from the repository. environment.yml is read by a tiny parser
for the plain YAML it uses (PyYAML is not a dependency of the course); where PyYAML happens to be
installed, a second test checks that the tiny parser reads the file as PyYAML does.
"""
import pathlib
import re

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: pytest itself depends on tomli there
    import tomli as tomllib

ROOT = pathlib.Path(__file__).resolve().parent.parent
# PyPI name -> conda-forge name, for packages named differently on the two (none so far).
CONDA_NAME = {}
NOT_RUNTIME = {"python", "pip"}  # conda packages that are not pyproject runtime dependencies
# The extras a conda/Binder user gets (dev is for maintainers: pytest, playwright, ruff, ...).
CONDA_EXTRAS = ("course", "notebooks")


def parse_simple_yaml(text):
    """Parse the YAML subset environment.yml uses: top-level `key: scalar` or `key:` followed
    by a list of scalars, where one item may be `pip:` with a nested list of scalars.
    Anything else raises ValueError, so a fancier file fails loudly instead of being misread."""
    data, key, nested, nested_indent = {}, None, None, -1
    for number, raw in enumerate(text.splitlines(), 1):
        line = re.sub(r"(^|\s)#.*$", "", raw).rstrip()
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip())
        item = line.strip()
        if item.startswith("- "):
            if key is None or not isinstance(data[key], list):
                raise ValueError(f"line {number}: list item outside a list: {raw!r}")
            value = item[2:].strip()
            if nested is not None and indent > nested_indent:
                nested.append(unquote(value))
            elif re.fullmatch(r"[\w.-]+:", value):
                nested, nested_indent = [], indent
                data[key].append({value[:-1]: nested})
            else:
                nested = None
                data[key].append(unquote(value))
        elif indent == 0 and re.fullmatch(r"[\w.-]+:(\s.*)?", item):
            key, _, value = item.partition(":")
            data[key] = unquote(value.strip()) if value.strip() else []
            nested = None
        else:
            raise ValueError(f"line {number}: not in the simple YAML subset: {raw!r}")
    return data


def unquote(value):
    if value[:1] in ("[", "{", "&", "*", "|", ">", "!"):
        raise ValueError(f"not in the simple YAML subset: {value!r}")
    return value[1:-1] if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"" else value


def floors(specs):
    """{name: floor} from requirement strings like 'numpy>=1.24' (conda: 'numpy >=1.24')."""
    result = {}
    for spec in specs:
        if spec.strip().startswith("rnnlib["):  # an extra that includes another extra
            continue
        m = re.fullmatch(r"([A-Za-z0-9_.-]+)\s*(?:>=\s*([0-9][0-9.]*))?", spec.strip())
        assert m, f"unexpected requirement {spec!r}: use 'name>=floor'"
        result[m.group(1).lower().replace("_", "-")] = m.group(2)
    return result


@pytest.fixture(scope="module")
def pyproject():
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)


@pytest.fixture(scope="module")
def env():
    return parse_simple_yaml((ROOT / "environment.yml").read_text(encoding="utf-8"))


def conda_specs(env):
    return [d for d in env["dependencies"] if isinstance(d, str)]


def pip_specs(env):
    pips = [d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d]
    assert len(pips) <= 1, "one pip: section at most"
    return pips[0] if pips else []


def notebook_requirements(pyproject):
    """The requirement strings of the core and of the extras conda users get."""
    project = pyproject["project"]
    specs = list(project["dependencies"])
    for extra in CONDA_EXTRAS:
        specs += project["optional-dependencies"][extra]
    return specs


def test_runtime_dependencies_agree(pyproject, env):
    wanted = {CONDA_NAME.get(n, n): f for n, f in floors(notebook_requirements(pyproject)).items()}
    assert all(wanted.values()), f"every runtime dependency needs a floor pin (>=): {wanted}"
    have = {n: f for n, f in floors(conda_specs(env)).items() if n not in NOT_RUNTIME}
    assert have == wanted


def test_python_floor_agrees(pyproject, env):
    m = re.fullmatch(r">=\s*([0-9.]+)", pyproject["project"]["requires-python"].strip())
    assert m, "requires-python should be a plain floor (>=X.Y)"
    assert floors(conda_specs(env)).get("python") == m.group(1)


def test_conda_forge_only(env):
    assert env["channels"] == ["conda-forge"]


def test_installs_the_course_package(env):
    assert "pip" in floors(conda_specs(env)), "list pip itself before the pip: section"
    assert any(re.fullmatch(r"(-e|--editable)\s+\.|\.", s.strip()) for s in pip_specs(env)), (
        "the pip: section must install the package from the repository root ('-e .')")


def test_parser_reads_nested_and_flat_lists():
    text = ("name: x  # comment\nchannels:\n- conda-forge\ndependencies:\n"
            "  - 'numpy >=1.24'\n  - pip:\n    - -e .\n  - pip\n")
    assert parse_simple_yaml(text) == {
        "name": "x", "channels": ["conda-forge"],
        "dependencies": ["numpy >=1.24", {"pip": ["-e ."]}, "pip"]}
    for bad in ("dependencies: [numpy, pip]\n", "dependencies:\n  nested: 1\n", "- numpy\n"):
        with pytest.raises(ValueError):
            parse_simple_yaml(bad)


def test_parser_agrees_with_pyyaml(env):
    yaml = pytest.importorskip("yaml")
    assert yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8")) == env
