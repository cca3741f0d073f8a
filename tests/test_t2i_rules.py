"""T2I-CompBench's formulas and prompt reading, each expectation worked by hand (benchmarks.md §3.3–§3.7)."""

import json

import pytest

from rgbench.t2i import phrases, rules
from rgbench.t2i.evaluate import complex_clip_text, found_objects
from rgbench.t2i.rules import Found

CHUNKER = phrases.BuiltinChunker()


def test_attribute_score_rounds_each_probability_then_the_product():
    # 0.98766 → 0.9877, 0.5 → 0.5, 0.33334 → 0.3333: 0.9877 · 0.5 · 0.3333 = 0.16460… → 0.1646
    assert rules.attribute_score([0.98766, 0.5, 0.33334]) == 0.1646
    assert rules.attribute_score([]) == 1.0  # no question: every factor counts as 1
    assert rules.attribute_score([0.5] * 10, np_num=8) == round(0.5 ** 8, 4)  # the 9th and 10th are ignored


def test_attribute_product_is_taken_in_float32_as_the_official_tensor():
    # float32(0.1338) = 0.13379999995…, × 0.25 (exact) = 0.033449999988… → "0.0334"; float64 gives 0.03345 → "0.0335"
    assert rules.attribute_score([0.25, 0.1338]) == 0.0334
    assert round(0.25 * 0.1338, 4) == 0.0335  # what the product of Python floats gave
    assert rules.attribute_score([0.25, 0.1338, 1.0]) == 0.0334  # a factor of 1 (a missing question) changes nothing


def test_unidet_frame_gives_each_axis_its_own_integer_size():
    # 500×333: 479·500/333 = 719.2 → 719 > 480, so the long side is 480 and the short int(480·479/719) = int(319.78)
    assert rules.unidet_size((500, 333)) == (480, 319)
    assert rules.unidet_scales((500, 333)) == (0.96, 319 / 333)  # 0.96 and 0.957958…, not 0.96 twice
    assert rules.unidet_size((333, 500)) == (319, 480)
    assert rules.unidet_size((64, 64)) == (479, 479)
    assert rules.unidet_size((512, 384)) == (480, 360)  # 479·512/384 = 638.7 → 638; int(480·479/638) = int(360.38)
    assert rules.unidet_size((480, 479)) == (480, 479)  # 479·480/479 = 480, not above 480


def _record(width, height, *objects):
    return {"width": width, "height": height,
            "objects": [{"label": lab, "score": s, "box": list(box)} for lab, s, box in objects]}


def test_per_axis_frame_decides_next_to_and_left_of_on_a_500x333_image():
    # next to: centres 300 px apart in x, 156.4 px in y. x: 300·0.96 = 288; y: 156.4·319/333 = 149.83 < 150 → pos 1,
    # score 0.25·0.9 + 0.25·0.9 + 0.5 = 0.95. One scale (0.96) for both axes gave y 150.14 → pos 150/288 = 0.521.
    near = _record(500, 333, ("dog", 0.9, (0, 0, 10, 10)), ("cat", 0.9, (300, 156.4, 310, 166.4)))
    score, d = rules.spatial_score(("dog", "cat"), "next to", found_objects(near))
    assert d["pos"] == 1.0 and score == pytest.approx(0.95)
    # left of: centres 200 px apart in x, 200.3 in y. x: 192; y: 200.3·319/333 = 191.88 < 192, so |dx| > |dy|: dog is
    # left of cat, pos 1, score 0.95. One scale gave y 192.29 > 192: "above", pos 0, 0.45 → 0.
    left = _record(500, 333, ("dog", 0.9, (90, 90, 110, 110)), ("cat", 0.9, (290, 290.3, 310, 310.3)))
    score, d = rules.spatial_score(("dog", "cat"), "on the left of", found_objects(left))
    assert d["pos"] == 1.0 and score == pytest.approx(0.95)


