"""The toy world: rendered shapes, prompts in the three benchmarks' formats, a small image tokenizer and
rule-based detector / VQA / judges behind the real models' interfaces."""
