"""Stand-ins for dbt's Jinja context, for sqlfluff's (fast, database-free) jinja templater.

sqlfluff's `apply_dbt_builtins` gives ref/source/config/var/this/return; the
project's SQL also uses dbt's cross-database macros (`dbt.dateadd`, `dbt.type_*`,
`dbt.date_spine`, ...), `adapter.dispatch` (from our own macros), `target` and
`env_var`. Each stand-in renders SQL that parses like what dbt would render on
DuckDB, which is all a linter needs. Every top-level name here becomes a Jinja
global (see `library_path` in `.sqlfluff`).
"""
from __future__ import annotations


def _args(*args) -> str:
    return ", ".join(str(a) for a in args)


class _Dbt:
    """`dbt.<macro>(...)`: renders DuckDB-flavoured SQL for the cross-database macros."""

    def type_string(self): return "varchar"
    def type_text(self): return "varchar"
    def type_int(self): return "integer"
    def type_bigint(self): return "bigint"
    def type_float(self): return "double"
    def type_numeric(self): return "numeric(28, 6)"
    def type_boolean(self): return "boolean"
    def type_timestamp(self): return "timestamp"

    def dateadd(self, datepart, interval, from_date_or_timestamp):
        return f"date_add({from_date_or_timestamp}, interval ({interval}) {datepart})"

    def datediff(self, first_date, second_date, datepart):
        return f"date_diff('{datepart}', {first_date}, {second_date})"

    def date_trunc(self, datepart, date):
        return f"date_trunc('{datepart}', {date})"

    def last_day(self, date, datepart):
        return f"last_day({date})"

    def safe_cast(self, field, type):  # noqa: A002 - dbt's own argument name
        return f"cast({field} as {type})"

    def cast(self, field, type):  # noqa: A002
        return f"cast({field} as {type})"

    def concat(self, fields):
        return f"concat({_args(*fields)})"

    def hash(self, field):
        return f"md5(cast({field} as varchar))"

    def string_literal(self, value):
        return f"'{value}'"

    def current_timestamp(self):
        return "current_timestamp"

    def listagg(self, measure, delimiter_text="','", order_by_clause=None, limit_num=None):
        order = f" {order_by_clause}" if order_by_clause else ""
        return f"string_agg({measure}, {delimiter_text}{order})"

    def generate_series(self, upper_bound):
        return f"select unnest(generate_series(1, {upper_bound})) as generated_number"

    def date_spine(self, datepart, start_date, end_date):
        return (f"select cast(range as date) as date_{datepart} "
                f"from range(cast({start_date} as date), cast({end_date} as date), interval 1 {datepart})")

    def __getattr__(self, name):
        # any other cross-database macro: a plain function call of the same name
        return lambda *args, **kwargs: f"{name}({_args(*args)})"


class _Adapter:
    """`adapter.dispatch('name', 'package')(...)` renders `name(args)`; the macro's
    warehouse-specific body is not what the linter checks."""

    def dispatch(self, macro_name, macro_namespace=None):
        # the project's default__ implementation (DuckDB's), else a plain call
        macro = media_impact._find(f"duckdb__{macro_name}") or media_impact._find(f"default__{macro_name}")
        return macro or (lambda *args, **kwargs: f"{macro_name}({_args(*args)})")

    def quote(self, identifier):
        return f'"{identifier}"'

    def __getattr__(self, name):
        return lambda *args, **kwargs: ""


class _Target:
    name = "duckdb"
    type = "duckdb"
    schema = "main"
    database = "media_impact"
    threads = 2


class _Exceptions:
    def raise_compiler_error(self, message):
        raise RuntimeError(message)

    def warn(self, message):
        return ""


dbt = _Dbt()
adapter = _Adapter()
target = _Target()
exceptions = _Exceptions()
execute = False
flags = None


def env_var(name, default=""):
    return default


def log(*args, **kwargs):
    return ""


def run_query(*args, **kwargs):
    return None


def _project_vars() -> dict:
    """The `vars:` of dbt_project.yml, so that `var()` renders the real values."""
    from pathlib import Path

    import yaml

    project = Path(__file__).resolve().parents[2] / "dbt_project.yml"
    try:
        return dict(yaml.safe_load(project.read_text()).get("vars") or {})
    except (OSError, AttributeError, yaml.YAMLError):
        return {}


_VARS = _project_vars()


def var(name, default=None):
    if name in _VARS:
        return _VARS[name]
    return "item" if default is None else default


def _process_cache() -> dict:
    import sys
    import types

    holder = sys.modules.setdefault("_media_impact_sqlfluff_cache", types.ModuleType("_media_impact_sqlfluff_cache"))
    if not hasattr(holder, "data"):
        holder.data = {}
    return holder.data


def _return_exception() -> type:
    """One `return()` exception class per process: cached macros raise the class of the
    import that parsed them, so every later import must catch that same class."""
    cache = _process_cache()
    if "return_exception" not in cache:
        class _MacroReturn(Exception):
            def __init__(self, value):
                self.value = value
        cache["return_exception"] = _MacroReturn
    return cache["return_exception"]


_Return = _return_exception()


def _return(value):
    raise _Return(value)


class _ProjectMacros:
    """`media_impact.<macro>(...)`: the project's own macros (macros/**/*.sql),
    rendered with these stand-ins, for models that call them namespaced."""

    def __init__(self):
        self._module = None

    def _load(self):
        from pathlib import Path

        import jinja2

        root = Path(__file__).resolve().parents[2] / "macros"
        text = "\n".join(p.read_text() for p in sorted(root.rglob("*.sql")))
        # sqlfluff re-imports this library for every file: parse the macros once per process
        cache = _process_cache()
        if cache.get("macros_text") == text:
            return cache["macros_module"]
        env = jinja2.Environment(extensions=["jinja2.ext.do"])
        env.globals.update(
            dbt=dbt, adapter=adapter, target=target, exceptions=exceptions, var=var, env_var=env_var,
            log=log, run_query=run_query, execute=execute, media_impact=self,
            ref=lambda *a, **k: a[-1], source=lambda s, t: f"{s}_{t}", config=lambda *a, **k: "",
            **{"return": _return},
        )
        try:
            module = env.from_string(text).module
        except jinja2.TemplateError:
            module = None
        cache.update(macros_text=text, macros_module=module)
        return module

    def _find(self, name):
        if self._module is None:
            self._module = self._load() or False
        macro = getattr(self._module, name, None) if self._module else None
        if macro is None:
            return None

        def call(*args, **kwargs):
            try:
                return macro(*args, **kwargs)
            except _Return as r:
                return r.value
        return call

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return self._find(name) or (lambda *args, **kwargs: f"{name}({_args(*args)})")


media_impact = _ProjectMacros()
