"""DPG-Bench (ELLA): VQA over per-prompt question graphs on 2×2 tiled images; L1 categories and overall."""
