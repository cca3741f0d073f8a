"""The detections file: GenEval's raw model outputs, one JSON object per image (a public format).

    {"filename": "00012/samples/0003.png", "width": 512, "height": 512,
     "objects": [{"label": "dog", "score": 0.93, "box": [x1, y1, x2, y2], "color": "red"}, ...]}

`objects` holds every detection the detector returned with score ≥ the floor (0.1 by default, always ≤ 0.3), in
the detector's order; `label` is a GenEval class name, `box` in pixels as mmdet gives it (x2 = x_max + 1), `color`
the colour classifier's answer or null when the object was not classified. Extra fields rgbench writes:
`metadata` (the prompt's record, so re-scoring needs no image folder), `floor`, `detector`, `color_classifier`,
and `error` on a record that stands for a failure (unreadable image, not a PNG, no metadata, ...).
Scores and boxes are float32 values written as exact decimals, so re-scoring sees mmdet's numbers bit for bit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from rgbench.geneval.detection import Detection
from rgbench.geneval.rules import confidence_order
from rgbench.results import iter_jsonl

DEFAULT_FLOOR = 0.1


class DetectionsError(ValueError):
    """A detections file that cannot be scored; the message names the file and line."""


def color_candidates(detections: Sequence[Detection], metadata: Mapping[str, Any] | None, max_objects: int) -> list[int]:
    """Indices of the detections to colour-classify: for each class named in a colour clause, its `max_objects`
    most confident detections (in the scoring rule's order), which covers every threshold ≥ the floor."""
    if not metadata:
        return []
    wanted = {req["class"] for req in metadata.get("include", []) if "color" in req}
    out = []
    for name in wanted:
        mine = [i for i, d in enumerate(detections) if d.label == name]
        out += [mine[j] for j in confidence_order([detections[i].score for i in mine])[:max_objects]]
    return sorted(out)


def image_record(filename: str, size: tuple[int, int], detections: Sequence[Detection], colors: Mapping[int, str],
                 floor: float, metadata: Mapping[str, Any] | None, backends: Mapping[str, str]) -> dict[str, Any]:
    """One image's record: its detections (already cut at `floor`, in detector order), with colours where
    classified (`colors`: index into `detections` → colour)."""
    objects = [{**d.to_record(), "color": colors.get(i)} for i, d in enumerate(detections)]
    return {"filename": filename, "width": size[0], "height": size[1], "objects": objects,
            "metadata": dict(metadata) if metadata else None, "floor": floor, **backends}


def failure_record(filename: str, error: str, metadata: Mapping[str, Any] | None,
                   backends: Mapping[str, str]) -> dict[str, Any]:
    return {"filename": filename, "width": None, "height": None, "objects": [], "error": error,
            "metadata": dict(metadata) if metadata else None, **backends}


def check_record(row: Any, where: str) -> dict[str, Any]:
    """Validate one record of a (possibly foreign) detections file."""
    if not isinstance(row, dict) or not isinstance(row.get("filename"), str):
        raise DetectionsError(f"{where}: a record needs a string 'filename'")
    objects = row.get("objects")
    if not isinstance(objects, list):
        raise DetectionsError(f"{where}: 'objects' must be a list")
    for k, obj in enumerate(objects):
        box = obj.get("box") if isinstance(obj, dict) else None
        if not (isinstance(obj, dict) and isinstance(obj.get("label"), str) and isinstance(obj.get("score"), (int, float))
                and isinstance(box, list) and len(box) == 4 and all(isinstance(v, (int, float)) for v in box)):
            raise DetectionsError(f"{where}: object {k} needs label (str), score (number), box ([x1, y1, x2, y2])")
        if obj.get("color") is not None and not isinstance(obj["color"], str):
            raise DetectionsError(f"{where}: object {k} has a non-string colour")
    return row


def read_detections(paths: Iterable[str | Path]) -> list[dict[str, Any]]:
    """Records from one or more detections files (e.g. the shards of one run), checked; a filename seen twice
    with different content is an error, an identical repeat is dropped."""
    seen: dict[str, dict[str, Any]] = {}
    for path in paths:
        path = Path(path)
        if not path.is_file():
            raise DetectionsError(f"{path}: no such detections file")
        try:
            for lineno, row in enumerate(iter_jsonl(path), 1):
                row = check_record(row, f"{path}:{lineno}")
                old = seen.get(row["filename"])
                if old is not None and old != row:
                    raise DetectionsError(f"{path}:{lineno}: {row['filename']} appears twice with different detections")
                seen[row["filename"]] = row
        except ValueError as err:
            if isinstance(err, DetectionsError):
                raise
            raise DetectionsError(str(err)) from None
    if not seen:
        raise DetectionsError("the detections file(s) hold no records")
    return list(seen.values())


def check_floor(records: Sequence[Mapping[str, Any]], lowest_threshold: float) -> None:
    """Scoring below a record's floor would miss detections that were never written."""
    floors = {r.get("floor") for r in records if r.get("floor") is not None}
    if floors and lowest_threshold < max(floors):
        raise DetectionsError(f"the detections were written with a score floor of {max(floors)}, so a threshold of "
                              f"{lowest_threshold} cannot be scored from them (only detections ≥ the floor were kept)")
