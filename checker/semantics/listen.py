"""Find the listen/bind addresses a container is configured with, and where each is written.

Sources: command and args (``--flag=value`` and ``--flag value``, also inside ``sh -c`` scripts, with
``$(VAR)`` references expanded as the kubelet does) and env variables, each read by what its name says.
"""

from __future__ import annotations

import bisect
import functools
import posixpath
import re
from dataclasses import dataclass, fields, replace
from itertools import pairwise
from typing import Any

from ..inputs.paths import Path
from .expansion import Expanded, as_list, env_values, expand_references, literal
from .limits import is_oversized
from .shell import shell_words

# A cheap test for text that may name an address somewhere (a prefilter; is_address_name decides).
ADDRESS_HINT = re.compile(r"bind|listen|addr|host", re.IGNORECASE)
# Variables that hold a bind address although their name does not say so (Spark's bind address).
ADDRESS_VARIABLES = frozenset({"SPARK_LOCAL_IP"})
# The words of a name: --webhook-port, httpsPort, HTTP_PORT, spark.driver.bindAddress.
NAME_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
# A word that says bind or listen (bind, bindAddress's "bind", listener, listenaddr), or address or host.
BIND_WORD = re.compile(r"^(?:bind|listen)")
ADDRESS_WORD = re.compile(r"^(?:host|\w*addrs?|\w*address(?:es)?)$")
# Spark settings that set a variable of the driver's or executors' environment: spark.executorEnv.NAME,
# spark.kubernetes.driverEnv.NAME.
SPARK_ENV_KEY = re.compile(r"^spark\.(?:executorEnv|kubernetes\.driverEnv|kubernetes\.executorEnv)\.(?P<name>.+)$")
# Words of a name that say others connect to the value (an advertised address), not that the program
# binds it; they win over listen and bind (KAFKA_ADVERTISED_LISTENERS, --advertise-address).
ADVERTISED_WORDS = frozenset({"advertise", "advertised", "announce", "announced", "external", "public"})
# Words that say the setting names where the program connects to: --kubernetes-port, --apiserver-host,
# DB_HOST, ES_HOST, --syslog-address. A name that also says listen or bind (--proxy-listen-port) is still one.
REMOTE_WORDS = frozenset(
    {
        "target",
        "upstream",
        "remote",
        "backend",
        "peer",
        "peers",
        "proxy",
        "client",
        "dest",
        "destination",
        "connect",
        "db",
        "database",
        "redis",
        "mysql",
        "postgres",
        "postgresql",
        "mongo",
        "mongodb",
        "kafka",
        "zookeeper",
        "zk",
        "etcd",
        "smtp",
        "ldap",
        "svc",
        "service",
        "apiserver",
        "kubernetes",
        "k8s",
        "master",
        "statsd",
        "elasticsearch",
        "es",
        "opensearch",
        "otlp",
        "collector",
        "jaeger",
        "zipkin",
        "graphite",
        "influxdb",
        "cassandra",
        "memcached",
        "rabbitmq",
        "amqp",
        "nats",
        "consul",
        "vault",
        "sentry",
        "syslog",
        "ssh",
    }
)
# Programs whose flags say where they connect, never where they listen (rsync and nc listen only with
# --daemon and -l). A command line of one of these gives no listen setting.
CLIENT_PROGRAMS = frozenset(
    {
        "curl",
        "wget",
        "ssh",
        "scp",
        "sftp",
        "rsync",
        "nc",
        "ncat",
        "netcat",
        "telnet",
        "psql",
        "pg_isready",
        "pg_dump",
        "pg_restore",
        "mysql",
        "mysqladmin",
        "mysqldump",
        "redis-cli",
        "mongo",
        "mongosh",
        "kubectl",
        "grpcurl",
        "grpc_health_probe",
        "wait-for-it",
        "wait-for",
    }
)
SERVER_MODE_FLAGS = {"rsync": re.compile(r"^--daemon$"), "nc": re.compile(r"^(?:--listen|-[a-zA-Z]*l[a-zA-Z]*)$")}
SERVER_MODE_FLAGS["ncat"] = SERVER_MODE_FLAGS["netcat"] = SERVER_MODE_FLAGS["nc"]
# Short flags that name a bind address for the program that takes them (gunicorn -b [::]:8000).
SHORT_FLAGS = {"gunicorn": {"b": "bind"}, "hypercorn": {"b": "bind"}, "daphne": {"b": "bind"}}
# Words before the program on a command line: exec, env, nohup, init wrappers, shell keywords (until, do,
# if ...) and VAR=value assignments.
WRAPPERS = frozenset(
    {
        "exec",
        "env",
        "nohup",
        "command",
        "time",
        "nice",
        "setsid",
        "tini",
        "dumb-init",
        "--",
        "if",
        "then",
        "else",
        "elif",
        "while",
        "until",
        "do",
        "!",
        "{",
    }
)
ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


