"""Vision-language models behind small adapters (Qwen2.5-VL)."""
