"""Golden tests of GenEval's scoring rules: every expectation below is worked out by hand from the official
evaluate_images.py / summary_scores.py logic (thresholds, cap, NMS, include/exclude, colour, position, summary)."""

import json

import numpy as np
import pytest

from rgbench.geneval.position import relations
from rgbench.geneval.rules import MissingColor, ScoringOptions, compute_iou, keep_detections, score_image
from rgbench.geneval.summary import markdown_table, summarize

OPTS = ScoringOptions()


def obj(label, score, box=(0, 0, 10, 10), color=None):
    return {"label": label, "score": score, "box": list(box), "color": color}


def run(metadata, objects, options=OPTS):
    row = score_image({"filename": "00000/samples/0000.png", "objects": objects}, metadata, options)
    return row["correct"], row["reason"], json.loads(row["details"])


SINGLE = {"tag": "single_object", "include": [{"class": "dog", "count": 1}], "prompt": "a photo of a dog"}


def counting(n):
    return {"tag": "counting", "include": [{"class": "dog", "count": n}], "exclude": [{"class": "dog", "count": n + 1}],
            "prompt": f"a photo of {n} dogs"}


# ---------------------------------------------------------------- thresholds
def test_threshold_is_strict_and_compared_in_float32():
    assert run(SINGLE, [obj("dog", 0.3)]) == (False, "expected dog>=1, found 0", {})
    # float64 just above 0.3 is float32(0.3) once stored as mmdet stores it: still not above
    assert not run(SINGLE, [obj("dog", 0.3000000001)])[0]
    above = float(np.nextafter(np.float32(0.3), np.float32(1)))
    assert run(SINGLE, [obj("dog", above)])[0]


def test_counting_uses_point_nine_for_include_and_exclude():
    three = [obj("dog", 0.95, (i * 20, 0, i * 20 + 10, 10)) for i in range(3)]
    # a fourth dog at 0.85 is below the counting threshold: it neither counts nor trips the exclude clause
    assert run(counting(3), three + [obj("dog", 0.85)])[:2] == (True, "")
    assert run(counting(3), three[:2] + [obj("dog", 0.9)])[:2] == (False, "expected dog>=3, found 2")
    assert run(counting(3), three + [obj("dog", 0.95)])[:2] == (False, "expected dog<4, found 4")
    # the same 0.85 dog counts in a non-counting task (threshold 0.3)
    assert run(SINGLE, [obj("dog", 0.85)])[0]


def test_sixteen_per_class_cap_keeps_the_most_confident():
    dogs = [obj("dog", 0.31 + 0.01 * i, (i, 0, i + 5, 5)) for i in range(20)]
    details = run(SINGLE, dogs)[2]
    assert len(details["dog"]) == 16
    assert [round(d[4], 2) for d in details["dog"]] == [round(0.5 - 0.01 * i, 2) for i in range(16)]
    # the exclude clause sees the capped list: 20 confident dogs are "found 16"
    many = [obj("dog", 0.95) for _ in range(20)]
    assert run(counting(4), many)[:2] == (False, "expected dog<5, found 16")


def test_count_and_exclude_per_class_other_classes_never_fail():
    four = [obj("cat", 0.99, (i * 20, 0, i * 20 + 10, 10)) for i in range(4)]
    assert run(counting(2), [obj("dog", 0.95), obj("dog", 0.93)] + four)[:2] == (True, "")


def test_ties_put_the_later_detection_first():
    first, second = obj("dog", 0.8, (0, 0, 10, 10)), obj("dog", 0.8, (50, 0, 60, 10))
    assert run(SINGLE, [first, second])[2]["dog"][0][:4] == [50, 0, 60, 10]


# ---------------------------------------------------------------- NMS
def test_iou_uses_the_plus_one_pixel_convention():
    assert compute_iou(np.array([0, 0, 9, 9]), np.array([0, 0, 9, 9])) == 1
    # +1 areas: 10×10 each, intersection 5×10 → 50 / 150; without +1 it would be 36 / 126 = 0.286
    assert compute_iou(np.array([0, 0, 9, 9]), np.array([5, 0, 14, 9])) == pytest.approx(1 / 3)


def test_nms_only_when_max_overlap_below_one():
    dogs = [obj("dog", 0.9, (0, 0, 9, 9)), obj("dog", 0.8, (5, 0, 14, 9))]
    assert len(keep_detections(dogs, "single_object", OPTS)["dog"]) == 2  # default 1.0: no NMS
    assert len(keep_detections(dogs, "single_object", ScoringOptions(max_overlap=0.3))["dog"]) == 1
    assert len(keep_detections(dogs, "single_object", ScoringOptions(max_overlap=0.34))["dog"]) == 2


# ---------------------------------------------------------------- colour
COLORS_META = {"tag": "colors", "include": [{"class": "car", "count": 1, "color": "red"}], "prompt": "a photo of a red car"}


def test_colour_uses_only_the_most_confident_object():
    cars = [obj("car", 0.9, color="blue"), obj("car", 0.6, color="red")]
    assert run(COLORS_META, cars)[:2] == (False, "expected red car>=1, found 0 red; and 1 blue")
    assert run(COLORS_META, [obj("car", 0.9, color="red"), obj("car", 0.6, color="blue")])[:2] == (True, "")


def test_colour_with_fewer_matches_than_count_lists_colours_in_official_order():
    meta = {"tag": "colors", "include": [{"class": "car", "count": 2, "color": "red"}], "prompt": "two red cars"}
    cars = [obj("car", 0.9, color="white"), obj("car", 0.8, color="red"), obj("car", 0.7, color="red")]
    assert run(meta, cars)[:2] == (False, "expected red car>=2, found 1 red; and 1 red, 1 white")


