"""T2I-CompBench: attribute binding (BLIP-VQA), spatial and numeracy (detector rules), non-spatial (CLIPScore),
complex (3-in-1)."""
