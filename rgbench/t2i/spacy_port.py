"""spaCy's `en_core_web_sm` 3.6.0, the parts T2I-CompBench's scorers read (noun chunks, coarse part of speech),
re-implemented in numpy: tokenizer, tok2vec, tagger, attribute ruler (tag → POS), the greedy arc-eager parser and
English noun chunks. The weights and tables were exported once from the real model by
scripts/t2i_spacy_export.py into data/spacy_sm/ (see data/SOURCE.md); spaCy is not needed at run time.

Pipeline per text (shapes for N tokens):
  tokens → features [N, 6] uint64 (hashes of NORM / PREFIX / SUFFIX / SHAPE, trailing space, is-space)
  → hash embeddings [N, 6·96] → maxout + layer norm [N, 96] → 4 residual window-CNN blocks [N, 96]
  → tagger argmax (fine tag) and parser: projection [N, 64], per-(token, feature slot) precomputed hidden
    pieces [N, 8, 64, 2], one greedy transition per step → heads and labels
  → attribute ruler patterns (tag, lower-cased word, dependency) → POS → noun chunks.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

MODEL_DIR = Path(__file__).parent / "data" / "spacy_sm"
M64 = (1 << 64) - 1


# --- hashing (spaCy's string keys: MurmurHash64A, seed 1; thinc's HashEmbed: MurmurHash3_x64_128 of the id) ---

@lru_cache(maxsize=65536)
def hash_string(text: str) -> int:
    """spaCy's 64-bit key of a string (MurmurHash64A of its UTF-8 bytes, seed 1)."""
    if not text:
        return 0  # spaCy's key of the empty string
    data = text.encode("utf-8")
    m, r = 0xC6A4A7935BD1E995, 47
    h = (1 ^ (len(data) * m)) & M64
    n_blocks = len(data) // 8
    for i in range(n_blocks):
        k = int.from_bytes(data[8 * i:8 * i + 8], "little")
        k = (k * m) & M64
        k ^= k >> r
        k = (k * m) & M64
        h ^= k
        h = (h * m) & M64
    tail = data[8 * n_blocks:]
    if tail:
        h ^= int.from_bytes(tail, "little")
        h = (h * m) & M64
    h ^= h >> r
    h = (h * m) & M64
    h ^= h >> r
    return h


def _fmix64(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> np.uint64(33))
    h = h * np.uint64(0xFF51AFD7ED558CCD)
    h = h ^ (h >> np.uint64(33))
    h = h * np.uint64(0xC4CEB9FE1A85EC53)
    return h ^ (h >> np.uint64(33))


def hash_ids(ids: np.ndarray, seed: int) -> np.ndarray:
    """thinc's `ops.hash`: MurmurHash3_x64_128 of each uint64 id as one 8-byte tail block → [N, 4] uint32 (the two
    64-bit halves, low word first). Arithmetic wraps modulo 2**64."""
    k1 = np.asarray(ids, dtype=np.uint64) * np.uint64(0x87C37B91114253D5)
    k1 = (k1 << np.uint64(31)) | (k1 >> np.uint64(33))
    k1 = k1 * np.uint64(0x4CF5AD432745937F)
    h1 = k1 ^ np.uint64(seed) ^ np.uint64(8)  # seed, the key block, the length (8 bytes)
    h2 = np.full(h1.shape, seed, dtype=np.uint64) ^ np.uint64(8)
    h1 = h1 + h2
    h2 = h2 + h1
    h1, h2 = _fmix64(h1), _fmix64(h2)
    h1 = h1 + h2
    h2 = h2 + h1
    low32 = np.uint64(0xFFFFFFFF)
    return np.stack([h1 & low32, h1 >> np.uint64(32), h2 & low32, h2 >> np.uint64(32)], axis=1).astype(np.uint32)


# --- tokenizer ---

@dataclass
class Token:
    text: str
    norm: str
    space: bool  # followed by one space
    idx: int = 0  # character offset in the text


