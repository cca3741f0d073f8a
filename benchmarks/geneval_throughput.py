"""GenEval scoring throughput: batched vs one image at a time, on the same models, in one run.

    python benchmarks/geneval_throughput.py [--images 32] [--batch 16] [--size 512] [--device cuda]
        [--detector-model DIR --color-model DIR]   # default: tiny random Mask2Former + CLIP (rgbench.geneval.tiny)

Measures the detector (images/s) and the CLIP colour classifier (crops/s, 4 objects per image), each batched
(`--batch` images, min(--batch, 16) crops per CLIP forward) and one at a time, and their sum per image; checks
that both ways give the same detections and colours.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
from timing import timed  # benchmarks/timing.py (scripts run from their folder)


def same_detections(a, b, atol: float = 1e-4) -> bool:
    return all(len(x) == len(y) and all(p.label == q.label and abs(p.score - q.score) < atol and p.box == q.box
                                        for p, q in zip(x, y)) for x, y in zip(a, b))


def main() -> None:
    from rgbench.backends import BackendSpec
    from rgbench.geneval.detection import build_color_classifier, build_detector
    from rgbench.geneval.tiny import save_tiny_clip, save_tiny_mask2former

    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=32)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--size", type=int, default=512, help="image side (GenEval images are usually 512 or 384)")
    ap.add_argument("--device", default=None)
    ap.add_argument("--detector-model", default=None)
    ap.add_argument("--color-model", default=None)
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp())
    m2f = args.detector_model or str(save_tiny_mask2former(tmp / "m2f"))
    clip = args.color_model or str(save_tiny_clip(tmp / "clip"))
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 256, (args.size, args.size, 3), dtype=np.uint8) for _ in range(args.images)]

    def build(batch: int):
        return (build_detector("mask2former", BackendSpec(m2f, args.device, batch_size=batch)),
                build_color_classifier("clip", BackendSpec(clip, args.device, batch_size=min(batch, 16))))

    (det_b, col_b), (det_1, col_1) = build(args.batch), build(1)
    det_b.detect(images[:2])  # warm-up
    found_b, t_det_b = timed(lambda: det_b.detect(images))
    found_1, t_det_1 = timed(lambda: [d for im in images for d in det_1.detect([im])])
    pairs = [(im, d) for im, dets in zip(images, found_b) for d in dets[:4]]  # 4 objects per image
    colors_b, t_col_b = timed(lambda: col_b.classify(pairs))
    colors_1, t_col_1 = timed(lambda: [c for p in pairs for c in col_1.classify([p])])

    print(f"device {det_b.device if hasattr(det_b, 'device') else '?'}, {args.images} images {args.size}², "
          f"detector batch {args.batch}, CLIP batch {min(args.batch, 16)}; models: {m2f}, {clip}")
    print(f"detector   one at a time {args.images / t_det_1:7.2f} img/s   batched {args.images / t_det_b:7.2f} img/s"
          f"   ratio {t_det_1 / t_det_b:5.2f}×   same detections: {same_detections(found_b, found_1)}")
    print(f"CLIP crops one at a time {len(pairs) / t_col_1:7.1f} crop/s  batched {len(pairs) / t_col_b:7.1f} crop/s"
          f"  ratio {t_col_1 / t_col_b:5.2f}×   same colours: {colors_b == colors_1}")
    total_1, total_b = t_det_1 + t_col_1, t_det_b + t_col_b
    print(f"detect + colour   one at a time {args.images / total_1:7.2f} img/s   batched {args.images / total_b:7.2f} img/s"
          f"   ratio {total_1 / total_b:5.2f}×")


if __name__ == "__main__":
    main()
