"""Image tokenizers the policy can use, by name: Janus's VQ-16 model (inside the checkpoint) and the toy
patch codebook (saved beside the checkpoint). Both follow `rgbench.image_tokenizer.ImageTokenizer`."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rgbench.registry import Registry

# name → factory(checkpoint folder, JanusForConditionalGeneration) → ImageTokenizer
IMAGE_TOKENIZERS: Registry = Registry("image tokenizer")
TOY_FOLDER = "image_tokenizer"


class JanusVQTokenizer:
    """Janus's VQ model: uint8 images ↔ codes on its grid (24×24 at 384 px for Janus-Pro)."""

    def __init__(self, vqmodel, image_size: int) -> None:
        self.vq = vqmodel
        self.image_size = image_size
        rows, cols = vqmodel.quantize.quant_state_dims
        self.grid = (int(rows), int(cols))
        self.codebook_size = int(vqmodel.config.num_embeddings)

    def _param(self):
        return next(self.vq.parameters())

    def encode(self, images: np.ndarray) -> np.ndarray:
        """uint8 [B, H, W, 3] → int64 [B, rows*cols]; resized to image_size (PIL bicubic), scaled to [-1, 1]."""
        import torch
        from PIL import Image

        side = self.image_size
        arr = np.stack([np.asarray(Image.fromarray(im).resize((side, side), Image.BICUBIC)) if im.shape[0] != side
                        else im for im in np.asarray(images, np.uint8)])
        p = self._param()
        px = torch.from_numpy(arr).to(p.device, p.dtype).permute(0, 3, 1, 2) / 127.5 - 1.0  # [B, 3, S, S]
        with torch.no_grad():
            out = self.vq.encode(px)
        return out.image_tokens.reshape(len(arr), -1).cpu().numpy().astype(np.int64)

    def decode(self, ids: np.ndarray) -> np.ndarray:
        """int [B, rows*cols] → uint8 [B, S, S, 3] via clip((x + 1) / 2 · 255), as Janus's scripts do."""
        import torch

        p = self._param()
        with torch.no_grad():
            x = self.vq.decode(torch.as_tensor(np.asarray(ids), dtype=torch.long, device=p.device))  # [B, 3, S, S]
        x = ((x.float().permute(0, 2, 3, 1) + 1) / 2 * 255).clamp(0, 255)
        return x.cpu().numpy().astype(np.uint8)


@IMAGE_TOKENIZERS.register("janus-vq")
def _janus_vq(folder: Path, janus) -> JanusVQTokenizer:
    vq = janus.model.vqmodel
    downsample = 2 ** (len(vq.config.channel_multiplier) - 1)  # 16 for VQ-16
    return JanusVQTokenizer(vq, int(vq.quantize.quant_state_dims[0]) * downsample)


@IMAGE_TOKENIZERS.register("toy-patch")
def _toy_patch(folder: Path, janus):
    from rgbench.toy.tokenizer import PatchTokenizer

    return PatchTokenizer.load(Path(folder) / TOY_FOLDER)