@dataclass(frozen=True, init=False, slots=True)
class Setting:
    """A flag or variable with its value, the container-relative path of the entry holding the value, and
    for a value inside a script the line and column (0-based) where it starts in that entry."""

    name: str
    value: str
    path: Path
    origin: str
    line_in_value: int | None
    column_in_value: int | None

    def __init__(
        self,
        name: str,
        value: str,
        path: Path,
        origin: str,
        line_in_value: int | None = None,
        column_in_value: int | None = None,
    ) -> None:
        """Each field set through its slot, as Match does: a frozen dataclass's generated __init__ calls
        object.__setattr__ per field, and a container makes a setting for each env entry and flag."""
        set_name, set_value, set_path, set_origin, set_line, set_column = _SETTING_SETTERS
        set_name(self, name)
        set_value(self, value)
        set_path(self, path)
        set_origin(self, origin)
        set_line(self, line_in_value)
        set_column(self, column_in_value)


_SETTING_SETTERS = tuple(getattr(Setting, f.name).__set__ for f in fields(Setting))


# --- what a name says -----------------------------------------------------------------------------------


# The name tests below are pure functions of a name, and the same names (PORT, LISTEN_ADDR, --metrics-bind-
# address) recur in every container: each remembers its recent answers (bounded, so odd names cannot grow it).
NAME_CACHE = 4096


def name_words(name: str) -> list[str]:
    """The lower-cased words of a setting name, split at - _ . and camelCase."""
    return list(_name_words(name))


@functools.lru_cache(maxsize=NAME_CACHE)
def _name_words(name: str) -> tuple[str, ...]:
    return tuple(word.lower() for word in NAME_WORD.findall(name))


def joined_words(name: str) -> set[str]:
    """The words of a name and each pair of neighbours joined (apiServer: apiserver)."""
    words = name_words(name)
    return {*words, *(first + second for first, second in pairwise(words))}


@functools.lru_cache(maxsize=NAME_CACHE)
def says_bind(name: str) -> bool:
    """The name says bind or listen and is not an advertised address."""
    words = name_words(name)
    return not ADVERTISED_WORDS.intersection(words) and (
        any(BIND_WORD.match(word) for word in words) or name.rpartition(".")[2] in ADDRESS_VARIABLES
    )


@functools.lru_cache(maxsize=NAME_CACHE)
def is_remote_name(name: str) -> bool:
    """The name says the program connects there: an advertised address, or a remote word without listen/bind."""
    words = joined_words(name)
    return not ADVERTISED_WORDS.isdisjoint(words) or (not says_bind(name) and not REMOTE_WORDS.isdisjoint(words))


@functools.lru_cache(maxsize=NAME_CACHE)
def is_address_name(name: str) -> bool:
    """True when a flag, variable or config key names an address the program binds: a word says bind or
    listen (not advertise, external or public), or address or host without a remote word (DB_HOST). Dotted
    keys (``spark.executorEnv.SPARK_LOCAL_IP``) are also matched by their last part against ADDRESS_VARIABLES.
    A Spark setting binds only when it says bind (spark.driver.bindAddress) or sets such a variable:
    spark.driver.host is the host executors connect to."""
    variable = SPARK_ENV_KEY.match(name)
    if variable:
        return is_address_name(variable["name"])
    if says_bind(name):
        return True
    if name.startswith("spark."):
        return False
    return any(ADDRESS_WORD.match(word) for word in name_words(name)) and not is_remote_name(name)


def split_addresses(value: str) -> list[str]:
    """The addresses of one value: ``[::]:9090,[::]:9091`` is two; blanks around commas are dropped."""
    if "," not in value:
        return [value]
    return [part.strip() for part in value.split(",") if part.strip()]


def _through(expanded: Expanded) -> str:
    return "".join(f", with $({name}) from env {name}" for name in expanded.through)