def test_detections_at_or_below_the_official_score_cut_are_ignored():
    box = (0.0, 0.0, 10.0, 10.0)
    assert [d.score for d in rules.confident([Found("a", 0.1, box), Found("b", 0.11, box)])] == [0.11]  # strictly >
    # "a horse on side of a bicycle": a 0.046 horse next to a 0.786 bicycle scored 0.25·0.046 + 0.25·0.786 + 0.5 =
    # 0.708; with the cut only the bicycle is left: 0.25·0.786 = 0.1965 < 0.5 → 0
    rec = _record(479, 479, ("bicycle", 0.786, (0, 0, 100, 100)), ("horse", 0.046, (120, 0, 220, 100)))
    assert rules.spatial_score(("horse", "bicycle"), "on side of", found_objects(rec, 0.0))[0] == pytest.approx(0.708)
    score, d = rules.spatial_score(("horse", "bicycle"), "on side of", found_objects(rec))
    assert score == 0.0 and d["found"] == [False, True]
    # numeracy "two dogs": two dogs at 0.9 and 0.8 and a 0.1 one; counting the junk one gave 3 ≠ 2, i.e. 0.5
    dogs = _record(479, 479, ("dog", 0.9, (0, 0, 50, 50)), ("dog", 0.8, (200, 0, 250, 50)),
                   ("dog", 0.1, (400, 0, 450, 50)))
    assert rules.numeracy_score([("dog", 2)], found_objects(dogs))[0] == 1.0
    assert rules.numeracy_score([("dog", 2)], found_objects(dogs, 0.0))[0] == 0.5


BOX_L = (0.0, 200.0, 100.0, 300.0)  # centre (50, 250)


@pytest.mark.parametrize("relation, b, want", [
    ("on the left of", (300.0, 200.0, 400.0, 300.0), 1.0),  # dx = 300 > 0, |dx| > |dy|, no overlap
    ("on the right of", (300.0, 200.0, 400.0, 300.0), 0.0),  # wrong side
    ("on the right of", (-300.0, 200.0, -200.0, 300.0), 1.0),
    ("on the top of", (0.0, 400.0, 100.0, 500.0), 1.0),  # dy = 200 > 0: a is above b
    ("on the bottom of", (0.0, 0.0, 100.0, 100.0), 1.0),  # dy = −200
    ("on the left of", (250.0, 0.0, 350.0, 100.0), 1.0),  # diagonal: dx = 250 > |dy| = 200, still "left of"
    ("on the left of", (150.0, 0.0, 250.0, 100.0), 0.0),  # diagonal: dx = 150 < |dy| = 200: "above" instead
])
def test_each_direction(relation, b, want):
    assert rules.position_score(relation, BOX_L, b) == want


def test_overlap_scales_the_position_by_one_tenth_over_iou():
    a, b = (0.0, 0.0, 100.0, 100.0), (50.0, 0.0, 150.0, 100.0)  # IoU = 5000 / 15000 = 1/3, dx = 50 > 0
    assert rules.iou(a, b) == pytest.approx(1 / 3)
    assert rules.position_score("on the left of", a, b) == pytest.approx(0.1 / (1 / 3))


def test_next_to_uses_150_px_in_the_unidet_frame():
    a = (0.0, 0.0, 10.0, 10.0)
    assert rules.position_score("next to", a, (400.0, 100.0, 410.0, 110.0)) == 1.0  # |dy| = 100 < 150
    assert rules.position_score("near", a, (400.0, 300.0, 410.0, 310.0)) == pytest.approx(150 / 400)


def test_on_top_of_scores_zero_officially_and_as_on_the_top_of_when_corrected():
    a, b = (0.0, 0.0, 100.0, 100.0), (0.0, 300.0, 100.0, 400.0)  # a above b
    assert rules.position_score("on top of", a, b, "official") == 0.0
    assert rules.position_score("on top of", a, b, "corrected") == 1.0


def test_spatial_score_weights_and_the_half_threshold():
    a, b = Found("dog", 0.9, (0.0, 0.0, 100.0, 100.0)), Found("cat", 0.8, (300.0, 0.0, 400.0, 100.0))
    score, d = rules.spatial_score(("dog", "cat"), "on the left of", [b, a])
    assert score == pytest.approx(0.25 * 0.9 + 0.25 * 0.8 + 0.5) and d["pos"] == 1.0
    wrong, d = rules.spatial_score(("dog", "cat"), "on the right of", [a, b])
    assert d["before_threshold"] == pytest.approx(0.425) and wrong == 0.0  # < 0.5 → 0
    alone, d = rules.spatial_score(("dog", "horse"), "on the left of", [a, b])
    assert d["before_threshold"] == pytest.approx(0.225) and alone == 0.0  # one object: at most 0.25
    low = Found("dog", 0.95, (0.0, 0.0, 100.0, 100.0))
    assert rules.first_match("dog", [a, low]) is low  # the highest-scoring exact label
    assert rules.first_match("desk", [Found("table, desk", 0.9, a.box)]) is None  # exact match only


