"""ReasonGen-R1's own judge prompt, read from the user's copy of the release's `examples/janus_rl.sh`.

rgbench ships only its own wording of the judge's instructions (`qwen_judge.JUDGE_TEMPLATE`). A qwen_vl reward
whose options say `template: release` (the `paper` GRPO preset) gets the release's text instead: the value of the
script's `RM_TEMPLATE`, read from the file named by the GRPO config's `release_script`. Nothing is executed.

How the release turns that shell variable into the judge's input (Franklin-Zhang0/ReasonGen-R1 at cda3c808):
1. `examples/janus_rl.sh` lines 18-32 assign RM_TEMPLATE one single-quoted word spanning 15 lines; line 98 hands it
   to verl as the Hydra override `'reward_model.template="'"$RM_TEMPLATE"'"'`, i.e. inside Hydra double quotes.
2. Hydra (1.1 and later) un-escapes only backslash runs that end in a double quote (`\\"` → `"`); every other
   backslash stays, so the script's `\\\\boxed{{1}}` reaches verl with both backslashes (`hydra_double_quoted`).
3. `verl/workers/fsdp_workers.py`, `RewardModelWorker._switch_chat_template` (lines 1205-1235): the text is
   `template.format(prompt=raw_prompt.replace("A photo of ", ""))` (so `{{ }}` become `{ }`), sent as the only
   content item of one user message through `processor.apply_chat_template(..., add_generation_prompt=True)`
   (Qwen's default system turn); then the literal `<image>` in the rendered text becomes `<|vision_start|>`, one
   `<|image_pad|>` per merged patch group, `<|vision_end|>`.
rgbench builds the same token sequence by splitting the template at `<image>` and giving Qwen's chat template the
content list (text before, image, text after); see `qwen_judge.JudgeTemplate` and `rgbench.vlm.qwen.user_turn`.
The template is split before it is filled, so a training prompt that itself contains "<image>" stays text.

`read_assignment` evaluates one variable's top-level assignment as bash would: single quotes, double quotes with
their backslash rules, `$'...'`, unquoted backslashes, line continuations and concatenated pieces. It refuses,
naming the file and line, what only running the script could tell: command substitution, parameter and
arithmetic expansion, tilde expansion, `+=`, and assignments inside if / loops / functions / subshells.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rgbench.train.qwen_judge import JudgeTemplate
    from rgbench.train.rewards import RewardTerm

RELEASE = "release"  # the `template` option value that asks for the release's RM_TEMPLATE
VARIABLE = "RM_TEMPLATE"
IMAGE_MARKER = "<image>"
RELEASE_REPO = "https://github.com/Franklin-Zhang0/ReasonGen-R1"
WHAT = (f"ReasonGen-R1's examples/janus_rl.sh, from {RELEASE_REPO}; not shipped with rgbench; its {VARIABLE} is "
        "the release's judge prompt")
HOW = "pass your copy with --set release_script=PATH/TO/janus_rl.sh"


class ReleaseScriptError(ValueError):
    """The release script is missing, or its assignment cannot be known without running the script."""


@dataclass(frozen=True)
class ShellValue:
    value: str  # the variable's value, as bash assigns it
    first_line: int  # 1-based lines the assignment spans
    last_line: int


# ---------------------------------------------------------------- the release's template


def release_judge_template(path: str | Path) -> JudgeTemplate:
    """The release's judge prompt from a copy of examples/janus_rl.sh: RM_TEMPLATE as bash, then Hydra, read it."""
    from rgbench.train.qwen_judge import JudgeTemplate

    path = Path(path)
    shell = read_assignment(path, VARIABLE)
    where = f"{path}:{shell.first_line}"
    text = hydra_double_quoted(shell.value, where)
    try:
        return JudgeTemplate(text, image_marker=IMAGE_MARKER, fill_by_format=True,
                             source=f"{path.resolve()}:{shell.first_line}-{shell.last_line}")
    except ValueError as err:
        raise ReleaseScriptError(f"{where}: {VARIABLE} is not a usable judge template: {err}") from None


def with_release_templates(terms: Sequence[RewardTerm], release_script: str) -> tuple[list[RewardTerm], list[dict]]:
    """The reward terms with each `template: release` option replaced by the release's template, and one provenance
    record (reward index, source lines, sha256 of the template text) per replacement. Reads the file only when a
    term asks for it; ReleaseScriptError when one does and `release_script` is not given or not a file."""
    out, records = [], []
    for i, term in enumerate(terms):
        if term.options.get("template") != RELEASE:
            out.append(term)
            continue
        template = release_judge_template(check_script(release_script))
        out.append(dataclasses.replace(term, options={**term.options, "template": template}))
        records.append({"reward": i, "name": term.name, "template": RELEASE, "source": template.source,
                        "sha256": template.sha256})
    return out, records


