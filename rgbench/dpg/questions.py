"""DPG-Bench's question file (`dpg_bench.csv`) → one question graph per prompt, validated.

Each CSV row is one yes/no question (a DSG proposition) of one item:

    item_id, text, keywords, proposition_id, dependency, category_broad, category_detailed, tuple,
    question_natural_language

`dependency` lists the parent proposition ids ("0" = none); a child counts only when every parent was answered
yes. The categories the official scorer reports come from `tuple`, not from the category columns: L2 is the text
before "(" stripped ("attribute - color"), L1 the L2 text before its first "-" ("attribute").

The file is not shipped (not redistributable here): users pass its path. Everything that would make the official
scorer crash or silently mis-score is an error naming the file, the row and the item: a missing column, a bad
number, a duplicate proposition id, a parent the item does not have, a dependency cycle, an item whose rows are
not contiguous (the official scorer groups consecutive rows only).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

COLUMNS = ("item_id", "text", "keywords", "proposition_id", "dependency", "category_broad", "category_detailed",
           "tuple", "question_natural_language")
L1_ORDER = ("global", "entity", "attribute", "relation", "other")  # the paper's column order


class QuestionFileError(ValueError):
    """A question file rgbench cannot score; the message names the file, the CSV line and the item."""


@dataclass(frozen=True)
class Question:
    proposition_id: int
    parents: tuple[int, ...]  # () when the dependency column is "0"
    question: str
    tuple: str  # e.g. "attribute - color (cabbages, green)"
    line: int  # CSV line (the header is line 1)

    @property
    def category(self) -> str:
        """L2 category: the tuple text before "(" ("entity - whole", "global -")."""
        return self.tuple.split("(")[0].strip()

    @property
    def broad(self) -> str:
        """L1 category: the L2 text before its first "-" ("entity", "global")."""
        return self.category.split("-")[0].strip()


@dataclass(frozen=True)
class Item:
    item_id: str
    text: str
    questions: tuple[Question, ...]  # in CSV order, which is the order the dependency rule walks

    def ids(self) -> set[int]:
        return {q.proposition_id for q in self.questions}


def read_questions(path: str | Path) -> dict[str, Item]:
    """The question file → items by id, in file order; QuestionFileError for anything unscoreable."""
    path = Path(path)
    if not path.is_file():
        raise QuestionFileError(f"question file not found: {path} (DPG-Bench's dpg_bench.csv from the ELLA repo; "
                                "it is not shipped with rgbench)")
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise QuestionFileError(f"{path}: missing column(s) {', '.join(missing)}; "
                                    f"a DPG-Bench question file has {', '.join(COLUMNS)}")
        return parse_rows(reader, str(path))


def parse_rows(rows: Iterable[Mapping[str, str]], source: str = "<rows>") -> dict[str, Item]:
    """CSV rows (dicts with COLUMNS) → validated items; row k is CSV line k + 2."""
    groups: dict[str, list[Question]] = {}
    texts: dict[str, str] = {}
    last = None
    for k, row in enumerate(rows):
        line = k + 2
        item_id = (row.get("item_id") or "").strip()
        if not item_id:
            raise QuestionFileError(f"{source}:{line}: empty item_id")
        if item_id != last and item_id in groups:
            raise QuestionFileError(f"{source}:{line}: the rows of item '{item_id}' are not contiguous (the official "
                                    "scorer groups consecutive rows, so it would keep only the last group)")
        last = item_id
        texts.setdefault(item_id, row.get("text") or "")
        groups.setdefault(item_id, []).append(_question(row, source, line, item_id))
    if not groups:
        raise QuestionFileError(f"{source}: no question rows")
    items = {item_id: Item(item_id, texts[item_id], tuple(qs)) for item_id, qs in groups.items()}
    for item in items.values():
        check_graph(item, source)
    return items


def _question(row: Mapping[str, str], source: str, line: int, item_id: str) -> Question:
    where = f"{source}:{line} (item '{item_id}')"
    try:
        pid = int(str(row["proposition_id"]).strip())
    except ValueError:
        raise QuestionFileError(f"{where}: proposition_id {row['proposition_id']!r} is not an integer") from None
    try:
        deps = tuple(int(d.strip()) for d in str(row["dependency"]).split(","))
    except ValueError:
        raise QuestionFileError(f"{where}: dependency {row['dependency']!r} is not a comma-separated list of "
                                "integers") from None
    question = (row.get("question_natural_language") or "").strip()
    if not question:
        raise QuestionFileError(f"{where}: empty question_natural_language")
    return Question(pid, tuple(d for d in deps if d != 0), question, (row.get("tuple") or "").strip(), line)


def check_graph(item: Item, source: str = "<rows>") -> None:
    """Unique ids, known parents, no self-dependency and no cycle."""
    seen: dict[int, int] = {}
    for q in item.questions:
        if q.proposition_id in seen:
            raise QuestionFileError(f"{source}:{q.line}: item '{item.item_id}' repeats proposition_id "
                                    f"{q.proposition_id} (first on line {seen[q.proposition_id]})")
        seen[q.proposition_id] = q.line
    parents = {q.proposition_id: q.parents for q in item.questions}
    for q in item.questions:
        unknown = [p for p in q.parents if p not in parents]
        if unknown:
            raise QuestionFileError(f"{source}:{q.line}: item '{item.item_id}' proposition {q.proposition_id} depends "
                                    f"on unknown proposition(s) {', '.join(map(str, unknown))}")
    cycle = find_cycle(parents)
    if cycle:
        raise QuestionFileError(f"{source}: item '{item.item_id}' has a dependency cycle "
                                f"{' → '.join(map(str, cycle))}")


def find_cycle(parents: Mapping[int, tuple[int, ...]]) -> list[int] | None:
    """A dependency cycle as a list of ids (first id repeated at the end), or None."""
    state: dict[int, int] = {}  # 1 = on the current path, 2 = done

    def visit(node: int, path: list[int]) -> list[int] | None:
        state[node] = 1
        for parent in parents.get(node, ()):
            if state.get(parent) == 1:
                return path[path.index(parent):] + [parent]
            if parent not in state:
                found = visit(parent, path + [parent])
                if found:
                    return found
        state[node] = 2
        return None

    for node in parents:
        if node not in state:
            found = visit(node, [node])
            if found:
                return found
    return None


def official_file_warnings(items: Mapping[str, Item], prompts: Mapping[str, str]) -> list[str]:
    """For a file that holds DPG-Bench items (ids of the shipped 1,065 prompts): the item count and the prompt
    texts against the shipped prompts. [] for other files (the toy set, a custom set)."""
    ours = [i for i in items if i in prompts]
    if not ours:
        return []
    out = []
    if len(items) != len(prompts) or len(ours) != len(items):
        out.append(f"the question file has {len(items)} items ({len(ours)} of DPG-Bench's); DPG-Bench has "
                   f"{len(prompts)}: scores over a different item set are not comparable")
    changed = [i for i in ours if " ".join(items[i].text.split()) != " ".join(prompts[i].split())]
    if changed:
        out.append(f"{len(changed)} item text(s) differ from DPG-Bench's prompts, e.g. '{changed[0]}'")
    return out
