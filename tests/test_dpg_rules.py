"""DPG-Bench's scoring rules, each expectation worked by hand (benchmarks.md §2.3): the dependency rule and its
CSV-order propagation, both modes (answer matching, categories from the last tile vs every tile, the skipped
first row, failures left out vs counted as 0), tiles at several resolutions, and every question-file error."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from rgbench.dpg.evaluate import DPGConfig, score_answers
from rgbench.dpg.questions import Item, Question, QuestionFileError, parse_rows, read_questions
from rgbench.dpg.scoring import ItemScore, is_yes, items_for_mode, score_item, summarize, tile_scores
from rgbench.dpg.tiles import crop_tiles, layout_warning

FIXTURE = Path(__file__).parent / "data" / "dpg" / "dpg_bench_fixture.csv"
A = {1: "yes", 2: "no", 3: "yes", 4: "no", 5: "yes", 6: "yes"}  # countbench7, one tile (see the first test)


@pytest.fixture(scope="module")
def items():
    return read_questions(FIXTURE)


def answers_for(tiles: list[dict[int, str]]) -> dict[tuple[int, int], str]:
    return {(t, pid): a for t, tile in enumerate(tiles) for pid, a in tile.items()}


def test_the_fixture_parses_into_graphs_with_categories(items):
    assert list(items) == ["countbench7", "partiprompts10", "drawtext3"]
    cabbages = items["countbench7"].questions
    assert [q.parents for q in cabbages] == [(), (1,), (1,), (), (4,), (1, 4)]
    assert cabbages[1].category == "other - count" and cabbages[1].broad == "other"
    assert items["partiprompts10"].questions[0].category == "global -"
    assert items["partiprompts10"].questions[0].broad == "global"


def test_a_child_scores_only_when_every_parent_is_yes(items):
    # raw 1 0 1 0 1 1 → q5 (parent q4 = 0) and q6 (parents q1, q4) are zeroed: 1 0 1 0 0 0 → 2/6
    raw = {pid: float(a == "yes") for pid, a in A.items()}
    assert tile_scores(items["countbench7"], raw) == {1: 1, 2: 0, 3: 1, 4: 0, 5: 0, 6: 0}
    assert score_item(items["countbench7"], answers_for([A]), 1, "official").score == pytest.approx(2 / 6)


def test_zeros_propagate_in_csv_order_only():
    q = lambda pid, *parents: Question(pid, parents, f"q{pid}?", "entity - whole (x)", pid + 1)  # noqa: E731
    # q2 depends on q3, which depends on q1 (answered no). Walking q1, q2, q3: when q2 is checked, q3 still
    # scores 1, so q2 keeps its 1; q3 is zeroed after → 1/3. Walking q1, q3, q2 zeroes both → 0.
    answers = {(0, 1): "no", (0, 2): "yes", (0, 3): "yes"}
    assert score_item(Item("x", "", (q(1), q(2, 3), q(3, 1))), answers, 1, "corrected").score == pytest.approx(1 / 3)
    assert score_item(Item("x", "", (q(1), q(3, 1), q(2, 3))), answers, 1, "corrected").score == 0


def test_answer_matching_per_mode():
    assert is_yes("yes", "official") and not is_yes("Yes", "official") and not is_yes("yes.", "official")
    assert is_yes("Yes.", "corrected") and is_yes(" YES ", "corrected") and not is_yes("yes, two", "corrected")
    assert not is_yes("no", "corrected")


def four_tiles():
    capital = {pid: a.capitalize() for pid, a in A.items()}
    all_yes = {pid: "yes" for pid in A}
    return answers_for([A, all_yes, capital, A])  # tile 2 answers "Yes"/"No", the last tile is A again


def test_official_item_score_and_categories_from_the_last_tiles_raw_answers(items):
    s = score_item(items["countbench7"], four_tiles(), 4, "official")
    # tiles: A 2/6, all yes 1, capitalised 0 (exact "yes" only), A 2/6 → (1/3 + 1 + 0 + 1/3) / 4 = 5/12
    assert s.tile_scores == pytest.approx([1 / 3, 1, 0, 1 / 3]) and s.score == pytest.approx(5 / 12)
    # categories: the last tile only, raw answers (q5 and q6 count as yes though their parent q4 is no)
    assert sorted(s.categories) == sorted([("entity - whole", 1), ("other - count", 0), ("attribute - color", 1),
                                           ("entity - whole", 0), ("attribute - texture", 1),
                                           ("relation - spatial", 1)])
    summary = summarize([s], [], "official")
    assert summary["l1"] == pytest.approx({"entity": 50, "attribute": 100, "relation": 100, "other": 0})


def test_corrected_item_score_and_categories_from_every_tile_after_the_rule(items):
    s = score_item(items["countbench7"], four_tiles(), 4, "corrected")
    # the capitalised tile now scores like A: (1/3 + 1 + 1/3 + 1/3) / 4 = 1/2
    assert s.score == pytest.approx(1 / 2)
    summary = summarize([s], [], "corrected")
    # over 4 tiles after the rule: q1 1111, q4 0100 → entity 5/8; q2 0100 → other 1/4; q3 1111 + q5 0100 →
    # attribute 5/8; q6 0100 → relation 1/4
    assert summary["l1"] == pytest.approx({"entity": 62.5, "attribute": 62.5, "relation": 25, "other": 25})
    assert summary["l2"]["attribute - texture"] == pytest.approx(25)


def test_official_mode_skips_the_first_row_and_drops_an_item_that_needed_it(items):
    official = items_for_mode(items, "official")
    assert [q.proposition_id for q in official["countbench7"].questions] == [2, 3, 4, 5, 6]
    assert official["partiprompts10"] == items["partiprompts10"]
    yes = [{"item_id": i, "tile": 0, "proposition_id": q.proposition_id, "question": q.question, "answer": "yes",
            "p_yes": 1.0} for i, item in items.items() for q in item.questions]
    rows, failures, summary = score_answers(items, yes, {}, DPGConfig(mode="official", pic_num=1), {})
    assert [f["item_id"] for f in failures] == ["countbench7"] and "depends on proposition 1" in failures[0]["error"]
    assert [r["item_id"] for r in rows] == ["partiprompts10", "drawtext3"]
    assert summary["overall"] == 100 and summary["failed"] == 1 and summary["counted_as_zero"] == 0
    rows, failures, summary = score_answers(items, yes, {}, DPGConfig(mode="corrected", pic_num=1), {})
    assert not failures and summary["overall"] == 100 and summary["scored"] == 3


def test_failures_are_left_out_officially_and_count_as_zero_when_corrected():
    scores = [ItemScore("a", [0.5], 0.5), ItemScore("b", [1.0], 1.0)]
    failed = [{"item_id": "c", "error": "unreadable image"}]
    assert summarize(scores, failed, "official")["overall"] == pytest.approx(75)
    corrected = summarize(scores, failed, "corrected")
    assert corrected["overall"] == pytest.approx(50) and corrected["items"] == 3


def test_an_unanswered_question_fails_the_item(items):
    answers = answers_for([A])
    del answers[0, 6]
    rows, failures, _ = score_answers({"countbench7": items["countbench7"]}, [
        {"item_id": "countbench7", "tile": t, "proposition_id": p, "question": "", "answer": a, "p_yes": None}
        for (t, p), a in answers.items()], {}, DPGConfig(pic_num=1), {})
    assert not rows and "unanswered" in failures[0]["error"]


def quadrants(side: int) -> Image.Image:
    grid = np.zeros((2 * side, 2 * side, 3), np.uint8)
    for k, (r, c) in enumerate([(0, 0), (0, 1), (1, 0), (1, 1)]):
        grid[r * side:(r + 1) * side, c * side:(c + 1) * side] = 50 * (k + 1)
    return Image.fromarray(grid)


@pytest.mark.parametrize("side", [16, 64, 384])
def test_tiles_are_the_quadrants_in_official_order(side):
    tiles = crop_tiles(quadrants(side), 4)
    assert [t.size for t in tiles] == [(side, side)] * 4
    assert [np.asarray(t)[0, 0, 0] for t in tiles] == [50, 100, 150, 200]  # TL, TR, BL, BR
    assert layout_warning((2 * side, 2 * side), 4, side) is None
    assert np.asarray(crop_tiles(quadrants(side), 1, side)[0]).max() == 50  # --pic-num 1: the top-left tile


def test_a_wrong_resolution_crops_black_margins_as_the_official_scorer_and_warns():
    tiles = crop_tiles(quadrants(16), 4, resolution=24)  # a 32-px image cropped as if tiles were 24 px
    br = np.asarray(tiles[3])
    assert br.shape == (24, 24, 3) and br[-1, -1].tolist() == [0, 0, 0] and br[0, 0, 0] == 200
    assert "expect 48×48" in layout_warning((32, 32), 4, 24)


ROW = {"item_id": "x", "text": "t", "keywords": "", "proposition_id": "1", "dependency": "0",
       "category_broad": "entity", "category_detailed": "whole", "tuple": "entity - whole (x)",
       "question_natural_language": "Is there an x?"}


def rows(*changes):
    return [{**ROW, **c} for c in changes]


@pytest.mark.parametrize("bad, message", [
    (rows({}, {"proposition_id": "1"}), "repeats proposition_id 1"),
    (rows({}, {"proposition_id": "2", "dependency": "3"}), "depends on unknown proposition(s) 3"),
    (rows({"dependency": "2"}, {"proposition_id": "2", "dependency": "1"}), "dependency cycle 1 → 2 → 1"),
    (rows({"dependency": "1"}), "dependency cycle 1 → 1"),
    (rows({}, {"item_id": "y"}, {"item_id": "x", "proposition_id": "2"}), "rows of item 'x' are not contiguous"),
    (rows({"proposition_id": "one"}), "proposition_id 'one' is not an integer"),
    (rows({"dependency": "1;2"}), "not a comma-separated list"),
    (rows({"question_natural_language": " "}), "empty question"),
    ([], "no question rows"),
])
def test_question_file_errors_name_the_problem(bad, message):
    with pytest.raises(QuestionFileError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_rows(bad, "q.csv")


def test_a_missing_column_or_file_is_a_clear_error(tmp_path):
    path = tmp_path / "q.csv"
    path.write_text("item_id,text,proposition_id,dependency,tuple\nx,t,1,0,entity - whole (x)\n")
    with pytest.raises(QuestionFileError, match="missing column.*keywords.*question_natural_language"):
        read_questions(path)
    with pytest.raises(QuestionFileError, match="not shipped"):
        read_questions(tmp_path / "absent.csv")


def test_a_file_of_dpg_bench_items_is_checked_against_the_shipped_prompts(items):
    from rgbench.dpg.questions import official_file_warnings
    from rgbench.prompt_sets import load_prompt_set

    prompts = {item.key: item.prompt for item in load_prompt_set("dpg").items}
    assert len(prompts) == 1065
    same_text = {k: Item(k, prompts[k], v.questions) for k, v in items.items() if k in prompts}
    warnings = official_file_warnings({**items, **same_text}, prompts)
    assert "has 3 items" in warnings[0] and "DPG-Bench has 1065" in warnings[0] and len(warnings) == 1
    assert "differ from DPG-Bench's prompts" in official_file_warnings(items, prompts)[1]
    assert official_file_warnings({"toy0": items["drawtext3"]}, prompts) == []  # not DPG-Bench's items