# --- command lines ----------------------------------------------------------------------------------------


_BLANK = re.compile(r"\s")  # re's \s is str.isspace() (Unicode whitespace)


@dataclass(frozen=True)
class _Token:
    """A word of command or args, expanded, with where it is written and the command it belongs to."""

    text: str  # after $(VAR) expansion
    written: str  # as written
    path: Path
    offsets: tuple[int, ...] | None  # the entry offset of each written character (a script's word) or None
    entry: str
    segment: int
    program: str | None
    through: str = ""


def command_tokens(container: dict[str, Any]) -> list[_Token]:
    """The words of command and args in order. An entry with blanks is a script: its words start a new
    command unless the first is a flag, and each separator (; && | newline) starts another. Each word knows
    its command's program (None where the image's entrypoint runs)."""
    # $(VAR) references expand from env; a container without command or args (most) needs no values
    values = env_values(container) if container.get("command") or container.get("args") else {}
    tokens: list[_Token] = []
    segment, program = 0, None
    command = container.get("command")
    if isinstance(command, list) and command and isinstance(command[0], str):
        program = _program_name(command[0])
    for field_name in ("command", "args"):
        for index, entry in enumerate(as_list(container.get(field_name))):
            if isinstance(entry, bool) or not isinstance(entry, str | int | float):
                continue
            entry, path = str(entry), (field_name, index)
            if is_oversized(entry):
                continue  # not parsed: named by the value-not-analysed rule (limits.py)
            if _BLANK.search(entry) is None:
                tokens.append(_token(entry, path, None, entry, segment, program, values))
                continue
            words = shell_words(entry)
            looking = bool(words) and not words[0].operator and not words[0].text.startswith("-")
            if looking:
                segment, program = segment + 1, None
            for word in words:
                if word.operator:
                    if any(char in ";|()\n" for char in word.text) or not word.text.strip("&"):
                        segment, program, looking = segment + 1, None, True
                    continue  # a redirection (> 2>&1) is no separator
                if looking:
                    if word.text in WRAPPERS or ASSIGNMENT.match(word.text):
                        continue
                    program, looking = _program_name(word.text), False
                tokens.append(_token(word.text, path, word.offsets, entry, segment, program, values))
    return tokens


def _token(
    text: str,
    path: Path,
    offsets: tuple[int, ...] | None,
    entry: str,
    segment: int,
    program: str | None,
    values: dict[str, str],
) -> _Token:
    expanded = expand_references(text, values)
    return _Token(expanded.text, text, path, offsets, entry, segment, program, _through(expanded))


def _program_name(word: str) -> str:
    name = posixpath.basename(word).lower()
    return name.removesuffix(".sh") if name.endswith(".sh") else name


def _client_segments(tokens: list[_Token]) -> set[int]:
    """The commands run by a client program (rsync and nc only without their server flags)."""
    words: dict[int, list[str]] = {}
    programs: dict[int, str] = {}
    for token in tokens:
        if token.program in CLIENT_PROGRAMS:
            words.setdefault(token.segment, []).append(token.text)
            programs[token.segment] = token.program
    return {
        segment
        for segment, program in programs.items()
        if program not in SERVER_MODE_FLAGS
        or not any(SERVER_MODE_FLAGS[program].match(word) for word in words[segment])
    }


def flag_settings(container: dict[str, Any]) -> list[Setting]:
    """Every ``--flag=value`` / ``--flag value`` pair in command and args, in order, but none of a client
    program's command line (curl, psql, rsync, ...). When the flag and its value sit in different entries
    (``command: [app, --bind]``, ``args: ["::"]``) the origin names both."""
    tokens = command_tokens(container)
    clients = _client_segments(tokens)
    settings: list[Setting] = []
    for position, token in enumerate(tokens):
        text = token.text
        if token.segment in clients or not text.startswith("-") or text in ("-", "--"):
            continue
        short = SHORT_FLAGS.get(token.program or "", {})
        flag = text.lstrip("-")
        if not text.startswith("--") and flag[:1] in short and (len(flag) == 1 or flag[1] != "="):
            name, attached = short[flag[:1]], flag[1:]
            if attached:
                settings.append(_setting(name, attached, token, token, len(text) - len(attached)))
                continue
            flag = name
        if "=" in flag:
            name, value = flag.split("=", 1)
            settings.append(_setting(name, value, token, token, token.written.find("=") + 1))
            continue
        following = tokens[position + 1] if position + 1 < len(tokens) else None
        if following is not None and following.segment == token.segment and not following.text.startswith("-"):
            settings.append(_setting(flag, following.text, token, following, 0))
    return settings