def test_numeracy_dedupes_with_plus_one_areas_and_scores_half_per_part():
    big = Found("dog", 0.9, (0.0, 0.0, 99.0, 99.0))  # +1 area 10000
    inside = Found("dog", 0.8, (0.0, 0.0, 94.0, 99.0))  # 9500, all inside big: 9500 / 9500 > 0.9 → dropped
    other = Found("dog", 0.7, (200.0, 0.0, 299.0, 99.0))
    cat = Found("cat", 0.6, (0.0, 0.0, 94.0, 99.0))  # same box as `inside`, another label: kept
    assert rules.dedupe([inside, big, other, cat]) == [big, other, cat]
    # two dogs wanted, two found → 1; three cats wanted, one found → 0.5; mean over the 2 objects = 0.75
    score, d = rules.numeracy_score([("dog", 2), ("cat", 3)], [big, inside, other, cat])
    assert score == pytest.approx(0.75) and d["objects"][1] == {"object": "cat", "want": 3, "found": 1}
    fish = Found("goldfish, fish", 0.9, big.box)  # a label containing the name stands for it
    assert rules.numeracy_score([("fish", 1)], [fish])[0] == 1.0
    assert rules.numeracy_score([], [big])[0] == 0.0


def test_complex_three_in_one():
    assert rules.complex_score("spatial", 0.6, 0.8, None) == pytest.approx(0.7)
    assert rules.complex_score("action", 0.6, None, 0.3) == pytest.approx(0.45)
    assert rules.complex_score("spatialaction", 0.6, 0.9, 0.3) == pytest.approx(0.6)
    with pytest.raises(ValueError, match="needs its CLIP"):
        rules.complex_score("action", 0.6, 0.8, None)


@pytest.mark.parametrize("prompt, chunks", [
    ("a green bench and a blue bowl", ["a green bench", "a blue bowl"]),
    ("rubber sole shoes and fluffy clouds", ["rubber sole shoes", "fluffy clouds"]),
    ("a pentagonal stop sign and a spherical traffic light", ["a pentagonal stop sign", "a spherical traffic light"]),
    ("The red hat was on top of the brown coat rack.", ["The red hat", "top", "the brown coat rack"]),
    ("a girl on the top of a frog", ["a girl", "the top", "a frog"]),
    ("A person is looking at a rainbow and marveling at its beauty.", ["A person", "a rainbow", "its beauty"]),
    ("two boys", ["two boys"]),
    ("The bright green grass contrasted with the dull grey pavement.", ["The bright green grass", "the dull grey pavement"]),
    ("A group of friends practicing yoga in the park", ["A group", "friends", "yoga", "the park"]),
    ("The bold colors of the peonies stood out against the cluttered desk.",
     ["The bold colors", "the peonies", "the cluttered desk"]),
    ("The wooden clipboard and glass paperweight hold the documents.",
     ["The wooden clipboard", "glass paperweight", "the documents"]),
    # spaCy tags "towering" a noun here (the shipped table's "… reaching for the leaves of the trees"), so two chunks
    ("The towering, majestic elephants strode through the savanna, their powerful trunks reaching for the leaves.",
     ["The towering", "majestic elephants", "the savanna", "their powerful trunks", "the leaves"]),
])
def test_builtin_chunker_on_the_val_files_patterns(prompt, chunks):
    assert CHUNKER.noun_chunks(prompt) == chunks


def test_questions_drop_the_relation_chunks_per_mode():
    chunks = CHUNKER.noun_chunks("a girl on the top of a frog")
    assert [chunks[i] for i in phrases.kept_chunks(chunks, "official")] == ["a girl", "the top", "a frog"]
    assert [chunks[i] for i in phrases.kept_chunks(chunks, "corrected")] == ["a girl", "a frog"]
    assert phrases.question('The "Red" Hat: (big)') == "the red hat big?"


def test_spatial_objects_relation_and_person_mapping():
    assert phrases.spatial_objects("a girl on the top of a frog", CHUNKER) == ("person", "frog")
    assert phrases.relation_2d("a giraffe next to a lamp") == "next to"
    assert phrases.relation_2d("a dog on the left of a cat near a tree") == "near"  # first in the official order
    assert phrases.spatial_objects("a dog", CHUNKER) is None


