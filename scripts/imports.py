#!/usr/bin/env python3
"""Imports inside the ``consult`` package: cycles, function-level imports, and imports that go
from a lower layer up to a higher one.

    .venv/bin/python scripts/imports.py        # or plain python3: the standard library only

Every ``import`` statement of every module under consult/ is read with :mod:`ast`, wherever it
stands: at module level, in a class body, in an ``if TYPE_CHECKING:`` block or inside a
function. ``from consult.x import y`` points at the module ``consult.x.y`` when that module
exists and at ``consult.x`` otherwise; relative imports are resolved against the importing
module's package. Importing ``consult.x.y`` also runs ``consult/__init__.py`` and
``consult/x/__init__.py``; those implicit imports are not counted (every module would otherwise
depend on the app factory).

``tests/app/test_import_layers.py`` uses the same functions and the layer table below.
"""
from __future__ import annotations

import ast
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "consult"

# Where an import statement stands.
MODULE_LEVEL = "module"  # runs when the module is imported (module body, class body, try/if)
TYPE_ONLY = "type-checking"  # under ``if TYPE_CHECKING:``: read by type checkers, never run
FUNCTION_LEVEL = "function"  # inside a function: runs when the function is called


@dataclass(frozen=True)
class Import:
    """One imported consult module: ``source`` imports ``target`` at ``path:line``."""

    source: str
    target: str
    names: tuple[str, ...]  # what is taken from target; () when the module itself is imported
    path: str  # relative to the project root, e.g. consult/outcomes/service.py
    line: int
    kind: str  # MODULE_LEVEL, TYPE_ONLY or FUNCTION_LEVEL

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"

    @property
    def what(self) -> str:
        return ", ".join(self.names) if self.names else "(the module)"