def check_script(release_script: str) -> Path:
    """The path, or ReleaseScriptError saying what the file is, where to get it and how to pass it."""
    if not release_script:
        raise ReleaseScriptError(f"this config's judge uses the release's prompt (template: {RELEASE}), read from "
                                 f"your copy of {WHAT}; {HOW}")
    path = Path(release_script)
    if not path.is_file():
        raise ReleaseScriptError(f"release script not found: {path} ({WHAT}); {HOW}")
    return path


# ---------------------------------------------------------------- Hydra's reading of the override


def hydra_double_quoted(value: str, where: str = "<value>") -> str:
    """What Hydra (≥ 1.1) reads from the override value `"<value>"`: every run of backslashes ending in a double
    quote keeps every second character (`\\"` → `"`, `\\\\\\"` → `\\"`), a trailing run is halved, and every other
    backslash stays as it is. Refuses a value Hydra would cut short or hand to OmegaConf's interpolation."""
    body = value.rstrip("\\")
    trailing = len(value) - len(body)
    if trailing % 2:
        raise ReleaseScriptError(f"{where}: {VARIABLE} ends in an odd number of backslashes, which escape Hydra's "
                                 "closing quote")
    for match in re.finditer(r'(\\*)"', body):
        if len(match.group(1)) % 2 == 0:
            raise ReleaseScriptError(f"{where}: {VARIABLE} holds a double quote without a backslash before it; "
                                     "Hydra would end the value there")
    if "${" in body:
        raise ReleaseScriptError(f"{where}: {VARIABLE} holds '${{', which OmegaConf would read as an interpolation")
    return re.sub(r'\\+"', lambda m: m.group(0)[1::2], body) + "\\" * (trailing // 2)


# ---------------------------------------------------------------- bash's reading of the assignment


def read_assignment(path: str | Path, name: str) -> ShellValue:
    """The value the script's last top-level assignment to `name` gives it, as bash would expand it, without running
    anything; ReleaseScriptError (naming the file and line) when there is none or it needs the script to run."""
    path = Path(path)
    if not path.is_file():
        raise ReleaseScriptError(f"release script not found: {path}")
    found = None
    for depth, words in ShellLexer(path.read_text(encoding="utf-8"), str(path)).commands():
        word = assignment_of(words, name)
        if word is None:
            continue
        where = f"{path}:{word.line}"
        if depth:
            raise ReleaseScriptError(f"{where}: {name} is assigned inside an if, loop, function or subshell; "
                                     "rgbench reads top-level assignments only")
        if word.problem:
            line, what = word.problem
            raise ReleaseScriptError(f"{path}:{line}: {name}'s value uses {what}, which only running the script "
                                     "could evaluate; write the value literally")
        if word.text.startswith(f"{name}+="):
            raise ReleaseScriptError(f"{where}: {name}+= appends to an earlier value; write one plain assignment")
        found = ShellValue(word.text[len(name) + 1:], word.line, word.end_line)
    if found is None:
        raise ReleaseScriptError(f"{path}: no top-level assignment {name}=... (is this the release's "
                                 "examples/janus_rl.sh?)")
    return found


DECLARERS = ("export", "readonly")
ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\+?=")


def assignment_of(words: list[Word], name: str) -> Word | None:
    """The word assigning `name` in a command that sets shell variables (plain assignments, or `export` /
    `readonly` ones); None for a command that does not, e.g. `NAME=value cmd` (that only sets cmd's environment)."""
    if words[0].plain in DECLARERS:
        words = words[1:]
    elif not all(w.assignment for w in words):
        return None
    hits = [w for w in words if w.assignment and w.text.split("=", 1)[0].rstrip("+") == name]
    return hits[-1] if hits else None


@dataclass
class Word:
    text: str = ""  # the word after quote removal
    line: int = 0  # 1-based lines it spans
    end_line: int = 0
    quoted_at: int | None = None  # index in text of the first quoted or escaped character
    problem: tuple[int, str] | None = None  # (line, what) of the first thing only running the script could know

    @property
    def plain(self) -> str | None:
        """The text when nothing in the word was quoted (reserved words and declarers must be plain)."""
        return self.text if self.quoted_at is None else None

    @property
    def assignment(self) -> bool:
        match = ASSIGNMENT.match(self.text)
        return match is not None and (self.quoted_at is None or self.quoted_at >= match.end())

    def add(self, text: str, quoted: bool) -> None:
        if quoted and self.quoted_at is None:
            self.quoted_at = len(self.text)
        self.text += text

    def flag(self, line: int, what: str) -> None:
        self.problem = self.problem or (line, what)


OPENERS = {"if": "fi", "case": "esac", "for": "done", "select": "done", "while": "done", "until": "done", "{": "}"}
LEADERS = {"then", "do", "else", "elif", "!", "time"}  # reserved words after which a command starts
BREAKS = " \t\n;&|()<>"
SEPARATORS = "\n;&|()"
ANSI_C = {"a": 7, "b": 8, "e": 27, "E": 27, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11, "\\": 92, "'": 39,
          '"': 34, "?": 63}


class ShellLexer:
    """Bash's word splitting and quote removal over a whole script, enough to find and evaluate assignments."""

    def __init__(self, src: str, name: str = "<script>") -> None:
        self.src, self.name, self.pos, self.line = src, name, 0, 1

    def commands(self) -> Iterator[tuple[int, list[Word]]]:
        """(compound depth, words) of every simple command, in order; reserved words are consumed here."""
        stack: list[str] = []
        words: list[Word] = []
        for token in self.tokens():
            if isinstance(token, str):  # an operator
                if words:
                    yield len(stack), words
                    words = []
                if token == "(" and (not stack or stack[-1] != "esac"):
                    stack.append(")")
                elif token == ")" and stack and stack[-1] == ")":
                    stack.pop()
                continue
            plain = token.plain
            if not words and plain in OPENERS:
                stack.append(OPENERS[plain])
            elif not words and plain in set(OPENERS.values()) and stack:
                stack.pop()
            elif not words and plain in LEADERS:
                pass
            else:
                words.append(token)
        if words:
            yield len(stack), words

    def tokens(self) -> Iterator[Word | str]:
        src = self.src
        while self.pos < len(src):
            c = src[self.pos]
            if src.startswith("\\\n", self.pos):  # a line continuation between words
                self.pos, self.line = self.pos + 2, self.line + 1
            elif c in " \t":
                self.pos += 1
            elif c == "#":
                end = src.find("\n", self.pos)
                self.pos = len(src) if end < 0 else end
            elif c in BREAKS:
                self.pos += 1
                self.line += c == "\n"
                if c in SEPARATORS:
                    yield c
            else:
                yield self.word()

    def word(self) -> Word:
        src, word = self.src, Word(line=self.line)
        while self.pos < len(src) and src[self.pos] not in BREAKS:
            c = src[self.pos]
            if c == "\\":
                self.backslash(word)
            elif c == "'":
                end = self.closing("'", self.pos + 1)
                word.add(src[self.pos + 1:end], quoted=True)
                self.advance(end + 1)
            elif c == '"':
                self.double(word)
            elif c == "$" and src.startswith("$'", self.pos):
                self.ansi_c(word)
            elif c == "$" and src.startswith('$"', self.pos):  # locale translation: the text itself in C / en
                self.pos += 1
                self.double(word)
            elif c in "$`":
                word.add(self.expansion(word), quoted=False)
            else:
                if c == "~" and (not word.text or word.text[-1] in "=:"):
                    word.flag(self.line, "tilde expansion (~)")
                word.add(c, quoted=False)
                self.pos += 1
        word.end_line = self.line
        return word

    def advance(self, to: int) -> None:
        self.line += self.src.count("\n", self.pos, to)
        self.pos = to

    def closing(self, quote: str, start: int) -> int:
        end = self.src.find(quote, start)
        if end < 0:
            raise ReleaseScriptError(f"{self.name}:{self.line}: unterminated {quote} quote")
        return end

    def backslash(self, word: Word) -> None:
        """Unquoted: backslash-newline disappears, a backslash before anything else quotes it."""
        nxt = self.src[self.pos + 1:self.pos + 2]
        if nxt == "\n":
            self.advance(self.pos + 2)
        else:
            word.add(nxt or "\\", quoted=True)
            self.pos += 2

    def double(self, word: Word) -> None:
        """A "..." piece: backslash escapes only $ ` " \\ and newline; $ and ` still expand."""
        src, start = self.src, self.line
        self.pos += 1
        word.add("", quoted=True)
        while True:
            if self.pos >= len(src):
                raise ReleaseScriptError(f"{self.name}:{start}: unterminated \" quote")
            c = src[self.pos]
            if c == '"':
                self.pos += 1
                return
            if c == "\\" and src[self.pos + 1:self.pos + 2] in ("$", "`", '"', "\\", "\n"):
                nxt = src[self.pos + 1]
                word.add("" if nxt == "\n" else nxt, quoted=True)
                self.advance(self.pos + 2)
            elif c in "$`":
                word.add(self.expansion(word), quoted=True)
            else:
                word.add(c, quoted=True)
                self.advance(self.pos + 1)

    def expansion(self, word: Word) -> str:
        """At a $ or `: flags command substitution / parameter / arithmetic expansion and skips it; a $ that starts
        none of them is a literal $ (returned)."""
        src, pos, line = self.src, self.pos, self.line
        if src[pos] == "`":
            end = self.closing("`", pos + 1)
            while src[end - 1] == "\\":  # an escaped backquote inside
                end = self.closing("`", end + 1)
            word.flag(line, "command substitution `...`")
            self.advance(end + 1)
            return ""
        nxt = src[pos + 1:pos + 2]
        if nxt == "(":
            word.flag(line, "arithmetic expansion $((...))" if src.startswith("$((", pos)
                      else "command substitution $(...)")
            self.advance(self.balanced(pos + 1, "(", ")"))
        elif nxt == "{":
            word.flag(line, "parameter expansion ${...}")
            self.advance(self.balanced(pos + 1, "{", "}"))
        elif nxt and (nxt.isalnum() or nxt in "_@*#?$!-"):
            match = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|.").match(src, pos + 1)
            word.flag(line, f"variable expansion ${match.group(0)}")
            self.pos = match.end()
        else:
            self.pos += 1
            return "$"
        return ""

    def balanced(self, start: int, opening: str, closing: str) -> int:
        """The index after the bracket closing the one at `start` (quotes inside are skipped)."""
        depth, i, src = 0, start, self.src
        while i < len(src):
            c = src[i]
            if c in "'\"":
                i = self.closing(c, i + 1)
            elif c == "\\":
                i += 1
            elif c == opening:
                depth += 1
            elif c == closing:
                depth -= 1
                if depth == 0:
                    return i + 1
            i += 1
        raise ReleaseScriptError(f"{self.name}:{self.line}: unterminated {opening}")

    def ansi_c(self, word: Word) -> None:
        """A $'...' piece: C-style escapes, as bytes, decoded as UTF-8 at the end."""
        src, start, out = self.src, self.line, bytearray()
        i = self.pos + 2
        while True:
            if i >= len(src):
                raise ReleaseScriptError(f"{self.name}:{start}: unterminated $' quote")
            c = src[i]
            if c == "'":
                break
            if c != "\\":
                out += c.encode()
                i += 1
                continue
            code, i = self.ansi_escape(i + 1)
            if 0 in code:
                raise ReleaseScriptError(f"{self.name}:{self.line}: a NUL byte in $'...', which bash cannot store")
            out += code
        try:
            word.add(out.decode("utf-8"), quoted=True)
        except UnicodeDecodeError:
            raise ReleaseScriptError(f"{self.name}:{start}: $'...' makes bytes that are not UTF-8") from None
        self.advance(i + 1)

    def ansi_escape(self, i: int) -> tuple[bytes, int]:
        """The escape starting at src[i] (just after the backslash) → (its bytes, the index after it)."""
        src = self.src
        c = src[i:i + 1]
        widths = {"x": 2, "u": 4, "U": 8}  # the most hex digits each reads
        if c and c in ANSI_C:
            return bytes([ANSI_C[c]]), i + 1
        if c and c in "01234567":
            match = re.compile(r"[0-7]{1,3}").match(src, i)
            return bytes([int(match.group(0), 8) & 0xFF]), match.end()
        if c and c in widths:
            match = re.compile(rf"[0-9A-Fa-f]{{1,{widths[c]}}}").match(src, i + 1)
            if match is None:
                return b"\\" + c.encode(), i + 1
            value = int(match.group(0), 16)
            if c == "x":
                return bytes([value]), match.end()
            if value > 0x10FFFF or 0xD800 <= value <= 0xDFFF:
                raise ReleaseScriptError(f"{self.name}:{self.line}: \\{c}{match.group(0)} is not a Unicode character")
            return chr(value).encode(), match.end()
        if c == "c" and src[i + 1:i + 2].isalpha():
            return bytes([ord(src[i + 1]) & 0x1F]), i + 2
        return b"\\" + c.encode(), i + 1  # an unknown escape keeps its backslash