class Tokenizer:
    """spaCy's rule tokenizer: whitespace split, then special cases, prefixes, suffixes and infixes (regexes and
    special cases exported from the model), then special cases re-applied across the tokens the affix rules made."""

    def __init__(self, cfg: dict, norm) -> None:
        def compile_(entry):
            return None if entry is None else re.compile(entry["pattern"], entry["flags"])

        self.prefix, self.suffix = compile_(cfg["prefix"]), compile_(cfg["suffix"])
        self.infix, self.token_match, self.url_match = (compile_(cfg[k]) for k in ("infix", "token_match",
                                                                                 "url_match"))
        self.rules: dict[str, list[tuple[str, str | None]]] = {k: [tuple(p) for p in v]
                                                              for k, v in cfg["rules"].items()}
        self.norm = norm
        self.faster_heuristics = cfg["faster_heuristics"]
        self._affix_rules: dict[tuple[str, ...], str] | None = None

    def find_prefix(self, s: str) -> int:
        m = self.prefix.search(s) if self.prefix else None
        return m.end() - m.start() if m else 0

    def find_suffix(self, s: str) -> int:
        m = self.suffix.search(s) if self.suffix else None
        return m.end() - m.start() if m else 0

    def __call__(self, text: str) -> list[Token]:
        tokens = self._tokenize_affixes(text, True)
        tokens = self._apply_special_cases(tokens)
        pos = 0
        for tok in tokens:  # character offsets (text is tokens + their single spaces + whitespace tokens)
            tok.idx = text.index(tok.text, pos)
            pos = tok.idx + len(tok.text) + tok.space
        return tokens

    def _tokenize_affixes(self, text: str, specials: bool) -> list[Token]:
        """Runs of non-space and of whitespace; one ' ' after a run is the previous token's trailing space."""
        tokens: list[Token] = []
        if not text:
            return tokens
        start, in_ws = 0, text[0].isspace()
        for i, ch in enumerate(text):
            if ch.isspace() != in_ws:
                if start < i:
                    tokens += self._span(text[start:i], specials)
                if ch == " ":
                    tokens[-1].space = True
                    start = i + 1
                else:
                    start = i
                in_ws = not in_ws
        if start < len(text):
            tokens += self._span(text[start:], specials)
            tokens[-1].space = text[-1] == " " and not in_ws
        return tokens

    def _special(self, s: str) -> list[Token]:
        return [Token(orth, norm if norm is not None else self.norm(orth), False) for orth, norm in self.rules[s]]

    def _plain(self, s: str) -> Token:
        return Token(s, self.norm(s), False)

    def _span(self, s: str, specials: bool) -> list[Token]:
        if specials and s in self.rules:
            return self._special(s)
        prefixes: list[str] = []
        suffixes: list[str] = []
        s = self._split_affixes(s, prefixes, suffixes, specials)
        out = [self._plain(p) for p in prefixes]
        if s:
            if specials and s in self.rules:
                out += self._special(s)
            elif (self.token_match and self.token_match.match(s)) or (self.url_match and self.url_match.match(s)):
                out.append(self._plain(s))
            else:
                out += self._split_infixes(s)
        return out + [self._plain(x) for x in reversed(suffixes)]

    def _split_affixes(self, s: str, prefixes: list[str], suffixes: list[str], specials: bool) -> str:
        last = -1
        while s and len(s) != last:
            if self.token_match and self.token_match.match(s):
                break
            if specials and s in self.rules:
                break
            last = len(s)
            pre = self.find_prefix(s)
            if pre and specials and s[pre:] and s[pre:] in self.rules:
                prefixes.append(s[:pre])
                return s[pre:]
            suf = self.find_suffix(s[pre:])
            if suf and specials and s[:-suf] and s[:-suf] in self.rules:
                suffixes.append(s[-suf:])
                return s[:-suf]
            if pre and suf and pre + suf <= len(s):
                prefixes.append(s[:pre])
                suffixes.append(s[-suf:])
                s = s[pre:-suf]
            elif pre:
                prefixes.append(s[:pre])
                s = s[pre:]
            elif suf:
                suffixes.append(s[-suf:])
                s = s[:-suf]
        return s

    def _split_infixes(self, s: str) -> list[Token]:
        matches = list(self.infix.finditer(s)) if self.infix else []
        if not matches:
            return [self._plain(s)]
        out, start = [], 0
        for m in matches:
            if m.start() == 0:  # an infix at the very start is skipped
                continue
            if m.start() != start:
                out.append(self._plain(s[start:m.start()]))
            if m.start() != m.end():
                out.append(self._plain(s[m.start():m.end()]))
            start = m.end()
        if s[start:]:
            out.append(self._plain(s[start:]))
        return out

    def affix_rules(self) -> dict[tuple[str, ...], str]:
        """Special cases that the affix rules would split, keyed by the token texts they split into."""
        if self._affix_rules is None:
            self._affix_rules = {}
            for s in self.rules:
                infix = self.infix and self.infix.search(s)
                if not self.faster_heuristics or self.find_prefix(s) or infix or self.find_suffix(s) or " " in s:
                    key = tuple(t.text for t in self._tokenize_affixes(s, False))
                    self._affix_rules.setdefault(key, s)
        return self._affix_rules

    def _apply_special_cases(self, tokens: list[Token]) -> list[Token]:
        """Token runs spelling a special case that the affix rules split are replaced by the special case's
        tokens (longest match first, then the later start; matches never share tokens)."""
        patterns = self.affix_rules()
        texts = [t.text for t in tokens]
        lengths = sorted({len(k) for k in patterns})
        found = [(n, i) for n in lengths for i in range(len(texts) - n + 1) if tuple(texts[i:i + n]) in patterns]
        if not found:
            return tokens
        seen: set[int] = set()
        keep = []
        for n, i in sorted(found, reverse=True):
            if i not in seen and i + n - 1 not in seen:
                keep.append((i, n))
            seen.update(range(i, i + n))
        out, i = [], 0
        starts = dict(keep)
        while i < len(tokens):
            n = starts.get(i)
            if n is None:
                out.append(tokens[i])
                i += 1
                continue
            text = "".join(t.text + " " * t.space for t in tokens[i:i + n - 1]) + tokens[i + n - 1].text
            if text in self.rules:
                new = self._special(text)
                new[-1].space = tokens[i + n - 1].space
                out += new
            else:
                out += tokens[i:i + n]
            i += n
        return out


