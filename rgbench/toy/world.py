"""The toy world's vocabulary and geometry: shapes, colours, sizes, textures on a grid of cells.

Objects sit one per cell, aligned to the tokenizer's patch grid (a cell is 2×2 patches), which makes the patch
tokenizer lossless: the detector, not the tokenizer, sets the ceiling (see shared/spec/toy_world.md, "Measured").
"""

from __future__ import annotations

from dataclasses import dataclass, field

WORLD_VERSION = "toy-v1"  # bump whenever the vocabulary, geometry or palette changes
DATA_VERSION = f"{WORLD_VERSION}-data2"  # the shipped prompt sets (rgbench/toy/data, built by toy/datasets.py)
T2I_CATEGORIES = ("color", "shape", "texture", "spatial", "numeracy", "complex")  # toy T2I-CompBench categories

# GenEval's ten colours, in GenEval's order; RGB chosen far from the gray background and from each other.
PALETTE: dict[str, tuple[int, int, int]] = {
    "red": (220, 30, 30), "orange": (245, 140, 20), "yellow": (240, 230, 40), "green": (40, 170, 60),
    "blue": (40, 80, 220), "purple": (140, 50, 190), "pink": (250, 150, 200), "brown": (130, 80, 30),
    "black": (15, 15, 15), "white": (245, 245, 245),
}
# The second tone that stripes and dots are drawn in (never close to the background or another colour).
SHADE: dict[str, tuple[int, int, int]] = {
    "red": (130, 10, 10), "orange": (170, 80, 0), "yellow": (170, 160, 0), "green": (10, 95, 30),
    "blue": (10, 30, 120), "purple": (75, 15, 110), "pink": (200, 60, 130), "brown": (70, 40, 10),
    "black": (60, 60, 60), "white": (200, 200, 200),
}
BACKGROUND = (128, 128, 128)
SHAPES = ("circle", "square", "triangle", "cross", "diamond", "ring")
SIZES = ("large", "small")
TEXTURES = ("solid", "striped", "dotted")
PLURALS = {s: s + ("es" if s.endswith(("s", "x", "ch", "sh")) else "s") for s in SHAPES}
NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six")


@dataclass
class WorldConfig:
    """Knobs of the toy world; frozen per WORLD_VERSION once calibrated."""

    canvas: int = 64  # image side in pixels
    cells: int = 4  # the canvas is cells × cells; one object per cell at most
    patch: int = 8  # tokenizer patch side; a cell must be a whole number of patches
    shapes: list[str] = field(default_factory=lambda: list(SHAPES))  # object classes
    colors: list[str] = field(default_factory=lambda: list(PALETTE))  # colour names (subset of PALETTE)
    sizes: dict[str, int] = field(default_factory=lambda: {"large": 14, "small": 8})  # size name → object side (px)
    textures: list[str] = field(default_factory=lambda: list(TEXTURES))  # fill patterns
    max_objects: int = 4  # objects per scene, at most

    @property
    def cell_px(self) -> int:
        return self.canvas // self.cells

    def __post_init__(self) -> None:
        if self.canvas % self.cells or self.cell_px % self.patch:
            raise ValueError(f"canvas {self.canvas} must split into {self.cells} cells of whole {self.patch}-px patches")
        unknown = [c for c in self.colors if c not in PALETTE] + [s for s in self.shapes if s not in SHAPES] + \
                  [t for t in self.textures if t not in TEXTURES]
        if unknown:
            raise ValueError(f"unknown toy vocabulary: {unknown}")
        if max(self.sizes.values()) > self.cell_px:
            raise ValueError("objects must fit in a cell")


@dataclass(frozen=True)
class Obj:
    """One object of a scene, in cell coordinates (row 0 = top, col 0 = left)."""

    shape: str
    color: str
    row: int
    col: int
    size: str = "large"
    texture: str = "solid"


@dataclass(frozen=True)
class Scene:
    objects: tuple[Obj, ...]


def object_box(obj: Obj, world: WorldConfig) -> tuple[int, int, int, int]:
    """Pixel box (x1, y1, x2, y2), x2/y2 exclusive, of an object centred in its cell."""
    side = world.sizes[obj.size]
    offset = (world.cell_px - side) // 2
    x1, y1 = obj.col * world.cell_px + offset, obj.row * world.cell_px + offset
    return (x1, y1, x1 + side, y1 + side)