def test_colour_attr_both_clauses_and_a_missing_colour_is_an_error():
    meta = {"tag": "color_attr", "include": [{"class": "car", "count": 1, "color": "red"},
                                             {"class": "dog", "count": 1, "color": "blue"}], "prompt": "p"}
    assert run(meta, [obj("car", 0.9, color="red"), obj("dog", 0.9, color="blue")])[0]
    assert run(meta, [obj("car", 0.9, color="red"), obj("dog", 0.9, color="brown")])[1] == \
        "expected blue dog>=1, found 0 blue; and 1 brown"
    with pytest.raises(MissingColor):
        run(meta, [obj("car", 0.9, color="red"), obj("dog", 0.9)])


# ---------------------------------------------------------------- position
def position(rel):
    return {"tag": "position", "include": [{"class": "cat", "count": 1}, {"class": "dog", "count": 1, "position": [rel, 0]}],
            "prompt": f"a photo of a dog {rel} a cat"}


CAT = (100, 100, 120, 120)  # centre (110, 110)


@pytest.mark.parametrize("rel,dog_box", [("left of", (20, 100, 40, 120)), ("right of", (200, 100, 220, 120)),
                                         ("above", (100, 20, 120, 40)), ("below", (100, 200, 120, 220))])
def test_each_direction(rel, dog_box):
    assert run(position(rel), [obj("cat", 0.9, CAT), obj("dog", 0.9, dog_box)])[:2] == (True, "")
    opposite = {"left of": "right of", "right of": "left of", "above": "below", "below": "above"}[rel]
    ok, reason, _ = run(position(opposite), [obj("cat", 0.9, CAT), obj("dog", 0.9, dog_box)])
    assert not ok and reason == f"expected dog {opposite} target, found {rel} target"


def test_margin_swallows_small_offsets():
    # centres 10 px apart, widths 50 + 50 → margin 10 → no relation at all
    ok, reason, _ = run(position("left of"), [obj("cat", 0.9, (100, 0, 150, 50)), obj("dog", 0.9, (90, 0, 140, 50))])
    assert not ok and reason == "expected dog left of target, found  target"
    assert relations((90, 0, 140, 50), (100, 0, 150, 50)) == set()


def test_half_threshold_is_strict():
    # offset (−40, +30), norm 50; widths 100 + 50 → margin 15 → shrunk dx = −25 → −0.5 exactly: not "left of"
    dog, cat = (10, 130, 110, 130), (75, 100, 125, 100)
    assert relations(dog, cat) == {"below"}
    # widths 98 + 50 → margin 14.8 → dx = −0.504: "left of"
    assert relations((11, 130, 109, 130), cat) == {"left of", "below"}


def test_diagonals_hold_both_relations_and_reasons_are_ordered():
    dog = (20, 20, 40, 40)  # up-left of the cat
    assert relations(dog, CAT) == {"left of", "above"}
    assert run(position("left of"), [obj("cat", 0.9, CAT), obj("dog", 0.9, dog)])[0]
    assert run(position("above"), [obj("cat", 0.9, CAT), obj("dog", 0.9, dog)])[0]
    assert run(position("below"), [obj("cat", 0.9, CAT), obj("dog", 0.9, dog)])[1] == \
        "expected dog below target, found left of and above target"


def test_unmatched_reference_fails_the_position_clause():
    ok, reason, _ = run(position("left of"), [obj("dog", 0.9, (20, 100, 40, 120))])
    assert not ok and reason == "expected cat>=1, found 0\nno target for dog to be left of"


def test_position_uses_only_the_most_confident_object():
    objects = [obj("cat", 0.9, CAT), obj("dog", 0.9, (200, 100, 220, 120)), obj("dog", 0.5, (20, 100, 40, 120))]
    assert run(position("left of"), objects)[:2] == (False, "expected dog left of target, found right of target")


# ---------------------------------------------------------------- options, rows, summary
def test_options_from_strings_and_unknown_keys():
    assert ScoringOptions.from_mapping({"threshold": "0.5", "max_objects": "4"}) == ScoringOptions(threshold=0.5, max_objects=4)
    with pytest.raises(ValueError, match="unknown GenEval option"):
        ScoringOptions.from_mapping({"treshold": 0.5})


def test_row_has_the_official_fields():
    row = score_image({"filename": "00003/samples/0001.png", "objects": [obj("dog", 0.9)]}, SINGLE, OPTS)
    assert list(row) == ["filename", "tag", "prompt", "correct", "reason", "metadata", "details"]
    assert json.loads(row["metadata"]) == SINGLE
    assert json.loads(row["details"]) == {"dog": [[0.0, 0.0, 10.0, 10.0, pytest.approx(0.9)]]}


def test_overall_is_the_unweighted_mean_of_task_accuracies():
    def row(tag, prompt, ok):
        return {"tag": tag, "metadata": json.dumps({"tag": tag, "prompt": prompt}), "correct": ok}

    rows = [row("single_object", "a", True), row("single_object", "b", True)] + \
           [row("counting", "c", k == 0) for k in range(4)]
    s = summarize(rows)
    assert s["tasks"]["single_object"]["accuracy"] == 1.0 and s["tasks"]["counting"]["accuracy"] == 0.25
    assert s["overall"] == pytest.approx(0.625)  # not the image mean 3/6
    assert s["correct_images"] == pytest.approx(0.5)
    assert s["correct_prompts"] == pytest.approx(1.0)  # a, b and c each have a correct image
    assert s["overall_over_tasks"] == 2 and not s["complete"]
    assert any("2 of 6 tasks" in w for w in s["warnings"])
    table = markdown_table(s, "m")
    assert "| m | 1.00 | – | 0.25 | – | – | – | 0.62 |" in table and "warning" in table