@dataclass
class Scan:
    modules: dict[str, Path]  # module name -> file
    imports: list[Import]  # imports of consult modules, one per imported module
    function_level_statements: int  # import statements inside functions, any package
    function_level_consult_statements: int  # ... of those, the ones importing consult modules


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def find_modules(root: Path = ROOT) -> dict[str, Path]:
    return {module_name(p, root): p for p in sorted((root / PACKAGE).rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _statements(tree: ast.Module):
    """Yield (import statement, kind) for every import in the module, however deeply nested."""

    def walk(node: ast.AST, kind: str):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                yield child, kind
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                yield from walk(child, FUNCTION_LEVEL)
            elif (isinstance(child, ast.If) and kind == MODULE_LEVEL
                  and _is_type_checking(child.test)):
                for stmt in child.body:
                    yield from walk(ast.Module(body=[stmt], type_ignores=[]), TYPE_ONLY)
                for stmt in child.orelse:
                    yield from walk(ast.Module(body=[stmt], type_ignores=[]), MODULE_LEVEL)
            else:
                yield from walk(child, kind)

    yield from walk(tree, MODULE_LEVEL)


def _owning_module(name: str, modules: dict[str, Path]) -> str | None:
    """The longest existing module ``name`` starts with: ``consult.a.b.c`` -> ``consult.a.b``."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in modules:
            return candidate
        parts.pop()
    return None


def _targets(stmt: ast.Import | ast.ImportFrom, importer: str, is_package: bool,
             modules: dict[str, Path]) -> dict[str, tuple[str, ...]]:
    """The consult modules one import statement points at (none for other packages), each with
    the names taken from it (empty when the module itself is imported)."""
    wanted: list[tuple[str, str | None]] = []  # (dotted name, name taken from it)
    if isinstance(stmt, ast.Import):
        wanted = [(alias.name, None) for alias in stmt.names]
    else:
        if stmt.level:
            package = importer if is_package else importer.rpartition(".")[0]
            parts = package.split(".")
            parts = parts[: len(parts) - (stmt.level - 1)]
            base = ".".join(parts + ([stmt.module] if stmt.module else []))
        else:
            base = stmt.module or ""
        for alias in stmt.names:
            sub = f"{base}.{alias.name}"
            wanted.append((sub, None) if alias.name != "*" and sub in modules
                          else (base, alias.name))
    found: dict[str, list[str]] = {}
    for dotted, taken in wanted:
        if dotted != PACKAGE and not dotted.startswith(PACKAGE + "."):
            continue
        target = _owning_module(dotted, modules)
        if target is None or target == importer:
            continue
        names = found.setdefault(target, [])
        if taken is not None:
            names.append(taken)
    return {target: tuple(names) for target, names in found.items()}


def scan(root: Path = ROOT) -> Scan:
    """Every import of a consult module in ``root/consult``."""
    modules = find_modules(root)
    imports: list[Import] = []
    in_functions = in_functions_consult = 0
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        rel = path.relative_to(root).as_posix()
        for stmt, kind in _statements(tree):
            targets = _targets(stmt, name, path.name == "__init__.py", modules)
            if kind == FUNCTION_LEVEL:
                in_functions += 1
                in_functions_consult += bool(targets)
            imports.extend(Import(name, target, names, rel, stmt.lineno, kind)
                           for target, names in targets.items())
    return Scan(modules, imports, in_functions, in_functions_consult)


def graph(imports: list[Import], kinds: tuple[str, ...]) -> dict[str, set[str]]:
    edges: dict[str, set[str]] = defaultdict(set)
    for imp in imports:
        if imp.kind in kinds:
            edges[imp.source].add(imp.target)
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The import cycles: strongly connected components of more than one module (or a module
    importing itself), each sorted, the list sorted. Tarjan's algorithm, iterative."""
    nodes = sorted(set(edges) | {t for ts in edges.values() for t in ts})
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for start in nodes:
        if start in index:
            continue
        work = [(start, iter(sorted(edges.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1 or node in edges.get(node, ()):
                        found.append(sorted(component))
    return sorted(found)


# Layers, lowest first. A module may import modules of its own layer or of a lower one.
# ``service`` and ``queries`` share a layer, and so do ``views``, ``api`` and ``cli``.
LAYER_RANK = {
    "base": 0,  # top-level helpers that know no domain: clock, extensions, database, text ...
    "models": 1,  # tables (SQLAlchemy models)
    "rules": 2,  # pure rules and words: no writes, no request
    "service": 3,  # writes (and the rules that must run in the writing transaction)
    "queries": 3,  # reads and page models
    "forms": 4,  # WTForms
    "views": 5,  # pages and the helpers only pages use
    "api": 5,  # the JSON API
    "cli": 5,  # flask commands and what only they run (the demo data)
    "wiring": 6,  # the app factory and what it registers on the app
}

# Every module under consult/ and its layer, written out. A new module must be added here.
LAYERS = {
    # app wiring
    "consult": "wiring",
    "consult.cli": "wiring",  # registers every command group
    "consult.web": "wiring",  # template helpers, error pages, the POST transaction
    "consult.security": "wiring",  # session loading, security headers, CSRF failure page
    # top-level helpers
    "consult.clock": "base",
    "consult.http": "base",  # what a request says about its reader
    "consult.tries": "service",  # wrong tries counted in the rate-limit storage, then a pause
    "consult.delivery": "service",  # short messages to a phone or e-mail: into the outbox
    "consult.jobs": "service",  # background jobs: enqueue, job
    "consult.jobs.models": "models",
    "consult.jobs.service": "service",
    "consult.jobs.schedule": "service",  # the scheduled jobs, one list for cron and RQ
    "consult.jobs.cli": "cli",
    "consult.retention": "base",  # package docstring only
    "consult.retention.service": "service",  # removing what is past its retention period
    "consult.retention.cli": "cli",
    "consult.messages.models": "models",
    "consult.messages.rules": "rules",  # categories, quiet hours, backoff: pure
    "consult.messages.channels": "service",  # which channels are on; hands a message over
    "consult.messages.service": "service",
    "consult.messages.forms": "forms",
    "consult.messages.views": "views",
    "consult.messages.cli": "cli",
    "consult.messages.api": "api",
    "consult.messages.email": "base",  # SMTP transport and MIME building
    "consult.mydata": "base",  # "my data": only its docstring
    "consult.mydata.models": "models",
    "consult.mydata.labels": "rules",  # words for the codes only "my data" shows
    "consult.mydata.sections": "queries",  # the registry of what is held about a person
    "consult.mydata.service": "service",  # downloads: asked for, written by a job, expired
    "consult.mydata.views": "views",
    "consult.mydata.api": "api",
    "consult.mydata.cli": "cli",
    "consult.inputs": "base",  # input nothing can store (NUL, lone surrogates, deep JSON)
    "consult.refusals": "base",  # the one refusal type
    "consult.unit_of_work": "base",  # the one place that commits a request or a command
    "consult.accounts.queries": "queries",
    "consult.studios.blueprint": "views",  # the blueprint and helpers of the two view modules
    "consult.config": "base",
    "consult.charts": "base",  # bar charts as SVG markup, pure
    "consult.csvfiles": "base",
    "consult.database": "base",
    "consult.extensions": "base",
    "consult.i18n": "base",
    "consult.ical": "base",
    "consult.text": "base",
    "consult.urls": "base",
    "consult.written": "base",  # a generation of writes, for values kept between requests
    "consult.permissions": "rules",  # the permission table; reads grants and homes, never writes
    "consult.pagecache": "views",  # the @for_visitors decorator of pages
    "consult.fragments": "views",  # rendered pieces of pages kept per worker ({% call kept %})
    "consult.ratelimits": "views",  # limits on page and API writes, the "too many" page
    # accounts
    "consult.accounts": "base",  # empty package
    "consult.accounts.models": "models",
    "consult.accounts.identity": "rules",  # normalising phones and e-mails
    "consult.accounts.passwords": "rules",  # hashing
    "consult.accounts.labels": "rules",  # words for roles and account actions
    "consult.accounts.lockout": "service",  # counts wrong passwords on the user row
    "consult.accounts.reset": "service",  # reset links
    "consult.accounts.sessions": "service",
    "consult.accounts.signup": "service",  # registering with a confirmation code  # logging out of every browser and app
    "consult.accounts.service": "service",
    "consult.accounts.phonecodes": "service",  # six-digit codes by SMS (reset, new phone)
    "consult.accounts.phone": "service",  # changing the phone number with a code
    "consult.accounts.forms": "forms",
    "consult.accounts.views": "views",
    "consult.accounts.closing": "service",  # closing an account (注销账号)
    "consult.accounts.closing_views": "views",
    # admin
    "consult.admin": "base",  # empty package
    "consult.admin.queries": "queries",
    "consult.admin.service": "service",
    "consult.admin.forms": "forms",
    "consult.admin.views": "views",
    # api
    "consult.api": "api",  # registers the API routes
    "consult.api.models": "models",  # tokens
    "consult.api.agenda": "api",  # the secretary's agenda (issue 15)
    "consult.api.core": "api",
    "consult.api.docs": "api",
    "consult.api.openapi": "api",
    "consult.api.schemas": "api",  # request and response models
    "consult.api.officials": "api",
    "consult.api.outcomes": "api",
    "consult.api.paper": "api",  # entering paper ballots
    "consult.api.proxies": "api",  # vote proxies (委托投票)
    "consult.api.reads": "api",
    "consult.api.tokens": "api",
    "consult.api.writes": "api",
    # activation of roster owners (账号激活)
    "consult.activation": "base",  # docstring only
    "consult.privacy": "base",  # docstring only
    "consult.privacy.rules": "rules",  # the notice's versions, pure
    "consult.privacy.models": "models",
    "consult.privacy.service": "service",
    "consult.privacy.forms": "forms",
    "consult.privacy.views": "views",
    "consult.privacy.api": "api",
    "consult.privacy.guard": "wiring",  # asks for a new version's agreement before writes
    "consult.activation.models": "models",
    "consult.activation.rules": "rules",  # codes as text, pure
    "consult.activation.service": "service",
    "consult.activation.queries": "queries",
    "consult.activation.forms": "forms",
    "consult.activation.views": "views",
    "consult.activation.api": "api",
    "consult.activation.cli": "cli",
    # audit
    "consult.audit": "base",  # empty package
    "consult.audit.models": "models",
    "consult.audit.log": "service",  # writes the chain; every service calls it
    # backup
    "consult.backup": "base",  # docstring only
    "consult.backup.service": "service",
    "consult.backup.cli": "cli",
    # community
    "consult.community": "base",  # empty package
    "consult.community.models": "models",
    "consult.community.rules": "rules",  # a residency claim against the roster, pure
    "consult.community.residency": "service",  # asking and deciding residency
    "consult.community.queries": "queries",
    "consult.community.forms": "forms",
    "consult.community.views": "views",
    # demo data, loaded only by ``flask demo``
    "consult.demo": "base",  # empty package
    "consult.demo.cli": "cli",
    "consult.demo.seed": "cli",
    "consult.demo.halls": "cli",
    "consult.demo.outcomes": "cli",
    "consult.demo.studios": "cli",
    "consult.demo.topics": "cli",
    "consult.demo.votes": "cli",
    "consult.demo.gridwork": "cli",
    # the official's desk
    "consult.desk": "base",  # docstring only
    "consult.desk.queries": "queries",
    "consult.desk.views": "views",
    # halls
    "consult.disclosures": "base",  # docstring only
    "consult.disclosures.models": "models",
    "consult.disclosures.rules": "rules",  # words of the record, viewer's role, least exposure
    "consult.disclosures.service": "service",  # writing the record of a read
    "consult.disclosures.queries": "queries",
    "consult.disclosures.forms": "forms",
    "consult.disclosures.views": "views",
    "consult.grids": "base",  # docstring only
    "consult.grids.models": "models",
    "consult.grids.rules": "rules",  # when a consent lets a grid worker act, pure
    "consult.grids.service": "service",  # consents, and acting for a resident under one
    "consult.grids.queries": "queries",
    "consult.grids.forms": "forms",
    "consult.grids.views": "views",
    "consult.halls": "base",  # docstring only
    "consult.halls.models": "models",
    "consult.halls.labels": "rules",  # words for stored codes
    "consult.halls.minutes": "service",  # drafting and publishing minutes
    "consult.halls.service": "service",
    "consult.halls.queries": "queries",
    "consult.halls.forms": "forms",
    "consult.halls.views": "views",
    # main
    "consult.main": "base",  # empty package
    "consult.main.readiness": "queries",  # what /readyz checks
    "consult.main.tabs": "rules",  # which tab of the phone's tab bar a page belongs to, pure
    "consult.main.views": "views",
    # messages that leave the site: e-mail and SMS
    "consult.messages": "base",  # docstring only
    "consult.messages.errors": "base",  # SendFailed, the one error of every channel
    # notifications
    "consult.notifications": "base",  # docstring only
    "consult.notifications.models": "models",
    "consult.notifications.kinds": "rules",  # the words of each kind
    "consult.notifications.service": "service",
    "consult.notifications.views": "views",
    # messages that leave the site: e-mail and SMS
    "consult.messages.sms": "base",  # chooses the SMS provider from the settings
    "consult.messages.sms.base": "base",  # the provider interface and the log backend
    "consult.messages.sms.aliyun": "base",  # Alibaba Cloud SMS over HTTPS
    "consult.messages.sms.rules": "rules",  # segments and opt-out words, pure
    # outcomes
    "consult.outcomes": "base",  # empty package
    "consult.outcomes.models": "models",
    "consult.outcomes.service": "service",
    "consult.outcomes.board": "queries",  # the board and its feed
    "consult.outcomes.dashboard": "queries",  # the dashboard's charts
    "consult.outcomes.forms": "forms",
    "consult.outcomes.views": "views",
    "consult.outcomes.cli": "cli",
    # roster
    "consult.roster": "base",  # docstring only
    "consult.roster.parsing": "rules",  # reading a roster file, no database
    "consult.roster.importer": "service",  # writing it into the tree
    "consult.roster.forms": "forms",
    "consult.roster.views": "views",
    "consult.roster.cli": "cli",
    # studios
    "consult.studios": "base",  # docstring only
    "consult.studios.models": "models",
    "consult.studios.labels": "rules",  # words for stored codes
    "consult.studios.slots": "rules",  # pure time arithmetic
    "consult.studios.calendar": "rules",  # sessions to iCalendar bytes, pure
    "consult.studios.rules": "rules",  # the steps of a matter raised at a reception, pure
    "consult.studios.booking": "service",  # booking and cancelling sessions
    "consult.studios.reception": "service",  # reservations and reception records
    "consult.studios.matters": "service",  # matters followed to their answer and rating
    "consult.studios.reminders": "service",  # sends the day-before notifications
    "consult.studios.service": "service",
    "consult.studios.queries": "queries",
    "consult.studios.forms": "forms",
    "consult.studios.views": "views",
    "consult.studios.admin_views": "views",
    "consult.studios.cli": "cli",
    # topics
    "consult.topics": "base",  # docstring only
    "consult.topics.models": "models",
    "consult.topics.consensus": "rules",  # the broad-support ranking, pure
    "consult.topics.rules": "rules",  # when the office may move a period's end, pure
    "consult.topics.labels": "rules",  # words for categories and reactions
    "consult.topics.lifecycle": "service",  # stages and transitions; apply() writes
    "consult.topics.service": "service",
    "consult.topics.comments": "service",  # comment rules and writes, and the thread read
    "consult.topics.from_reception": "service",  # a reception matter becomes a proposal
    "consult.topics.queries": "queries",
    "consult.topics.forms": "forms",
    "consult.topics.views": "views",
    "consult.topics.comment_views": "views",
    "consult.topics.comment_kit": "views",  # a thread's labels and addresses, once per page
    # votes
    "consult.votes": "base",  # docstring only
    "consult.votes.models": "models",
    "consult.votes.electorate": "rules",  # the owners' headcount, pure
    "consult.votes.tally": "rules",  # the tally, pure
    "consult.votes.rules": "rules",  # notice and length of votes, pure
    "consult.votes.labels": "rules",  # words for electorates, rules, options
    "consult.votes.offline": "rules",  # the auditor's tally from files, no database
    "consult.votes.service": "service",
    "consult.votes.freeze": "service",  # the electorate frozen in SQL, called by the service
    "consult.votes.paper_models": "models",  # paper ballots and their entries
    "consult.votes.paper_rules": "rules",  # serials, the double-entry decision, photo types
    "consult.votes.paper": "service",  # printing, entering, resolving paper ballots
    "consult.votes.paper_forms": "forms",
    "consult.votes.paper_views": "views",
    "consult.votes.co_owners": "service",  # a home's ballot cast by someone else
    "consult.votes.proxies": "service",  # proxies (委托投票)
    "consult.votes.proxy_views": "views",
    "consult.votes.proxy_forms": "forms",
    "consult.votes.forms": "forms",
    "consult.votes.views": "views",
    "consult.votes.cli": "cli",
}


def layer_order() -> str:
    """``base < models < rules < service = queries < ...``"""
    ranks = sorted(set(LAYER_RANK.values()))
    return " < ".join(" = ".join(n for n, r in LAYER_RANK.items() if r == rank) for rank in ranks)


def unclassified(modules) -> list[str]:
    """Modules under consult/ missing from :data:`LAYERS`."""
    return sorted(m for m in modules if m not in LAYERS)


def upward(imports: list[Import]) -> list[Import]:
    """Imports from a lower layer up to a higher one, in file and line order."""
    found = [imp for imp in imports
             if imp.source in LAYERS and imp.target in LAYERS
             and LAYER_RANK[LAYERS[imp.source]] < LAYER_RANK[LAYERS[imp.target]]]
    return sorted(found, key=lambda imp: (imp.path, imp.line, imp.target))


ALL_KINDS = (MODULE_LEVEL, TYPE_ONLY, FUNCTION_LEVEL)


def _cycle(members: list[str]) -> str:
    return " <-> ".join(members) if len(members) == 2 else "{" + ", ".join(members) + "}"


def report(result: Scan) -> str:
    lines: list[str] = []
    out = lines.append
    missing = unclassified(result.modules)
    if missing:
        out(f"== Modules without a layer: {len(missing)} (add them to LAYERS in "
            f"scripts/imports.py)")
        lines.extend(f"  {m}" for m in missing)
        out("")

    out(f"Layers, low to high: {layer_order()}")
    out("")
    kinds = defaultdict(int)
    for imp in result.imports:
        kinds[imp.kind] += 1
    out("== Function-level imports")
    out(f"import statements inside functions: {result.function_level_statements}")
    out(f"  of which import consult modules: {result.function_level_consult_statements}")
    out(f"(consult modules imported: {kinds[MODULE_LEVEL]} at module level, "
        f"{kinds[FUNCTION_LEVEL]} in functions, {kinds[TYPE_ONLY]} under TYPE_CHECKING; "
        f"one per module named, in {len(result.modules)} modules)")
    out("")

    every = cycles(graph(result.imports, ALL_KINDS))
    module_level = cycles(graph(result.imports, (MODULE_LEVEL,)))
    out(f"== Import cycles, all imports counted (function-level and TYPE_CHECKING too): "
        f"{len(every)}")
    for members in every:
        out("  " + _cycle(members))
        for imp in result.imports:
            if imp.source in members and imp.target in members:
                out(f"      {imp.where} {imp.source} -> {imp.target}: {imp.what} [{imp.kind}]")
    out(f"== Import cycles, module-level imports only (what runs at import time): "
        f"{len(module_level)}")
    for members in module_level:
        out("  " + _cycle(members))
    out("")

    up = upward(result.imports)
    pairs = {(imp.source, imp.target) for imp in up}
    out(f"== Upward imports (lower layer -> higher layer): {len(up)} "
        f"({len(pairs)} distinct module pairs)")
    for imp in up:
        out(f"  {imp.where} {imp.source} ({LAYERS[imp.source]}) -> {imp.target} "
            f"({LAYERS[imp.target]}): {imp.what} [{imp.kind}]")
    return "\n".join(lines)


def main() -> int:
    print(report(scan()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