def test_complex_clip_text():
    """The official drops every token spaCy tags ADJ: for shipped prompts the table's tags make it exact."""
    shipped = phrases.default_chunker()
    prompt = "The red apple was next to the oval plate."
    assert phrases.source_of(shipped, prompt).endswith("(shipped table)")
    # spaCy tags "next" ADJ and "oval" NOUN here, so the official CLIP text loses "next" and keeps "oval"
    assert complex_clip_text(prompt, shipped) == "The apple was to the oval plate ."
    assert complex_clip_text(prompt, CHUNKER) == "The apple was next to the oval plate ."  # the built-in's tags
    duckling = "The soft yellow duckling swam next to the sleek black swan."  # "duckling" is a VERB there: kept
    assert complex_clip_text(duckling, shipped) == "The duckling swam next to the swan ."


@pytest.mark.parametrize("prompt, objects", [
    # the built-in tagger copies spaCy's tags, mistakes included (the shipped table: duckling/VERB swam/NOUN;
    # oval/NOUN plate/NOUN, so the first noun after the relation is "oval")
    ("The soft yellow duckling swam next to the sleek black swan.", ("swam", "swan")),
    ("The bright yellow sunflower stood tall next to the soft green grass.", ("sunflower", "grass")),
    ("The red apple was next to the oval plate.", ("apple", "oval")),
    ("The soft pillow was on top of the hard rocking chair.", ("pillow", "chair")),
])
def test_complex_objects_are_the_nouns_around_the_relation(prompt, objects):
    tagged = CHUNKER.tagged(prompt)
    assert phrases.complex_objects(tagged, "official") == objects
    assert phrases.complex_objects(tagged, "corrected") == objects


def tags(text):
    """'The/DET cat/NOUN' → [('The', 'DET'), ('cat', 'NOUN')]: a sentence tagged by hand, as spaCy would."""
    return [tuple(t.rsplit("/", 1)) for t in text.split()]


def test_complex_objects_follow_the_official_walk_over_tags():
    # the nearest NOUN before "next to" (not the verb), the first NOUN after it
    assert phrases.complex_objects(tags("The/DET duckling/NOUN swam/VERB next/ADV to/ADP the/DET swan/NOUN ./PUNCT"),
                                   "official") == ("duckling", "swan")
    # "on the top of" is not in the official list: no objects (spatial 0); corrected finds them, girl → person
    top = tags("A/DET girl/NOUN stood/VERB on/ADP the/DET top/NOUN of/ADP the/DET hill/NOUN")
    assert phrases.complex_objects(top, "official") is None
    assert phrases.complex_objects(top, "corrected") == ("person", "hill")
    # no NOUN after: the first PROPN that ends a run of them ("Ben", not "Big"); a PROPN before counts as a noun;
    # official keeps the case (no lower-case label will match it), corrected lower-cases
    propn = tags("The/DET Statue/PROPN stood/VERB near/ADP Big/PROPN Ben/PROPN ./PUNCT")
    assert phrases.complex_objects(propn, "official") == ("Statue", "Ben")
    assert phrases.complex_objects(propn, "corrected") == ("statue", "ben")
    # two relation phrases give four objects: not exactly two, so none
    two = tags("The/DET cat/NOUN sat/VERB near/ADP the/DET dog/NOUN next/ADV to/ADP the/DET bowl/NOUN")
    assert phrases.complex_objects(two, "official") is None


def test_numeracy_prompts():
    vocab = phrases.read_vocabulary("dog - dogs\nstop sign - stop signs\ngirl - girls\n")
    got = phrases.numeracy_objects("three stop signs, a dog and two girls", vocab)
    assert [(c.name, c.count) for c in got] == [("stop sign", 3), ("dog", 1), ("person", 2)]


# ---------------------------------------------------------------- the built-in chunker's rules, by hand
def spans(text):
    """'a/DET park/NOUN bench/NOUN' → the chunks chunk_spans reads from those hand tags."""
    pairs = [item.rsplit("/", 1) for item in text.split()]
    toks, tgs = [w for w, _ in pairs], [t for _, t in pairs]
    return [" ".join(toks[s:e + 1]) for s, e in phrases.chunk_spans(toks, tgs)]


