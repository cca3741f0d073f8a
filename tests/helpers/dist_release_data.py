"""Read the release's SFT dataset (a tiny hub-layout fixture) under torchrun or plain python and dump what each
rank tokenized, the records and the cache left behind.

    python -m torch.distributed.run --nproc_per_node 2 tests/helpers/dist_release_data.py OUT.json DATA_DIR
"""

import json
import sys
from pathlib import Path

import torch
import torch.distributed as dist

sys.path.insert(0, str(Path(__file__).parent.parent.parent))
from rgbench.toy.tokenizer import PatchTokenizer  # noqa: E402
from rgbench.train.distributed import init_distributed  # noqa: E402
from rgbench.train.sft_run import SFTConfig, load_records  # noqa: E402
from tests.helpers.release_world import hub_folder  # noqa: E402


class Policy:
    image_tokenizer = PatchTokenizer.load()


def main(out: str, data: str) -> None:
    ctx = init_distributed(torch.device("cpu"))
    if ctx.is_main:
        hub_folder(Path(data), sizes=(9, 7))
    ctx.barrier()
    records, read = load_records(SFTConfig(data=data), Policy(), ctx)
    tokenized = [None] * ctx.world
    if ctx.enabled:
        dist.all_gather_object(tokenized, read["data_read"]["tokenized"])
    else:
        tokenized = [read["data_read"]["tokenized"]]
    if ctx.is_main:
        cache = Path(read["data_read"]["cache"])
        Path(out).write_text(json.dumps({
            "world": ctx.world, "tokenized": tokenized, "keys": [r.key for r in records],
            "codes": [[int(c) for c in r.codes] for r in records],
            "cache_rows": len(cache.read_text().splitlines()),
            "parts_left": sorted(p.name for p in cache.parent.glob(f"{cache.name}.part*"))}))
    if ctx.enabled:
        dist.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
