"""Splitting a DPG-Bench image into the tiles its questions are asked about, as `compute_dpg_bench.py` crops them.

`--resolution R` is one tile's side and `--pic-num P` how many tiles are used, in the order top-left (0, 0, R, R),
top-right (R, 0, 2R, R), bottom-left (0, R, R, 2R), bottom-right (R, R, 2R, 2R). PIL's crop pads whatever lies
outside the image with black, so a wrong R silently scores black margins; rgbench infers R from the image when
it is not given (half the width for 4 tiles, the width for 1) and warns when the image is not R·grid square.
"""

from __future__ import annotations

from PIL import Image

CROP_ORDER = ((0, 0), (1, 0), (0, 1), (1, 1))  # (column, row) of tiles 0..3
PIC_NUMS = (1, 4)


def tile_side(size: tuple[int, int], pic_num: int, resolution: int | None) -> int:
    """The tile side: the given resolution, else the image width / 2 (4 tiles) or the width (1 tile)."""
    if pic_num not in PIC_NUMS:
        raise ValueError(f"--pic-num must be 1 or 4 (the official scorer's 2×2 grid), not {pic_num}")
    if resolution is not None:
        if resolution < 1:
            raise ValueError(f"--resolution must be ≥ 1, not {resolution}")
        return resolution
    return size[0] // 2 if pic_num == 4 else size[0]


def layout_warning(size: tuple[int, int], pic_num: int, side: int) -> str | None:
    """Why the image does not match the tile layout (the crops would be padded or cut), or None."""
    grid = 2 if pic_num == 4 else 1
    expected = (side * grid, side * grid)
    if size == expected:
        return None
    return (f"image is {size[0]}×{size[1]} but {pic_num} tile(s) of {side} px expect {expected[0]}×{expected[1]}: "
            "tiles are cropped as the official scorer does (black outside the image, the rest ignored)")


def crop_tiles(image: Image.Image, pic_num: int, resolution: int | None = None) -> list[Image.Image]:
    """The official crops, RGB, in tile order."""
    side = tile_side(image.size, pic_num, resolution)
    rgb = image.convert("RGB")
    return [rgb.crop((c * side, r * side, (c + 1) * side, (r + 1) * side)) for c, r in CROP_ORDER[:pic_num]]