@pytest.mark.parametrize("tagged, chunks", [
    ("a/DET park/NOUN bench/NOUN", ["a park bench"]),  # nouns before a noun modify it
    ("their/PRON mother/NOUN 's/PART finger/NOUN", ["their mother 's finger"]),  # possessives stay inside
    ("A/DET black/ADJ and/CCONJ white/ADJ cat/NOUN", ["A black and white cat"]),  # coordinated modifiers
    ("The/DET sharp/ADJ ,/PUNCT steel/NOUN blades/NOUN", ["The sharp , steel blades"]),  # a comma after an adjective
    ("the/DET crying/VERB baby/NOUN", ["the crying baby"]),  # a participle inside a phrase
    ("is/AUX making/VERB plans/NOUN", ["plans"]),  # a verb's object: the verb is no modifier
    ("of/ADP blooming/VERB flowers/NOUN", ["blooming flowers"]),  # …except right after a preposition
    ("rubber/NOUN sole/ADJ shoes/NOUN", ["rubber sole shoes"]),  # a noun before adjective + noun modifies
    ("the/DET tech/NOUN -/PUNCT savvy/ADJ user/NOUN", ["the tech - savvy user"]),  # a word-internal hyphen
    ("it/PRON and/CCONJ their/PRON dog/NOUN", ["it", "their dog"]),  # a pronoun is a chunk, a possessive is not
    ("a/DET brown/ADJ acorn/VERB and/CCONJ a/DET green/ADJ leaf/NOUN", ["a green leaf"]),  # heads are nominal
])
def test_builtin_chunks_read_from_tags(tagged, chunks):
    assert spans(tagged) == chunks


LEXICON = {"frame": ["NOUN"], "display": ["NOUN", "VERB"], "fly": ["VERB", "NOUN"], "reading": ["NOUN"],
           "building": ["NOUN"], "trying": ["VERB"], "green": ["ADJ"], "man": ["NOUN"], "dog": ["NOUN"]}


@pytest.mark.parametrize("text, tags", [
    # "to" before a word the lexicon lacks is the infinitive marker, and that word a verb
    ("trying to soothe them", ["VERB", "PART", "VERB", "PRON"]),
    ("a man is building a dog", ["DET", "NOUN", "AUX", "VERB", "DET", "NOUN"]),  # "-ing" after an auxiliary
    ("a man and reading .", ["DET", "NOUN", "CCONJ", "NOUN", "PUNCT"]),  # "-ing" after "and", nothing after
    ("a green fly", ["DET", "ADJ", "NOUN"]),  # noun/verb word ending a phrase: a noun
    ("the frame display the dog", ["DET", "NOUN", "VERB", "DET", "NOUN"]),  # after a subject, before its object
    ("a green kettle .", ["DET", "ADJ", "NOUN", "PUNCT"]),  # unseen, ending a phrase: a noun
    ("the dog scampered on", ["DET", "NOUN", "VERB", "ADP"]),  # unseen, after a subject: a verb
    ("a narrow green dog", ["DET", "ADJ", "ADJ", "NOUN"]),  # unseen, before an adjective: an adjective
    ("the man saw Paris", ["DET", "NOUN", "NOUN", "PROPN"]),  # capitalised inside the sentence: a proper noun
])
def test_builtin_tagger_context_rules(text, tags):
    chunker = phrases.BuiltinChunker(lexicon=LEXICON)
    assert [pos for _, pos in chunker.tagged(text)] == tags


def test_builtin_tokens_split_as_spacy_splits_and_chunks_keep_the_prompt_text():
    assert [t for t, _, _ in phrases.spacy_tokens("the pianist's tie-dye shirt, 11:44.")] == \
        ["the", "pianist", "'s", "tie", "-", "dye", "shirt", ",", "11:44", "."]
    chunker = phrases.BuiltinChunker(lexicon={"pianist": ["NOUN"], "tie": ["NOUN"], "dye": ["NOUN"], "shirt": ["NOUN"]})
    assert chunker.noun_chunks("the pianist's tie-dye shirt") == ["the pianist's tie-dye shirt"]