def _setting(name: str, value: str, flag: _Token, holder: _Token, skip: int) -> Setting:
    """A setting whose value starts ``skip`` characters into the word ``holder`` (the flag's own word, or
    the one after it)."""
    field_name = flag.path[0]
    through = flag.through + (holder.through if holder is not flag else "")
    if holder is flag:
        origin = f"{field_name}: {flag.written}"
    elif holder.path[0] == field_name:
        origin = f"{field_name}: {flag.written} {holder.written}"
    else:
        origin = f"{field_name}: {flag.written}, {holder.path[0]}[{holder.path[1]}]: {holder.written}"
    line = column = None
    if holder.offsets:
        start = holder.offsets[min(max(skip, 0), len(holder.offsets) - 1)]
        starts = _line_starts(holder.entry)
        line = bisect.bisect_right(starts, start) - 1
        column = start - starts[line]
    return Setting(name, value, holder.path, origin + through, line, column)


@functools.lru_cache(maxsize=32)
def _line_starts(entry: str) -> tuple[int, ...]:
    """The offset where each line of an entry starts."""
    return (0, *(match.end() for match in re.finditer("\n", entry)))


def ignored_entries(container: dict[str, Any]) -> list[str]:
    """command and args entries that are not strings (an unquoted ``- --bind-address=::`` is the mapping
    {"--bind-address=:": null} to YAML): not read, and rejected by the API server."""
    notes = []
    for field_name in ("command", "args"):
        for index, entry in enumerate(as_list(container.get(field_name))):
            if isinstance(entry, dict):
                written = " ".join(f"{key}:" if value is None else f"{key}: {value}" for key, value in entry.items())
                notes.append(
                    f"{field_name}[{index}] is a mapping, not a string: YAML read the unquoted "
                    f"`- {written}` as a key and value, so it is not read here and the API server "
                    "rejects it; quote the entry"
                )
            elif isinstance(entry, list | bool) or entry is None:
                notes.append(
                    f"{field_name}[{index}] is {type(entry).__name__}, not a string: not read here, and "
                    "the API server rejects it; quote the entry"
                )
    return notes


# --- env --------------------------------------------------------------------------------------------------


def env_settings(container: dict[str, Any]) -> list[Setting]:
    """Every env entry with a literal value, $(VAR) references expanded with the variables defined before
    it (valueFrom is resolved at run time and skipped)."""
    settings: list[Setting] = []
    values: dict[str, str] = {}
    for index, entry in enumerate(as_list(container.get("env"))):
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            continue
        name, value = entry["name"], literal(entry.get("value"))
        if value is None:
            values.pop(name, None)
            continue
        if "$" not in value:  # nothing to expand (most values): as expand_references would leave it
            values[name] = value
            settings.append(Setting(name, value, ("env", index, "value"), f"env {name}"))
            continue
        expanded = expand_references(value, values)
        values[name] = expanded.text
        settings.append(Setting(name, expanded.text, ("env", index, "value"), f"env {name}{_through(expanded)}"))
    return settings


def address_settings(settings: list[Setting]) -> list[Setting]:
    """The settings whose name says address (see is_address_name), one per comma-separated address."""
    found: list[Setting] = []
    for setting in settings:
        if is_address_name(setting.name):
            found += [replace(setting, value=value) for value in split_addresses(setting.value)]
    return found


@dataclass(frozen=True)
class ListenSettings:
    """What a container's command line and env say, read once: its flag settings, its env settings and
    those of either that name a listen address (one per comma-separated address)."""

    flags: list[Setting]
    env: list[Setting]
    addresses: list[Setting]


def listen_settings(container: dict[str, Any]) -> ListenSettings:
    """The flag, env and address settings of a container (listen addresses and listen ports read them)."""
    flags, env = flag_settings(container), env_settings(container)
    return ListenSettings(flags, env, address_settings([*flags, *env]))


def listen_addresses(container: dict[str, Any]) -> list[Setting]:
    """The flag and env settings whose name says it is a bind/listen address or host."""
    return listen_settings(container).addresses