def word_shape(text: str) -> str:
    """spaCy's SHAPE: letters → X / x, digits → d, others kept; a run of one kind shows at most 4 times."""
    if len(text) >= 100:
        return "LONG"
    shape, last, seq = [], "", 0
    for ch in text:
        kind = ("X" if ch.isupper() else "x") if ch.isalpha() else "d" if ch.isdigit() else ch
        seq = seq + 1 if kind == last else 0
        last = kind
        if seq < 4:
            shape.append(kind)
    return "".join(shape)


# --- neural network layers (thinc's, inference only) ---

def layer_norm(x: np.ndarray, gain: np.ndarray, bias: np.ndarray) -> np.ndarray:
    mu = x.mean(axis=1, keepdims=True)
    var = x.var(axis=1, keepdims=True) + 1e-08
    return (x - mu) * var ** (-1.0 / 2.0) * gain + bias


def maxout(x: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    """x [N, nI], W [nO, nP, nI], b [nO, nP] → [N, nO], the max over the nP pieces."""
    nO, nP, nI = W.shape
    y = x @ W.reshape(nO * nP, nI).T  # [N, nO*nP]
    y += b.reshape(nO * nP)
    return y.reshape(-1, nO, nP).max(axis=-1)


def expand_window(x: np.ndarray) -> np.ndarray:
    """[N, d] → [N, 3d]: each row with its left and right neighbour (zeros past the ends)."""
    zero = np.zeros((1, x.shape[1]), dtype=x.dtype)
    return np.concatenate([np.concatenate([zero, x[:-1]]), x, np.concatenate([x[1:], zero])], axis=1)


# --- the parser's transition system (spaCy's arc-eager with unshift; greedy) ---

SHIFT, REDUCE, LEFT, RIGHT, BREAK = "S", "D", "L", "R", "B"


class ParseState:
    """Stack, buffer (with tokens put back by REDUCE of a headless word), arcs in the order they were added."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.stack: list[int] = []
        self.rebuffer: list[int] = []
        self.b_i = 0
        self.heads = [-1] * n
        self.labels = [""] * n
        self.left_arcs: dict[int, list[list]] = {}
        self.right_arcs: dict[int, list[list]] = {}
        self.unshiftable = [False] * n
        self.sent_starts: set[int] = set()

    def S(self, i: int) -> int:
        return self.stack[-(i + 1)] if 0 <= i < len(self.stack) else -1

    def B(self, i: int) -> int:
        if i < 0:
            return -1
        if i < len(self.rebuffer):
            return self.rebuffer[-(i + 1)]
        b = self.b_i + i - len(self.rebuffer)
        return b if b < self.n else -1

    def buffer_length(self) -> int:
        return self.n - self.b_i + len(self.rebuffer)

    def is_final(self) -> bool:
        return not self.stack and self.buffer_length() == 0

    def is_sent_start(self, i: int) -> bool:
        return i in self.sent_starts

    @staticmethod
    def _nth_child(arcs: dict[int, list[list]], head: int, idx: int) -> int:
        """The idx-th child counting from the arc added last (spaCy's L / R)."""
        count = 0
        for _, child, _ in reversed(arcs.get(head, ())):
            if child != -1:
                count += 1
                if count == idx:
                    return child
        return -1

    def context(self) -> list[int]:
        """The 8 feature tokens: B0, B1, S0, S1, S2, last left child of B0, of S0, last right child of S0."""
        b0, s0 = self.B(0), self.S(0)
        return [b0, self.B(1), s0, self.S(1), self.S(2), self._nth_child(self.left_arcs, b0, 1),
                self._nth_child(self.left_arcs, s0, 1), self._nth_child(self.right_arcs, s0, 1)]

    def push(self) -> None:
        if self.rebuffer:
            self.stack.append(self.rebuffer.pop())
        else:
            self.stack.append(self.b_i)
            self.b_i += 1

    def add_arc(self, head: int, child: int, label: str) -> None:
        old = self.heads[child]
        if old >= 0:  # spaCy drops the old arc only when it is its head's last one (else it stays listed)
            arcs = (self.left_arcs if old > child else self.right_arcs).get(old)
            if arcs and arcs[-1][0] == old and arcs[-1][1] == child:
                arcs.pop()
        (self.left_arcs if head > child else self.right_arcs).setdefault(head, []).append([head, child, label])
        self.heads[child] = head
        self.labels[child] = label

    def valid(self, move: str) -> bool:
        depth, blen, b0 = len(self.stack), self.buffer_length(), self.B(0)
        if move == SHIFT:
            if depth == 0:
                return True
            return blen >= 2 and not self.is_sent_start(b0) and not self.unshiftable[b0]
        if move == REDUCE:
            return depth > 0
        if move in (LEFT, RIGHT):
            return depth > 0 and blen > 0 and not self.is_sent_start(b0)
        b1 = self.B(1)  # BREAK
        return blen >= 2 and b1 == b0 + 1 and not self.is_sent_start(b1)

    def apply(self, move: str, label: str) -> None:
        if move == SHIFT:
            self.push()
        elif move == REDUCE:
            s0 = self.stack[-1]
            if self.heads[s0] >= 0 or len(self.stack) == 1:
                self.stack.pop()
            else:  # a headless word goes back to the buffer
                self.unshiftable[s0] = True
                self.rebuffer.append(self.stack.pop())
        elif move == LEFT:
            b0, s0 = self.B(0), self.stack[-1]
            self.add_arc(b0, s0, label)
            if b0 < self.n:
                self.unshiftable[b0] = False
            self.stack.pop()
        elif move == RIGHT:
            self.add_arc(self.stack[-1], self.B(0), label)
            self.push()
        else:
            self.sent_starts.add(self.B(1))

    def force_final(self) -> None:
        self.stack.clear()
        self.rebuffer.clear()
        self.b_i = self.n


def tree_edges(heads: list[int]) -> tuple[list[int], list[int]]:
    """Each token's left and right edge as spaCy sets them: a forward then a backward pass passing edges from
    child to head, repeated (at most 12 times) while some head lies outside its sentence; for a non-projective
    tree this can differ from the true subtree span, and spaCy's noun chunks read these edges."""
    n = len(heads)
    left, right = list(range(n)), list(range(n))
    for _ in range(12):
        for i in range(n):
            h = heads[i]
            left[h], right[h] = min(left[h], left[i]), max(right[h], right[i])
        for i in range(n - 1, -1, -1):
            h = heads[i]
            right[h], left[h] = max(right[h], right[i]), min(left[h], left[i])
        if _heads_within_sentences(heads, left):
            break
    return left, right


def _heads_within_sentences(heads: list[int], left: list[int]) -> bool:
    n = len(heads)
    starts = {left[i] for i in range(n) if heads[i] == i}
    sent_start = 0
    for i in range(n):
        if (i > 0 and i in starts) or i == n - 1:
            if any(not sent_start <= heads[j] <= i for j in range(sent_start, i)):
                return False
            sent_start = i
    return True


def deprojectivize(tokens: list[Token], heads: list[int], deps: list[str]) -> None:
    """Undo the pseudo-projective labels in place: a token labelled "X||Y" gets label X and, as its head, the first
    token labelled Y found breadth-first (left to right) below its current head; none found: the head stays."""
    left, right = tree_edges(heads)  # children are looked up within the edges of the parse before this pass
    for i in range(len(heads)):
        if "||" not in deps[i]:
            continue
        label, head_label = deps[i].split("||", 1)
        heads[i] = _find_new_head(i, head_label, tokens, heads, deps, left, right)
        deps[i] = label


def _find_new_head(i: int, head_label: str, tokens, heads, deps, left, right) -> int:
    queue = [heads[i]]
    while queue:
        next_queue = []
        for q in queue:
            children = [c for c in range(left[q], right[q] + 1) if c != q and heads[c] == q]
            for c in children:
                if tokens[c].text.isspace() or c == i:
                    continue
                if deps[c] == head_label:
                    return c
                next_queue.append(c)
        queue = next_queue
    return heads[i]


# --- the model ---

NP_DEPS = {"oprd", "nsubj", "dobj", "nsubjpass", "pcomp", "pobj", "dative", "appos", "attr", "ROOT"}


@dataclass
class Parse:
    tokens: list[Token]
    tags: list[str]  # fine tags (NN, VBZ, …)
    pos: list[str]  # coarse tags (NOUN, VERB, …), as spaCy's `pos_`
    heads: list[int]  # head index; a root is its own head
    deps: list[str]
    text: str

    def noun_chunk_spans(self) -> list[tuple[int, int]]:
        """spaCy's English noun_chunks: (first, last) token of each chunk."""
        left, _ = tree_edges(self.heads)
        spans, prev_end = [], -1
        for i in range(len(self.tokens)):
            if self.pos[i] not in ("NOUN", "PROPN", "PRON") or left[i] <= prev_end:
                continue
            if self.deps[i] in NP_DEPS:
                prev_end = i
                spans.append((left[i], i))
            elif self.deps[i] == "conj":
                head = self.heads[i]
                while self.deps[head] == "conj" and self.heads[head] < head:
                    head = self.heads[head]
                if self.deps[head] in NP_DEPS:
                    prev_end = i
                    spans.append((left[i], i))
        return spans

    def noun_chunks(self) -> list[str]:
        return [self.text[self.tokens[s].idx:self.tokens[e].idx + len(self.tokens[e].text)]
                for s, e in self.noun_chunk_spans()]


class SpacySmall:
    """en_core_web_sm 3.6.0's tokenizer, tagger, parser and attribute ruler, from data/spacy_sm/."""

    def __init__(self, model_dir: Path = MODEL_DIR) -> None:
        cfg = json.loads((model_dir / "model.json").read_text(encoding="utf-8"))
        with np.load(model_dir / "weights.npz") as npz:
            self.w = {k: npz[k] for k in npz.files}
        self.meta = cfg["meta"]
        self.lexeme_norm = {int(k): v for k, v in cfg["lexeme_norm"].items()}
        self.base_norms = cfg["base_norms"]
        self.symbols: dict[str, int] = cfg["symbols"]
        self.tokenizer = Tokenizer(cfg["tokenizer"], self.norm)
        t2v = cfg["tok2vec"]
        assert t2v["attrs"] == ["NORM", "PREFIX", "SUFFIX", "SHAPE", "SPACY", "IS_SPACE"] and t2v["window"] == 1
        self.seeds, self.pad = t2v["seeds"], t2v["encoder_pad"]
        self.tag_names = cfg["tagger"]["labels"]
        self.classes = [(c.split("-", 1) + [""])[:2] for c in cfg["parser"]["classes"]]  # [(move, label)]
        self.n_features = cfg["parser"]["n_features"]
        seen = np.ones(len(self.classes), dtype=bool)
        seen[cfg["parser"]["unseen_classes"]] = False
        self.seen = seen
        self.pos_patterns = cfg["pos_patterns"]
        self.pos_rules = _index_patterns(self.pos_patterns)

    def norm(self, orth: str) -> str:
        return self.lexeme_norm.get(self.key(orth)) or self.base_norms.get(orth) or orth.lower()

    def key(self, text: str) -> int:
        """spaCy's id of a string: a symbol's fixed id ("X", "det", "case", …), else its hash."""
        symbol = self.symbols.get(text)
        return hash_string(text) if symbol is None else symbol

    def features(self, tokens: list[Token]) -> np.ndarray:
        """[N, 6] uint64: NORM, PREFIX, SUFFIX, SHAPE hashes, trailing space, is-space."""
        key = self.key
        rows = [(key(t.norm), key(t.text[:1]), key(t.text[-3:]), key(word_shape(t.text)), int(t.space),
                 int(t.text.isspace())) for t in tokens]
        return np.array(rows, dtype=np.uint64)

    def tok2vec(self, feats: np.ndarray) -> np.ndarray:
        """[N, 6] ids → [N, 96] token vectors."""
        w = self.w
        embs = []
        for col, seed in enumerate(self.seeds):
            E = w[f"embed.E{col}"]  # [nV, 96]
            keys = hash_ids(np.ascontiguousarray(feats[:, col]), seed) % np.uint32(E.shape[0])  # [N, 4]
            embs.append(E[keys].sum(axis=1))  # [N, 96]
        x = maxout(np.concatenate(embs, axis=1), w["embed.mix.W"], w["embed.mix.b"])  # [N, 96]
        x = layer_norm(x, w["embed.mix.G"], w["embed.mix.beta"])
        zeros = np.zeros((self.pad, x.shape[1]), dtype=np.float32)
        x = np.concatenate([zeros, x, zeros])  # the encoder sees 4 zero rows each side, as in a batch
        for i in range(4):
            p = f"encode.{i}"
            h = maxout(expand_window(x), w[f"{p}.W"], w[f"{p}.b"])  # [N+8, 96]
            x = x + layer_norm(h, w[f"{p}.G"], w[f"{p}.beta"])
        return x[self.pad:-self.pad]

    def tag(self, vecs: np.ndarray) -> list[str]:
        scores = vecs @ self.w["tagger.W"].T + self.w["tagger.b"]  # [N, 50]
        return [self.tag_names[i] for i in scores.argmax(axis=1)]

    def parse_tree(self, vecs: np.ndarray) -> tuple[list[int], list[str]]:
        """Greedy arc-eager parse → (heads, labels); a root is its own head with label ROOT. Labels may still carry
        the pseudo-projective "X||Y" decoration (`deprojectivize`)."""
        w = self.w
        n = len(vecs)
        proj = vecs @ w["parser.proj.W"].T + w["parser.proj.b"]  # [N, 64]
        W = w["parser.lower.W"]  # [nF, nO, nP, nI]
        nF, nO, nP, nI = W.shape
        cached = (proj @ W.reshape(nF * nO * nP, nI).T).reshape(n, nF, nO, nP)
        table = np.concatenate([w["parser.lower.pad"], cached])  # [1+N, nF, nO, nP]: row 0 = no token
        slots = np.arange(nF)
        bias, upper_W, upper_b = w["parser.lower.b"], w["parser.upper.W"], w["parser.upper.b"]
        state = ParseState(n)
        kinds = (SHIFT, REDUCE, LEFT, RIGHT, BREAK)
        move_kind = np.array([kinds.index(m) for m, _ in self.classes])  # [n_classes]
        while not state.is_final():
            ids = np.array(state.context()) + 1  # [nF]; -1 (no token) → the padding row
            hidden = table[ids, slots].sum(axis=0) + bias  # [nO, nP], summed slot by slot as spaCy does
            scores = hidden.max(axis=-1) @ upper_W.T + upper_b  # [n_classes]
            scores[~self.seen] = scores.min()
            valid = np.array([state.valid(k) for k in kinds])[move_kind]  # [n_classes]
            if not valid.any():
                state.force_final()
                break
            best = int(np.argmax(np.where(valid, scores, -np.inf)))  # the first of equal best, as spaCy
            state.apply(*self.classes[best])
        heads = [h if h >= 0 else i for i, h in enumerate(state.heads)]
        labels = [state.labels[i] if state.heads[i] >= 0 else "ROOT" for i in range(n)]
        return heads, labels

    def coarse_pos(self, tokens: list[Token], tags: list[str], deps: list[str]) -> list[str]:
        """The attribute ruler's POS patterns, applied in their order (a later match overwrites)."""
        n = len(tokens)
        values = [{"LOWER": t.text.lower(), "TAG": tag, "DEP": dep, "ORTH": t.text, "IS_SPACE": t.text.isspace()}
                  for t, tag, dep in zip(tokens, tags, deps)]
        matches = []  # (pattern number, start)
        for start in range(n):
            for number, specs in self.pos_rules.get(tags[start], []) + self.pos_rules.get(None, []):
                if start + len(specs) <= n and all(_match(spec, values[start + k]) for k, spec in enumerate(specs)):
                    matches.append((number, start))
        pos = [""] * n
        for number, start in sorted(matches):
            entry = self.pos_patterns[number]
            pos[start + entry["index"]] = entry["pos"]
        return pos

    def __call__(self, text: str) -> Parse:
        tokens = self.tokenizer(text)
        if not tokens:
            return Parse([], [], [], [], [], text)
        vecs = self.tok2vec(self.features(tokens))
        tags = self.tag(vecs)
        heads, deps = self.parse_tree(vecs)
        deprojectivize(tokens, heads, deps)
        return Parse(tokens, tags, self.coarse_pos(tokens, tags, deps), heads, deps, text)


def _match(spec: dict, values: dict) -> bool:
    """One token against one Matcher token pattern (plain values, IN and NOT_IN)."""
    for key, want in spec.items():
        have = values[key]
        if isinstance(want, dict):
            if "IN" in want and have not in want["IN"]:
                return False
            if "NOT_IN" in want and have in want["NOT_IN"]:
                return False
        elif have != want:
            return False
    return True


def _index_patterns(patterns: list[dict]) -> dict[str | None, list]:
    """Patterns by the tag their first token must have (None: any tag), each with its number in the order."""
    index: dict[str | None, list] = {}
    for number, entry in enumerate(patterns):
        first_tag = entry["pattern"][0].get("TAG")
        index.setdefault(first_tag if isinstance(first_tag, str) else None, []).append((number, entry["pattern"]))
    return index


class NumpySpacyChunker:
    """Noun chunks and coarse tags from the numpy port of en_core_web_sm 3.6.0 (`SpacySmall`); numpy only. The
    last parses are kept, since a prompt is usually asked for its chunks and then its tags."""

    def __init__(self, model_dir: Path = MODEL_DIR) -> None:
        self.model = SpacySmall(model_dir)
        self.name = f"spacy-port-{self.model.meta['model']}-{self.model.meta['model_version']}"
        self.parse = lru_cache(maxsize=4096)(self.model)

    def noun_chunks(self, text: str) -> list[str]:
        return self.parse(text).noun_chunks()

    def tagged(self, text: str) -> list[tuple[str, str]]:
        p = self.parse(text)
        return [(t.text, pos) for t, pos in zip(p.tokens, p.pos)]