def test_the_toy_vocabulary_is_fixed_over_the_spacy_lexicon():
    """The shipped lexicon copies spaCy's "square" → ADJ, so a plain built-in chunker loses the square; the toy's
    chunker fixes its shape words as nouns (and reads a texture word as an adjective, not a verb)."""
    from rgbench.t2i.evaluate import build_chunker

    assert phrases.pos_lexicon()["square"][0] == "ADJ"
    assert phrases.BuiltinChunker().noun_chunks("a red circle and a white square") == ["a red circle"]
    toy = build_chunker("auto", "toy-t2i")
    assert toy.noun_chunks("a red circle and a white square") == ["a red circle", "a white square"]
    assert toy.noun_chunks("a yellow square on the bottom of a purple striped circle") == \
        ["a yellow square", "the bottom", "a purple striped circle"]


def test_pos_lexicon_is_made_from_the_fit_half_only():
    """scripts/t2i_pos_lexicon.py rebuilds the shipped file; no word only a held-out prompt has is in it."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "scripts" / "t2i_pos_lexicon.py"
    spec = importlib.util.spec_from_file_location("t2i_pos_lexicon", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    parses = json.loads(phrases.TABLE_FILE.read_text(encoding="utf-8"))["parses"]
    shipped = json.loads(phrases.LEXICON_FILE.read_text(encoding="utf-8"))["words"]
    assert module.build(parses) == shipped
    halves = [phrases.lexicon_half(p) for p in parses]
    assert 0.4 < halves.count("held_out") / len(halves) < 0.6
    held_words = {t.lower() for p, e in parses.items() if phrases.lexicon_half(p) == "held_out" for t, _ in e["tagged"]}
    fit_words = {t.lower() for p, e in parses.items() if phrases.lexicon_half(p) == "fit" for t, _ in e["tagged"]}
    assert not (set(shipped) & (held_words - fit_words))


# ---------------------------------------------------------------- the shipped spaCy table
def test_spacy_table_covers_every_shipped_official_prompt():
    """Every line of every official T2I-CompBench file rgbench ships has spaCy's parse in the table, and the table
    says which spaCy and model made it."""
    data = json.loads(phrases.TABLE_FILE.read_text(encoding="utf-8"))
    folder = phrases.TABLE_FILE.parent / "dataset"
    shipped = {line.strip() for path in folder.glob("*_val*.txt")
               for line in path.read_text(encoding="utf-8").splitlines() if line.strip()}
    assert shipped and shipped == set(data["parses"])
    assert data["meta"]["model"] == "en_core_web_sm" and data["meta"]["spacy"].startswith("3.6")


def test_shipped_chunker_reads_the_table_and_falls_back_for_other_prompts():
    chunker = phrases.ShippedChunker(phrases.BuiltinChunker())
    merged = "a rubber eraser and leather gloves"  # spaCy merges the two into one chunk; the built-in splits them
    assert chunker.noun_chunks(merged) == ["a rubber eraser and leather gloves"]
    assert phrases.BuiltinChunker().noun_chunks(merged) == ["a rubber eraser", "leather gloves"]
    assert phrases.source_of(chunker, merged) == "spacy-en_core_web_sm-3.6.0 (shipped table)"
    other = "a purple giraffe and a green kettle"  # not a shipped prompt
    assert chunker.noun_chunks(other) == ["a purple giraffe", "a green kettle"]
    assert phrases.source_of(chunker, other) == "builtin"
    # spaCy 3.6 tags "duckling" VERB and "swam" NOUN here, so the official --complex walk, fed spaCy's real tags,
    # takes "swam" (the built-in tags give "duckling"): the table reproduces what the official script computes
    duck = "The soft yellow duckling swam next to the sleek black swan."
    assert phrases.complex_objects(chunker.tagged(duck), "official") == ("swam", "swan")
    # simple 2D spatial, official: first and last NOUN of spaCy's tags; spaCy does not tag "key" a noun here
    bee = "a bee on the left of a key"
    assert phrases.spatial_objects(bee, chunker, "official") == ("bee", "left")
    assert phrases.spatial_objects(bee, chunker, "corrected") is None  # its chunks: "a bee", "the left" (dropped)


def test_toy_prompts_use_the_builtin_chunker_on_every_machine():
    from rgbench.t2i.evaluate import build_chunker

    assert isinstance(build_chunker("auto", "toy-t2i"), phrases.BuiltinChunker)
    assert isinstance(build_chunker("auto", "t2i"), phrases.ShippedChunker)
